/**
 * Quiz battle scoring: points per answer, answer streaks and final placements.
 * Pure rules: the caller measures time and passes it in, so a stored game replays identically.
 */

/**
 * Scoring constants.
 * - basePoints: points for a fast correct answer; large enough that speed differences show as whole points.
 * - fullPointsWindow: fraction of the round during which a correct answer still earns full points, so
 *   children who need a moment to read the question are not punished for reading.
 * - minFraction: fraction of basePoints a correct answer earns at the very deadline; a slow correct
 *   answer must always beat a fast wrong one by a wide margin.
 * - streakStep: bonus added per consecutive correct answer after the first, to reward consistency.
 * - streakCap: upper bound of the streak bonus, so one long streak cannot decide a battle on its own.
 */
export const SCORING = {
  basePoints: 1000,
  fullPointsWindow: 0.2,
  minFraction: 0.5,
  streakStep: 100,
  streakCap: 500,
} as const;

export interface AnswerInput {
  correct: boolean;
  /** Time from the start of the round to the answer. */
  elapsedMs: number;
  /** Length of the round. */
  durationMs: number;
  /** Consecutive correct answers before this one. */
  streakBefore: number;
}

export interface AnswerScore {
  /** Total awarded: speedPoints + streakBonus. */
  points: number;
  /** Streak after this answer. */
  streak: number;
  speedPoints: number;
  streakBonus: number;
}

/** Scores one answer; a wrong or missing answer scores nothing and breaks the streak. */
export function scoreAnswer(input: AnswerInput): AnswerScore {
  const { correct, elapsedMs, durationMs, streakBefore } = input;
  if (!Number.isFinite(durationMs) || durationMs <= 0) throw new RangeError(`durationMs must be a positive finite number, got ${durationMs}`);
  if (Number.isNaN(elapsedMs)) throw new RangeError('elapsedMs is NaN');
  if (!Number.isInteger(streakBefore) || streakBefore < 0) throw new RangeError(`streakBefore must be a non-negative integer, got ${streakBefore}`);

  if (!correct) return { points: 0, streak: 0, speedPoints: 0, streakBonus: 0 };

  // Clamped because client/server clock skew can put an answer slightly before the start or after the deadline.
  const fraction = Math.min(Math.max(elapsedMs, 0), durationMs) / durationMs;
  const { basePoints, fullPointsWindow, minFraction, streakStep, streakCap } = SCORING;
  const decay = fraction <= fullPointsWindow ? 0 : (fraction - fullPointsWindow) / (1 - fullPointsWindow);
  const speedPoints = Math.round(basePoints * (1 - (1 - minFraction) * decay));

  const streak = streakBefore + 1;
  const streakBonus = Math.min(streakCap, streakStep * (streak - 1));
  return { points: speedPoints + streakBonus, streak, speedPoints, streakBonus };
}

/** Ranks players by score with competition ranking (1,1,3) so tied players are treated identically. */
export function assignPlacements<T extends { score: number }>(players: T[]): Array<T & { placement: number }> {
  for (const p of players) {
    if (!Number.isFinite(p.score)) throw new RangeError(`score must be finite, got ${p.score}`);
  }
  // Array.prototype.sort is stable, so equal scores keep their input order.
  const sorted = players.slice().sort((a, b) => b.score - a.score);
  const placed: Array<T & { placement: number }> = [];
  sorted.forEach((p, i) => {
    const prev = placed[i - 1];
    const placement = prev !== undefined && prev.score === p.score ? prev.placement : i + 1;
    placed.push({ ...p, placement });
  });
  return placed;
}

/** The sole first-placed player, or null when first place is shared (a tie has no winner). */
export function winnerOf<T extends { placement: number }>(placed: readonly T[]): T | null {
  const first = placed.filter((p) => p.placement === 1);
  return first.length === 1 ? first[0] : null;
}
