import assert from 'node:assert/strict';
import { PatchScheduler, type Defer, type Patchable } from '../../src/realtime/patchScheduler';

/** A scheduler on a hand-moved clock: `advance(ms)` runs every timer that comes due, as the event loop would. */
function harness(tickMs = 5) {
  let clock = 1000;
  let pending: { fn: () => void; at: number | 'after-io' } | undefined;
  const log: Array<{ at: number; rooms: string[]; afterIo: boolean }> = [];
  let current: { at: number; rooms: string[]; afterIo: boolean } | undefined;
  const defer: Defer = (fn, delayMs) => {
    const entry = { fn, at: delayMs === 'after-io' ? 'after-io' as const : clock + delayMs };
    pending = entry;
    return () => { if (pending === entry) pending = undefined; };
  };
  const scheduler = new PatchScheduler({ tickMs, now: () => clock, defer });
  const fire = () => {
    const p = pending!;
    pending = undefined;
    current = { at: clock, rooms: [], afterIo: p.at === 'after-io' };
    p.fn();
    if (current.rooms.length > 0) log.push(current);
    current = undefined;
  };
  const room = (name: string, fail = false): Patchable & { patches: number[]; errors: unknown[] } => {
    const r = {
      patches: [] as number[],
      errors: [] as unknown[],
      broadcastPatch() {
        r.patches.push(clock);
        current?.rooms.push(name);
        if (fail) throw new Error(`${name} broke`);
      },
      onPatchError(e: unknown) { r.errors.push(e); },
    };
    return r;
  };
  return {
    scheduler, room, log,
    pending: () => pending,
    /** Moves the clock to `ms` later, running timers on time (and what is 'after-io' at once). */
    advance(ms: number) {
      const end = clock + ms;
      for (;;) {
        if (pending?.at === 'after-io') { fire(); continue; }
        if (pending && (pending.at as number) <= end) { clock = Math.max(clock, pending.at as number); fire(); continue; }
        break;
      }
      clock = end;
    },
    /** Jumps the clock (a stalled event loop), then lets the timers run. */
    stall(ms: number) {
      clock += ms;
      while (pending && (pending.at === 'after-io' || pending.at <= clock)) fire();
    },
  };
}

describe('PatchScheduler', () => {
  it('patches each room once per period, a period\'s rooms spread evenly over its ticks', () => {
    const h = harness();
    const rooms = Array.from({ length: 30 }, (_, i) => h.room(`r${i}`));
    for (const r of rooms) h.scheduler.add(r, 50);
    h.advance(500);
    for (const r of rooms) {
      assert.equal(r.patches.length, 10);
      for (let i = 1; i < r.patches.length; i++) assert.equal(r.patches[i] - r.patches[i - 1], 50);
    }
    // 30 rooms over 10 ticks of 5 ms: 3 in each turn, never all 30 at once.
    assert.ok(h.log.length >= 100);
    for (const turn of h.log) assert.equal(turn.rooms.length, 3);
  });

  it('keeps rooms of different periods in their own groups, one slot of each per tick', () => {
    const h = harness();
    const fast = Array.from({ length: 20 }, (_, i) => h.room(`fast${i}`));
    const slow = Array.from({ length: 400 }, (_, i) => h.room(`slow${i}`));
    for (const r of fast) h.scheduler.add(r, 50);
    for (const r of slow) h.scheduler.add(r, 1000);
    h.advance(2000);
    for (const r of fast) assert.ok(r.patches.length >= 39 && r.patches.length <= 40, `fast room patched ${r.patches.length} times in 2 s`);
    for (const r of slow) assert.equal(r.patches.length, 2);
    // Each turn: 2 of the 20 fast rooms and 2 of the 400 slow ones.
    for (const turn of h.log) assert.ok(turn.rooms.length <= 4, `a turn patched ${turn.rooms.length} rooms`);
  });

  it('catches up after a stall one tick per turn, after I/O, running each room at most once', () => {
    const h = harness();
    const rooms = Array.from({ length: 10 }, (_, i) => h.room(`r${i}`));
    for (const r of rooms) h.scheduler.add(r, 50);
    h.advance(100);
    const before = rooms.map((r) => r.patches.length);
    h.log.length = 0;
    h.stall(300); // six periods late
    // One period's worth of ticks, each its own turn (the sockets are read in between), each room once.
    assert.deepEqual(rooms.map((r, i) => r.patches.length - before[i]), rooms.map(() => 1));
    assert.equal(h.log.length, 10);
    assert.ok(h.log.slice(1).every((turn) => turn.afterIo));
    for (const turn of h.log) assert.equal(turn.rooms.length, 1);
    // Then back on time.
    assert.notEqual(h.pending()?.at, 'after-io');
    h.advance(50);
    for (const [i, r] of rooms.entries()) assert.equal(r.patches.length - before[i], 2);
  });

  it('stops patching a removed room, and holds no timer once no room is left', () => {
    const h = harness();
    const a = h.room('a');
    const b = h.room('b');
    h.scheduler.add(a, 50);
    h.scheduler.add(b, 50);
    h.advance(100);
    h.scheduler.remove(a);
    const patched = a.patches.length;
    h.advance(200);
    assert.equal(a.patches.length, patched);
    assert.ok(b.patches.length >= 6);
    assert.equal(h.scheduler.has(a), false);
    h.scheduler.remove(b);
    assert.equal(h.scheduler.size, 0);
    assert.equal(h.pending(), undefined);
  });

  it('moves a room to its new period when added again', () => {
    const h = harness();
    const r = h.room('r');
    h.scheduler.add(r, 50);
    h.advance(100);
    h.scheduler.add(r, 1000);
    const n = r.patches.length;
    h.advance(2000);
    assert.equal(r.patches.length - n, 2);
    assert.equal(h.scheduler.size, 1);
  });

  it('reports a failing room to it and still patches the others of its slot', () => {
    const h = harness();
    const bad = h.room('bad', true);
    const good = Array.from({ length: 20 }, (_, i) => h.room(`g${i}`));
    h.scheduler.add(bad, 5);
    for (const r of good) h.scheduler.add(r, 5);
    h.advance(50);
    assert.equal(bad.errors.length, 10);
    for (const r of good) assert.equal(r.patches.length, 10);
  });

  it('refuses a period that is not a positive number', () => {
    const h = harness();
    for (const bad of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) assert.throws(() => h.scheduler.add(h.room('x'), bad), RangeError);
    assert.equal(h.scheduler.size, 0);
  });
});
