import assert from 'node:assert/strict';
import { GLICKO2, type Rating } from '../../src/domain/glicko2';
import { RATING_PERIOD_MS, decayedRating, idlePeriods } from '../../src/domain/ratingPeriods';

const DAY = 86_400_000;
const t0 = new Date('2026-03-02T10:00:00.000Z');
const after = (ms: number) => new Date(t0.getTime() + ms);
const rating = (rd: number, vol = 0.06): Rating => ({ rating: 1620, deviation: rd, volatility: vol });

/** Step 6 applied n times, in closed form: φ'² = φ² + n·σ² (valid while no bound is hit). */
function closedForm(rd: number, vol: number, n: number): number {
  const phi = rd / GLICKO2.scale;
  return Math.sqrt(phi * phi + n * vol * vol) * GLICKO2.scale;
}

describe('ratingPeriods', () => {
  it('has a period of one day', () => {
    assert.equal(RATING_PERIOD_MS, DAY);
  });

  describe('idlePeriods', () => {
    it('counts whole days since the rating last moved, dropping the fraction', () => {
      assert.equal(idlePeriods(t0, t0), 0);
      assert.equal(idlePeriods(t0, after(DAY - 1)), 0);
      assert.equal(idlePeriods(t0, after(DAY)), 1);
      assert.equal(idlePeriods(t0, after(30.5 * DAY)), 30);
      assert.equal(idlePeriods(t0, after(365 * DAY + 5)), 365);
    });

    it('is 0 for a player never rated, and for a time before the last change (out-of-order battles)', () => {
      assert.equal(idlePeriods(null, after(100 * DAY)), 0);
      assert.equal(idlePeriods(t0, after(-3 * DAY)), 0);
    });

    it('refuses invalid dates', () => {
      assert.throws(() => idlePeriods(t0, new Date('nope')), RangeError);
      assert.throws(() => idlePeriods(new Date('nope'), t0), RangeError);
    });
  });

  describe('decayedRating', () => {
    it('changes nothing within the first day', () => {
      assert.deepEqual(decayedRating(rating(80), t0, after(DAY - 1)), rating(80));
    });

    it('grows the deviation by Glicko-2 step 6 once per idle day, as the closed form says', () => {
      const decayed = decayedRating(rating(50), t0, after(30 * DAY + 3600_000));
      assert.ok(Math.abs(decayed.deviation - closedForm(50, 0.06, 30)) < 1e-9, `${decayed.deviation}`);
      // Literal check: 50 → 75.89 after 30 idle days with σ = 0.06.
      assert.equal(decayed.deviation.toFixed(2), '75.89');
      assert.equal(decayed.rating, 1620, 'the rating itself does not move');
      assert.equal(decayed.volatility, 0.06);
    });

    it('grows faster for a more volatile player and never beyond a new player\'s deviation', () => {
      assert.ok(decayedRating(rating(50, 0.09), t0, after(30 * DAY)).deviation > decayedRating(rating(50, 0.06), t0, after(30 * DAY)).deviation);
      assert.equal(decayedRating(rating(50), t0, after(20 * 365 * DAY)).deviation, GLICKO2.maxDeviation);
      assert.equal(decayedRating(rating(350), t0, after(10 * DAY)).deviation, 350);
    });

    it('only ever grows with time', () => {
      let previous = 0;
      for (let days = 0; days <= 2000; days += 37) {
        const rd = decayedRating(rating(30), t0, after(days * DAY)).deviation;
        assert.ok(rd >= previous, `day ${days}: ${rd} < ${previous}`);
        previous = rd;
      }
    });
  });
});
