import fs from 'node:fs';
import path from 'node:path';
import { parseQuestionPack, type QuestionInput } from '../../domain/questionPack';
import type { QuestionSource } from '../entities/Question.entity';
import { chunks, valuesList, type SqlRunner } from '../sql';

/** Where the curated bank lives; resolved from this file so migrations work from any working directory. */
export const QUESTION_BANK_DIR = path.join(__dirname, 'questions');

/**
 * Reads and checks every `*.json` pack of the curated bank. Fails loudly, listing every problem as
 * `file:line: path: message`, and on an id used by two files (ON CONFLICT would silently drop one).
 */
export function loadQuestionBank(dir: string = QUESTION_BANK_DIR): QuestionInput[] {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  if (files.length === 0) throw new Error(`question bank: no *.json files in ${dir}`);
  const problems: string[] = [];
  const all: QuestionInput[] = [];
  const owner = new Map<string, string>();
  for (const file of files) {
    const parsed = parseQuestionPack(fs.readFileSync(path.join(dir, file), 'utf8'));
    if (!parsed.ok) {
      for (const p of parsed.problems) problems.push(`${file}:${p.line}: ${p.path}: ${p.message}`);
      continue;
    }
    for (const q of parsed.questions) {
      const first = owner.get(q.id);
      if (first) problems.push(`${file}: id "${q.id}" is also used in ${first}`);
      else owner.set(q.id, file);
      all.push(q);
    }
  }
  if (problems.length > 0) throw new Error(`question bank in ${dir} has ${problems.length} problems:\n${problems.join('\n')}`);
  return all;
}

const COLUMNS = '"id", "subject", "grade", "difficulty", "prompt", "choices", "answer", "source"';
const CASTS = [undefined, undefined, undefined, undefined, undefined, 'jsonb', undefined, undefined];
const BATCH = 500;

/**
 * Inserts questions in batches. `onConflict: 'ignore'` keeps existing rows (seeding); `'replace'`
 * overwrites them (a re-imported pack corrects its questions). Runs in the caller's transaction.
 */
export async function insertQuestions(
  runner: SqlRunner, questions: readonly QuestionInput[], source: QuestionSource, onConflict: 'ignore' | 'replace',
): Promise<void> {
  const conflict = onConflict === 'ignore'
    ? 'ON CONFLICT ("id") DO NOTHING'
    : `ON CONFLICT ("id") DO UPDATE SET "subject" = EXCLUDED."subject", "grade" = EXCLUDED."grade",
       "difficulty" = EXCLUDED."difficulty", "prompt" = EXCLUDED."prompt", "choices" = EXCLUDED."choices",
       "answer" = EXCLUDED."answer", "source" = EXCLUDED."source"`;
  for (const batch of chunks(questions, BATCH)) {
    const params = batch.flatMap((q) => [q.id, q.subject, q.grade, q.difficulty, q.prompt, JSON.stringify(q.choices), q.answer, source]);
    await runner.query(`INSERT INTO "questions" (${COLUMNS}) VALUES ${valuesList(batch.length, CASTS)} ${conflict}`, params);
  }
}
