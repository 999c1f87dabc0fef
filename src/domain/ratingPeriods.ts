/**
 * Inactivity in Glicko-2 rating periods. A battle is its own rating period (see BattleService), but time
 * without battles must still count: Glickman's step 6 grows an idle player's deviation once per period
 * in which they did not play. Here an idle period is one full RATING_PERIOD_MS of wall-clock time since
 * the rating last moved. Pure: the caller passes both instants.
 */
import { decayDeviation, type Rating } from './glicko2';

/**
 * One idle rating period: a day. Why a day: children play in daily sessions (school days, weekends), so a
 * day without battles is the natural "did not play this period" unit, and the growth it gives fits the
 * game. With the default volatility 0.06 a deviation at the 30 floor grows to about 65 after 30 idle days
 * and back to the new-player 350 only after roughly three years, so a holiday makes the next few battles
 * count a bit more without wiping what the rating knows. A shorter period (an hour) would send a player
 * who skipped a month back to "unknown"; a longer one (a week) would barely react to real breaks.
 */
export const RATING_PERIOD_MS = 86_400_000;

/**
 * Whole idle periods between the last rating change and `at`; 0 when never rated or when `at` is not
 * later (a battle that ended before the latest rated one, finished out of order, decays nothing).
 * The fraction of a period left over is dropped, not carried: the next rating change restarts the count.
 */
export function idlePeriods(ratedAt: Date | null, at: Date): number {
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw new RangeError(`at must be a valid Date, got ${String(at)}`);
  if (ratedAt === null) return 0;
  if (!(ratedAt instanceof Date) || Number.isNaN(ratedAt.getTime())) throw new RangeError(`ratedAt must be a valid Date or null, got ${String(ratedAt)}`);
  return Math.max(0, Math.floor((at.getTime() - ratedAt.getTime()) / RATING_PERIOD_MS));
}

/** The rating as of `at`: the stored one with its deviation grown by Glicko-2 step 6 for each idle period. */
export function decayedRating(rating: Rating, ratedAt: Date | null, at: Date): Rating {
  return decayDeviation(rating, idlePeriods(ratedAt, at));
}
