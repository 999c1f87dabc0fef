/**
 * Which school grades a battle draws its questions from. Players ask for a band (their grades); when the
 * bank holds too few questions there, the band grows one grade on each side at a time, so questions stay
 * as close to the players' level as the bank allows.
 */
import { QUESTION_LIMITS } from './questionPack';

export interface GradeBand {
  min: number;
  max: number;
}

/**
 * Widens [gradeMin, gradeMax] by one grade each side until `countIn(band)` reaches `wanted` or the band
 * covers every grade. `countIn` is a pure lookup (e.g. over per-grade counts) so this stays testable.
 */
export function widenGradeBand(gradeMin: number, gradeMax: number, wanted: number, countIn: (band: GradeBand) => number): GradeBand {
  const { minGrade, maxGrade } = QUESTION_LIMITS;
  if (!Number.isInteger(gradeMin) || !Number.isInteger(gradeMax) || gradeMin > gradeMax) {
    throw new RangeError(`grade band must be integers with min <= max, got [${gradeMin}, ${gradeMax}]`);
  }
  if (!Number.isInteger(wanted) || wanted < 1) throw new RangeError(`wanted must be a positive integer, got ${wanted}`);
  // Out-of-range requests are clamped rather than refused: a grade-9 player still gets grade-8 questions.
  let band: GradeBand = {
    min: Math.min(maxGrade, Math.max(minGrade, gradeMin)),
    max: Math.max(minGrade, Math.min(maxGrade, gradeMax)),
  };
  while (countIn(band) < wanted && (band.min > minGrade || band.max < maxGrade)) {
    band = { min: Math.max(minGrade, band.min - 1), max: Math.min(maxGrade, band.max + 1) };
  }
  return band;
}
