import assert from 'node:assert/strict';
import { aloneP99, aroundEvents, asFloodDump, joinEvents, windowBins, type FloodDump } from '../../bench/lib/floodDump';

/**
 * A made-up flood dump: 3 cycles of three 3 s windows; a round trip of 0.5 ms ending every 5 ms; in each
 * flooder and control window a join 400 ms in, after which the round trips SENT in its first 3 ms take
 * 2 ms (they end 2 ms after they were sent).
 */
function dump(): FloodDump {
  const origin = 1_000_000;
  const windows: FloodDump['windows'] = { baseline: [], flooded: [], churned: [] };
  const attempts: FloodDump['attempts'] = [];
  const at: number[] = [];
  const ms: number[] = [];
  const joins: number[] = [];
  for (let c = 0; c < 3; c++) {
    const t0 = 1000 + c * 9000;
    windows.baseline.push([t0, t0 + 3000]);
    windows.flooded.push([t0 + 3000, t0 + 6000]);
    windows.churned.push([t0 + 6000, t0 + 9000]);
    for (const j of [t0 + 3400, t0 + 6400]) { joins.push(j); attempts.push([origin + j, true]); }
    attempts.push([origin + t0 + 3410, false]); // the flooder's refused rejoin
  }
  for (let sent = 1000; sent < 28_000; sent += 5) {
    const slow = joins.some((j) => sent >= j && sent < j + 3);
    const rtt = slow ? 2 : 0.5;
    at.push(sent + rtt);
    ms.push(rtt);
  }
  return { origin, at, ms, windows, attempts };
}

describe('bench: reading a flood dump (bench/lib/floodDump.ts)', () => {
  it('finds the joins by condition and counts the slow round trips where they were sent', () => {
    const d = dump();
    const p99 = aloneP99(d);
    assert.equal(p99, 0.5);
    const ev = joinEvents(d);
    assert.equal(ev.flooderJoins.length, 3);
    assert.equal(ev.controlJoins.length, 3);
    assert.deepEqual(ev.refused, [4410, 13410, 22410]);
    assert.deepEqual(ev.quiet, [1300, 10300, 19300]);
    // One round trip is sent every 5 ms: the one sent at the join's start is the slow one, in bin 0 of 1 ms bins from -2.
    const around = aroundEvents(d, ev.flooderJoins, -2, 10, 1, p99);
    assert.deepEqual(around.slow, [0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.equal(around.slowPerEvent, 1);
    assert.equal(around.meanMs[2], 2);
    assert.ok(Number.isNaN(around.meanMs[3]), 'no round trip sent 1 ms after the join');
    const quiet = aroundEvents(d, ev.quiet, -2, 10, 1, p99);
    assert.equal(quiet.slowPerEvent, 0);
  });

  it('bins each condition\'s slow round trips by when they ended in the window', () => {
    const d = dump();
    const bins = windowBins(d, 250, aloneP99(d));
    const by = Object.fromEntries(bins.map((b) => [b.condition, b]));
    assert.equal(by.baseline.slow, 0);
    assert.equal(by.flooded.slow, 3);
    assert.equal(by.churned.slow, 3);
    // Ended 402 ms into the window: the second 250 ms bin.
    assert.deepEqual(by.flooded.bins, [0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.equal(by.flooded.p99, 0.5, 'three slow of 600 are under 1%');
  });

  it('refuses a file that is not a flood dump, naming what is wrong', () => {
    assert.throws(() => asFloodDump(null), /not a JSON object/);
    assert.throws(() => asFloodDump({ origin: 1, at: [1], ms: [], windows: {}, attempts: [] }), /at, ms/);
    assert.throws(() => asFloodDump({ origin: 1, at: [], ms: [], windows: { baseline: [], flooded: [[1]] }, attempts: [] }), /windows\.flooded/);
    assert.throws(() => asFloodDump({ origin: 1, at: [], ms: [], windows: { baseline: [], flooded: [], churned: [] }, attempts: [[1, 'yes']] }), /attempts/);
    assert.doesNotThrow(() => asFloodDump(dump()));
  });
});
