import assert from 'node:assert/strict';
import { quantile, ratioInterval } from '../../bench/lib/stats';

describe('bench statistics: ratioInterval (the flood figure\'s interval)', () => {
  const groups = (n: number, size: number, f: (k: number, i: number) => number) => Array.from({ length: n }, (_, k) => Array.from({ length: size }, (_, i) => f(k, i)));

  it('is exactly the ratio when every group of b is its group of a scaled', () => {
    const a = groups(24, 200, (k, i) => 1 + ((k * 7919 + i * 104729) % 1000) / 100);
    const b = a.map((g) => g.map((x) => x * 1.5));
    const [lo, hi] = ratioInterval(a, b, 0.99);
    assert.ok(Math.abs(lo - 1.5) < 1e-9 && Math.abs(hi - 1.5) < 1e-9, `${lo}..${hi}`);
  });

  it('widens with what differs between groups, contains the pooled ratio, and is the same for the same samples', () => {
    // b = a, but one group has 60 slow samples (one long stall in one cycle), more than 1% of all: the
    // pooled p99 jumps with that one group, and the interval says how little it is known.
    const a = groups(24, 200, (k, i) => 1 + ((k * 31 + i * 17) % 100) / 50);
    const b = a.map((g, k) => (k === 5 ? g.map((x, i) => (i < 60 ? x + 20 : x)) : g));
    const point = quantile(b.flat(), 0.99) / quantile(a.flat(), 0.99);
    const [lo, hi] = ratioInterval(a, b, 0.99);
    assert.ok(point > 1);
    assert.ok(lo <= point && point <= hi, `${lo} <= ${point} <= ${hi}`);
    assert.ok(lo < 1.01 && hi > 1.05, `one stalled group of 24 leaves it unsure: ${lo}..${hi}`);
    assert.deepEqual(ratioInterval(a, b, 0.99), [lo, hi]);
    assert.deepEqual(ratioInterval([], [], 0.99).map(Number.isNaN), [true, true]);
  });
});
