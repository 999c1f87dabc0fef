import assert from 'node:assert/strict';
import { MAX_LEVEL, levelForXp, levelProgress, levelsGained, xpToReachLevel } from '../../src/domain/levels';

describe('levels', () => {
  describe('xpToReachLevel', () => {
    it('follows 100 * L^1.5 rounded to the nearest 10 per step', () => {
      assert.deepEqual(
        [1, 2, 3, 4, 5, 6, 7].map(xpToReachLevel),
        [0, 100, 380, 900, 1700, 2820, 4290],
      );
      assert.equal(xpToReachLevel(11) - xpToReachLevel(10), 3160);
      assert.equal(xpToReachLevel(100) - xpToReachLevel(99), 98_500);
      assert.equal(xpToReachLevel(100), 3_950_160);
    });

    it('matches the formula for every step and stays integer and increasing', () => {
      for (let level = 1; level < MAX_LEVEL; level++) {
        const step = xpToReachLevel(level + 1) - xpToReachLevel(level);
        assert.equal(step, Math.round((100 * level ** 1.5) / 10) * 10, `step ${level}`);
        assert.ok(Number.isInteger(xpToReachLevel(level)));
        assert.ok(step > 0);
      }
    });

    it('rejects levels outside [1, 100]', () => {
      for (const bad of [0, -1, 101, 1.5, Number.NaN]) assert.throws(() => xpToReachLevel(bad), RangeError, String(bad));
    });
  });

  describe('levelForXp', () => {
    it('round-trips every level boundary', () => {
      for (let level = 1; level <= MAX_LEVEL; level++) {
        assert.equal(levelForXp(xpToReachLevel(level)), level);
        if (level > 1) assert.equal(levelForXp(xpToReachLevel(level) - 1), level - 1);
      }
    });

    it('maps XP to levels', () => {
      assert.equal(levelForXp(0), 1);
      assert.equal(levelForXp(99), 1);
      assert.equal(levelForXp(100), 2);
      assert.equal(levelForXp(379), 2);
      assert.equal(levelForXp(380), 3);
      assert.equal(levelForXp(1000), 4);
      assert.equal(levelForXp(10 ** 9), 100);
    });

    it('rejects negative or fractional XP', () => {
      assert.throws(() => levelForXp(-1), RangeError);
      assert.throws(() => levelForXp(10.5), RangeError);
      assert.throws(() => levelForXp(Number.NaN), RangeError);
    });
  });

  describe('levelProgress', () => {
    it('reports XP into the level and the cost of the whole step', () => {
      assert.deepEqual(levelProgress(0), { level: 1, xpIntoLevel: 0, xpForNextLevel: 100 });
      assert.deepEqual(levelProgress(250), { level: 2, xpIntoLevel: 150, xpForNextLevel: 280 });
      assert.deepEqual(levelProgress(379), { level: 2, xpIntoLevel: 279, xpForNextLevel: 280 });
      assert.deepEqual(levelProgress(380), { level: 3, xpIntoLevel: 0, xpForNextLevel: 520 });
    });

    it('reports 0 XP to the next level at the cap', () => {
      assert.deepEqual(levelProgress(3_950_160), { level: 100, xpIntoLevel: 0, xpForNextLevel: 0 });
      assert.deepEqual(levelProgress(3_950_170), { level: 100, xpIntoLevel: 10, xpForNextLevel: 0 });
    });

    it('rejects negative XP', () => {
      assert.throws(() => levelProgress(-5), RangeError);
    });
  });

  describe('levelsGained', () => {
    it('lists every level reached when jumping several levels', () => {
      assert.deepEqual(levelsGained(50, 2000), [2, 3, 4, 5]);
      assert.deepEqual(levelsGained(0, 100), [2]);
      assert.deepEqual(levelsGained(99, 380), [2, 3]);
    });

    it('is empty when no boundary is crossed or XP does not grow', () => {
      assert.deepEqual(levelsGained(100, 379), []);
      assert.deepEqual(levelsGained(500, 500), []);
      assert.deepEqual(levelsGained(2000, 50), []);
    });

    it('stops at the max level', () => {
      assert.deepEqual(levelsGained(xpToReachLevel(99), 10 ** 9), [100]);
      assert.equal(levelsGained(0, 10 ** 9).length, 99);
    });

    it('rejects negative XP', () => {
      assert.throws(() => levelsGained(-1, 10), RangeError);
      assert.throws(() => levelsGained(10, -1), RangeError);
    });
  });
});
