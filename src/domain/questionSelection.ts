import { generateArithmetic } from './arithmetic';
import type { PlayedQuestion } from './battleRecord';
import type { QuestionInput, Subject } from './questionPack';
import type { Rng } from './random';

/** What a battle asks for: its subject ("mixed" draws from all) and the band of its players' grades. */
export interface SelectionRequest {
  subject: Subject | 'mixed';
  gradeMin: number;
  gradeMax: number;
  count: number;
}

/**
 * Picks a battle's questions from the bank candidates with the battle's seeded random source: no
 * question twice, choices shuffled, and, for math or mixed battles, generated arithmetic at the players'
 * grades when the bank runs short. Pure: the same candidates and seed give the same battle.
 */
export function selectQuestions(candidates: readonly QuestionInput[], req: SelectionRequest, rng: Rng): PlayedQuestion[] {
  const seen = new Set<string>();
  const seenPrompts = new Set<string>();
  const pool = rng.shuffle(candidates.filter((q) => req.subject === 'mixed' || q.subject === req.subject));
  const picked: QuestionInput[] = [];
  for (const q of pool) {
    if (picked.length >= req.count) break;
    if (seen.has(q.id) || seenPrompts.has(q.prompt)) continue;
    seen.add(q.id);
    seenPrompts.add(q.prompt);
    picked.push(q);
  }
  if (picked.length < req.count && (req.subject === 'math' || req.subject === 'mixed')) {
    for (let seq = 0; picked.length < req.count && seq < req.count * 20; seq++) {
      const grade = rng.int(Math.max(1, req.gradeMin), Math.min(8, Math.max(req.gradeMin, req.gradeMax)));
      const q = generateArithmetic(grade, rng, seq);
      if (seen.has(q.id) || seenPrompts.has(q.prompt)) continue;
      seen.add(q.id);
      seenPrompts.add(q.prompt);
      picked.push(q);
    }
  }
  if (picked.length < req.count) throw new Error(`only ${picked.length} questions for ${req.subject}, grades ${req.gradeMin}-${req.gradeMax}; need ${req.count}`);
  return picked.map((q, i) => shuffleChoices(q, i + 1, rng));
}

/** Shuffles a question's choices and follows its correct answer to the new position. */
export function shuffleChoices(q: QuestionInput, round: number, rng: Rng): PlayedQuestion {
  const order = rng.shuffle(q.choices.map((_, i) => i));
  return { round, questionId: q.id, prompt: q.prompt, choices: order.map((i) => q.choices[i]), correctChoice: order.indexOf(q.answer) };
}

/** The grade band of a battle from its players' grades (unknown grades count as the default). */
export function gradeBand(grades: ReadonlyArray<number | null | undefined>, fallback = 4): { gradeMin: number; gradeMax: number } {
  const known = grades.map((g) => (typeof g === 'number' && g >= 1 && g <= 8 ? g : fallback));
  if (known.length === 0) return { gradeMin: fallback, gradeMax: fallback };
  return { gradeMin: Math.min(...known), gradeMax: Math.max(...known) };
}
