import assert from 'node:assert/strict';
import { open } from 'node:fs/promises';
import { Metrics, METRICS_HEAVY_DEFAULTS } from '../../src/metrics';

/** The value of one series in the exposition text (absent: undefined). */
function series(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(name + ' '));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('Metrics message counters', () => {
  it('expose what countMessages tallied, by direction, room and type, and keep counting across scrapes', async () => {
    const m = new Metrics();
    m.countMessages('in', 'battle', 'answer');
    m.countMessages('in', 'battle', 'answer');
    m.countMessages('in', 'personal', 'mark_read');
    m.countMessages('out', 'battle', 'answer_ack', 8);
    let text = (await m.render()).body;
    assert.equal(series(text, 'arena_messages_in_total{room="battle",type="answer"}'), 2);
    assert.equal(series(text, 'arena_messages_in_total{room="personal",type="mark_read"}'), 1);
    assert.equal(series(text, 'arena_messages_out_total{room="battle",type="answer_ack"}'), 8);
    assert.equal(series(text, 'arena_messages_out_total{room="battle",type="answer"}'), undefined, 'an "in" tally is not an "out" one');
    // A scrape with nothing new reads the same; later counts add to what was read.
    assert.equal(series((await m.render()).body, 'arena_messages_in_total{room="battle",type="answer"}'), 2);
    m.countMessages('in', 'battle', 'answer', 3);
    m.countMessages('out', 'personal', 'notification', 20);
    text = (await m.render()).body;
    assert.equal(series(text, 'arena_messages_in_total{room="battle",type="answer"}'), 5);
    assert.equal(series(text, 'arena_messages_out_total{room="battle",type="answer_ack"}'), 8);
    assert.equal(series(text, 'arena_messages_out_total{room="personal",type="notification"}'), 20);
    assert.match(text, /^# TYPE arena_messages_in_total counter$/m);
  });

  it('keeps each Metrics instance (each server in a test process) separate', async () => {
    const a = new Metrics();
    const b = new Metrics();
    a.countMessages('in', 'chat', 'say');
    assert.equal(series((await a.render()).body, 'arena_messages_in_total{room="chat",type="say"}'), 1);
    assert.equal(series((await b.render()).body, 'arena_messages_in_total{room="chat",type="say"}'), undefined);
  });

  it('scrapes without walking every socket on the event loop: no handle or resource lists, open descriptors counted by an async readdir', async () => {
    const m = new Metrics();
    const text = (await m.render()).body;
    for (const name of METRICS_HEAVY_DEFAULTS.filter((n) => n !== 'process_open_fds')) {
      assert.doesNotMatch(text, new RegExp(`^arena_${name}\\b`, 'm'), name);
    }
    assert.ok(series(text, 'arena_process_resident_memory_bytes')! > 0, 'the other defaults stay');
    if (process.platform !== 'linux') return;
    const before = series(text, 'arena_process_open_fds')!;
    assert.ok(before > 0);
    const files = await Promise.all(Array.from({ length: 50 }, () => open(__filename, 'r')));
    try {
      // 50 more, give or take what the rest of the test process opened or closed meanwhile.
      assert.ok(Math.abs(series((await m.render()).body, 'arena_process_open_fds')! - (before + 50)) <= 5);
    } finally {
      await Promise.all(files.map((f) => f.close()));
    }
  });
});
