import assert from 'node:assert/strict';
import { widenGradeBand, type GradeBand } from '../../src/domain/gradeBand';

/** Counts over a bank with `perGrade[g - 1]` questions in grade g. */
const counter = (perGrade: number[]) => (b: GradeBand) => perGrade.slice(b.min - 1, b.max).reduce((s, n) => s + n, 0);
const even = counter([10, 10, 10, 10, 10, 10, 10, 10]);

describe('grade band', () => {
  it('keeps the asked band when it holds enough', () => {
    assert.deepEqual(widenGradeBand(3, 5, 30, even), { min: 3, max: 5 });
  });

  it('widens one grade each side at a time until it holds enough', () => {
    assert.deepEqual(widenGradeBand(4, 4, 11, even), { min: 3, max: 5 });
    assert.deepEqual(widenGradeBand(4, 4, 31, even), { min: 2, max: 6 });
  });

  it('keeps widening on the open side once one edge is reached, and stops at 1..8', () => {
    assert.deepEqual(widenGradeBand(1, 1, 25, even), { min: 1, max: 3 });
    assert.deepEqual(widenGradeBand(2, 3, 1000, even), { min: 1, max: 8 });
  });

  it('clamps grades outside 1..8 and refuses an inverted band', () => {
    assert.deepEqual(widenGradeBand(9, 12, 5, even), { min: 8, max: 8 });
    assert.deepEqual(widenGradeBand(-3, 0, 5, even), { min: 1, max: 1 });
    assert.throws(() => widenGradeBand(5, 4, 5, even), RangeError);
    assert.throws(() => widenGradeBand(1, 2, 0, even), RangeError);
  });
});
