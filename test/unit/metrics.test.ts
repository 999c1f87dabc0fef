import assert from 'node:assert/strict';
import { Metrics } from '../../src/metrics';

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
});
