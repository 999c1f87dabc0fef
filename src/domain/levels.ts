/**
 * Player level curve: how much XP each level costs.
 *
 * Level 1 starts at 0 XP. Going from level L to L+1 costs 100 * L^1.5 XP, rounded to the nearest 10,
 * so early levels come quickly (a child levels up after the first few battles) and later ones slow down
 * without becoming unreachable. Capped at level 100.
 *
 *   L → L+1   XP for step   total XP to reach L+1
 *   1 → 2          100             100
 *   2 → 3          280             380
 *   3 → 4          520             900
 *   4 → 5          800            1700
 *   5 → 6         1120            2820
 *  10 → 11        3160           14260
 *  99 → 100      98500         3950160
 */

/** Highest level; XP past it still accumulates but no longer levels up. */
export const MAX_LEVEL = 100;

/** Nearest integer to sqrt(n) for a non-negative safe integer n, exact (no floating-point rounding doubt). */
function roundSqrt(n: number): number {
  let r = Math.floor(Math.sqrt(n));
  // Correct a possible off-by-one of the float sqrt.
  while (r * r > n) r--;
  while ((r + 1) * (r + 1) <= n) r++;
  // sqrt(n) > r + 0.5  <=>  n > r^2 + r + 0.25  <=>  n > r^2 + r (integers).
  return n - r * r > r ? r + 1 : r;
}

/** XP to go from `level` to `level + 1`: round(100 * L^1.5 / 10) * 10 = 10 * round(sqrt(100 * L^3)). */
function stepCost(level: number): number {
  return 10 * roundSqrt(100 * level * level * level);
}

/** Cumulative XP thresholds; index L holds the XP needed to reach level L (index 0 unused). */
const THRESHOLDS: readonly number[] = (() => {
  const t = [0, 0];
  for (let level = 1; level < MAX_LEVEL; level++) t.push(t[level] + stepCost(level));
  return t;
})();

function assertXp(xp: number, what = 'xp'): void {
  if (!Number.isSafeInteger(xp) || xp < 0) throw new RangeError(`${what} must be a non-negative integer, got ${xp}`);
}

/** Total XP at which `level` is reached; the inverse of levelForXp at level boundaries. */
export function xpToReachLevel(level: number): number {
  if (!Number.isInteger(level) || level < 1 || level > MAX_LEVEL) throw new RangeError(`level must be an integer in [1, ${MAX_LEVEL}], got ${level}`);
  return THRESHOLDS[level];
}

/** The level a player with `xp` total XP has reached. */
export function levelForXp(xp: number): number {
  assertXp(xp);
  // Binary search for the highest level whose threshold is <= xp.
  let lo = 1;
  let hi = MAX_LEVEL;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (THRESHOLDS[mid] <= xp) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export interface LevelProgress {
  level: number;
  /** XP earned since reaching `level`. */
  xpIntoLevel: number;
  /** XP cost of the whole step from `level` to the next (not the remainder); 0 at MAX_LEVEL. */
  xpForNextLevel: number;
}

/** Data for a progress bar: xpIntoLevel / xpForNextLevel is the filled fraction (below MAX_LEVEL). */
export function levelProgress(xp: number): LevelProgress {
  const level = levelForXp(xp);
  const xpIntoLevel = xp - THRESHOLDS[level];
  const xpForNextLevel = level < MAX_LEVEL ? THRESHOLDS[level + 1] - THRESHOLDS[level] : 0;
  return { level, xpIntoLevel, xpForNextLevel };
}

/** Every level newly reached between two XP totals, one notification each; empty if XP did not grow. */
export function levelsGained(xpBefore: number, xpAfter: number): number[] {
  assertXp(xpBefore, 'xpBefore');
  assertXp(xpAfter, 'xpAfter');
  const from = levelForXp(xpBefore);
  const to = levelForXp(xpAfter);
  const gained: number[] = [];
  for (let level = from + 1; level <= to; level++) gained.push(level);
  return gained;
}
