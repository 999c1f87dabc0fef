import type { DataSource } from 'typeorm';
import { DomainError } from '../errors';
import { widenGradeBand, type GradeBand } from '../domain/gradeBand';
import { SUBJECTS, validateQuestions, type QuestionInput, type Subject } from '../domain/questionPack';
import { insertQuestions } from '../persistence/seed/questionBank';

/** What a battle asks the bank for. */
export interface CandidateQuery {
  subject: Subject | 'mixed';
  gradeMin: number;
  gradeMax: number;
  /** How many candidates to aim for (default 60): the band widens until at least this many are in it. */
  limit?: number;
}

/** A `questions` row as selected (the columns are the pack fields). */
type QuestionRow = QuestionInput;

/** The question bank in the database: candidates for battles, and imported packs. */
export class QuestionService {
  constructor(private readonly db: DataSource) {}

  /**
   * Every question of the subject (all subjects for 'mixed') in the grade band, ordered by id (bytewise,
   * COLLATE "C", so the order is the same whatever the server's locale) so that a seeded selection over
   * the result replays exactly. The band widens one grade each side until it holds
   * at least `limit` questions or covers grades 1..8; all questions in the final band are returned, so a
   * selection has the whole band to draw from, not the first ids of it.
   */
  async candidates(query: CandidateQuery): Promise<QuestionInput[]> {
    const subjects = query.subject === 'mixed' ? [...SUBJECTS] : [query.subject];
    if (!subjects.every((s) => (SUBJECTS as readonly string[]).includes(s))) {
      throw new DomainError('VALIDATION_FAILED', `unknown subject ${JSON.stringify(query.subject)}`);
    }
    const perGrade: Array<{ grade: number; n: number }> = await this.db.query(
      `SELECT "grade", count(*)::int AS "n" FROM "questions" WHERE "subject" = ANY($1::varchar[]) GROUP BY "grade"`, [subjects]);
    const countIn = (b: GradeBand) => perGrade.reduce((sum, r) => sum + (r.grade >= b.min && r.grade <= b.max ? r.n : 0), 0);
    const band = widenGradeBand(query.gradeMin, query.gradeMax, query.limit ?? 60, countIn);
    const rows: QuestionRow[] = await this.db.query(
      `SELECT "id", "subject", "grade", "difficulty", "prompt", "choices", "answer" FROM "questions"
        WHERE "subject" = ANY($1::varchar[]) AND "grade" BETWEEN $2 AND $3 ORDER BY "id" COLLATE "C"`, [subjects, band.min, band.max]);
    return rows.map((r) => ({
      id: r.id, subject: r.subject, grade: r.grade, difficulty: r.difficulty, prompt: r.prompt, choices: r.choices, answer: r.answer,
    }));
  }

  /**
   * Imports a pack: every question is checked first, then all are upserted (source 'pack') in one
   * transaction, so a pack lands whole or not at all. Returns how many were imported.
   */
  async importPack(questions: QuestionInput[]): Promise<number> {
    const checked = validateQuestions(questions);
    if (checked.problems.length > 0) {
      throw new DomainError('VALIDATION_FAILED', `the pack has ${checked.problems.length} problems`, {
        fields: checked.problems.map((p) => ({ path: p.path, message: p.message })),
      });
    }
    await this.db.transaction((m) => insertQuestions(m, checked.questions, 'pack', 'replace'));
    return checked.questions.length;
  }
}
