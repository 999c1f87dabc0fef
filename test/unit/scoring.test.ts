import assert from 'node:assert/strict';
import { SCORING, assignPlacements, scoreAnswer, winnerOf } from '../../src/domain/scoring';

const DURATION = 10_000;
const correctAt = (elapsedMs: number, streakBefore = 0) =>
  scoreAnswer({ correct: true, elapsedMs, durationMs: DURATION, streakBefore });

describe('scoring', () => {
  describe('scoreAnswer speed points', () => {
    it('gives full points at the start and up to 20% of the duration', () => {
      assert.equal(correctAt(0).speedPoints, 1000);
      assert.equal(correctAt(1000).speedPoints, 1000);
      assert.equal(correctAt(2000).speedPoints, 1000);
    });

    it('falls linearly after 20% to half points at the deadline', () => {
      assert.equal(correctAt(2001).speedPoints, 1000); // 999.9375 rounds to 1000
      assert.equal(correctAt(4000).speedPoints, 875);
      assert.equal(correctAt(6000).speedPoints, 750);
      assert.equal(correctAt(8000).speedPoints, 625);
      assert.equal(correctAt(10_000).speedPoints, 500);
      assert.equal(correctAt(3333).speedPoints, 917); // 1000 * (1 - 0.5 * 0.1333 / 0.8) = 916.69
    });

    it('clamps elapsed time into [0, duration]', () => {
      assert.equal(correctAt(-500).speedPoints, 1000);
      assert.equal(correctAt(25_000).speedPoints, 500);
      assert.equal(correctAt(Number.POSITIVE_INFINITY).speedPoints, 500);
    });

    it('returns integer points for awkward durations', () => {
      const s = scoreAnswer({ correct: true, elapsedMs: 7777, durationMs: 13_001, streakBefore: 0 });
      assert.ok(Number.isInteger(s.points));
      assert.equal(s.speedPoints, Math.round(1000 * (1 - 0.5 * (7777 / 13_001 - 0.2) / 0.8)));
    });

    it('gives nothing for a wrong answer, however fast, and resets the streak', () => {
      assert.deepEqual(scoreAnswer({ correct: false, elapsedMs: 0, durationMs: DURATION, streakBefore: 7 }), {
        points: 0, streak: 0, speedPoints: 0, streakBonus: 0,
      });
    });

    it('rejects nonsense input with a RangeError', () => {
      assert.throws(() => scoreAnswer({ correct: true, elapsedMs: 0, durationMs: 0, streakBefore: 0 }), RangeError);
      assert.throws(() => scoreAnswer({ correct: true, elapsedMs: 0, durationMs: -5, streakBefore: 0 }), RangeError);
      assert.throws(() => scoreAnswer({ correct: true, elapsedMs: 0, durationMs: Number.NaN, streakBefore: 0 }), RangeError);
      assert.throws(() => scoreAnswer({ correct: true, elapsedMs: Number.NaN, durationMs: DURATION, streakBefore: 0 }), RangeError);
      assert.throws(() => scoreAnswer({ correct: false, elapsedMs: Number.NaN, durationMs: DURATION, streakBefore: 0 }), RangeError);
      assert.throws(() => scoreAnswer({ correct: true, elapsedMs: 0, durationMs: DURATION, streakBefore: -1 }), RangeError);
      assert.throws(() => scoreAnswer({ correct: true, elapsedMs: 0, durationMs: DURATION, streakBefore: 1.5 }), RangeError);
    });
  });

  describe('scoreAnswer streaks', () => {
    it('grows the streak and bonus by 100 per consecutive correct answer, capped at 500', () => {
      let streak = 0;
      const bonuses: number[] = [];
      const totals: number[] = [];
      for (let i = 0; i < 9; i++) {
        const s = correctAt(0, streak);
        assert.equal(s.streak, streak + 1);
        streak = s.streak;
        bonuses.push(s.streakBonus);
        totals.push(s.points);
      }
      assert.deepEqual(bonuses, [0, 100, 200, 300, 400, 500, 500, 500, 500]);
      assert.deepEqual(totals, [1000, 1100, 1200, 1300, 1400, 1500, 1500, 1500, 1500]);
      assert.equal(SCORING.streakCap, 500);
    });

    it('adds the bonus to slow answers too', () => {
      assert.deepEqual(correctAt(6000, 2), { points: 950, streak: 3, speedPoints: 750, streakBonus: 200 });
    });

    it('restarts at streak 1 with no bonus after a miss', () => {
      const miss = scoreAnswer({ correct: false, elapsedMs: 1, durationMs: DURATION, streakBefore: 4 });
      const next = correctAt(0, miss.streak);
      assert.equal(next.streak, 1);
      assert.equal(next.streakBonus, 0);
      assert.equal(next.points, 1000);
    });
  });

  describe('assignPlacements', () => {
    it('uses competition ranking: ties share a placement and the next one skips', () => {
      const placed = assignPlacements([
        { id: 'a', score: 1500 },
        { id: 'b', score: 3000 },
        { id: 'c', score: 3000 },
        { id: 'd', score: 200 },
      ]);
      assert.deepEqual(placed.map((p) => [p.id, p.placement]), [['b', 1], ['c', 1], ['a', 3], ['d', 4]]);
    });

    it('handles ties further down and all-equal scores', () => {
      const placed = assignPlacements([
        { id: 'a', score: 10 }, { id: 'b', score: 5 }, { id: 'c', score: 5 }, { id: 'd', score: 5 }, { id: 'e', score: 1 },
      ]);
      assert.deepEqual(placed.map((p) => p.placement), [1, 2, 2, 2, 5]);
      const equal = assignPlacements([{ id: 'x', score: 0 }, { id: 'y', score: 0 }, { id: 'z', score: 0 }]);
      assert.deepEqual(equal.map((p) => [p.id, p.placement]), [['x', 1], ['y', 1], ['z', 1]]);
    });

    it('keeps input order for equal scores and does not mutate the input', () => {
      const input = [
        { id: 'p1', score: 100 }, { id: 'p2', score: 200 }, { id: 'p3', score: 100 }, { id: 'p4', score: 100 },
      ];
      const copy = structuredClone(input);
      const placed = assignPlacements(input);
      assert.deepEqual(placed.map((p) => p.id), ['p2', 'p1', 'p3', 'p4']);
      assert.deepEqual(input, copy);
      assert.ok(!('placement' in input[0]));
    });

    it('returns an empty list for no players and rejects NaN scores', () => {
      assert.deepEqual(assignPlacements([]), []);
      assert.throws(() => assignPlacements([{ score: Number.NaN }]), RangeError);
    });
  });

  describe('winnerOf', () => {
    it('returns the single first-placed player', () => {
      const placed = assignPlacements([{ id: 'a', score: 1 }, { id: 'b', score: 9 }, { id: 'c', score: 8 }]);
      assert.equal(winnerOf(placed)?.id, 'b');
    });

    it('returns null on a tie for first or with no players', () => {
      const placed = assignPlacements([{ id: 'a', score: 9 }, { id: 'b', score: 9 }, { id: 'c', score: 1 }]);
      assert.equal(winnerOf(placed), null);
      assert.equal(winnerOf([]), null);
    });
  });
});
