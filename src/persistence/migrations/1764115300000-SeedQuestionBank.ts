import type { MigrationInterface, QueryRunner } from 'typeorm';
import { insertQuestions, loadQuestionBank } from '../seed/questionBank';

/**
 * Seeds the curated question bank from src/persistence/seed/questions/*.json (found relative to this
 * file, so any working directory works). A pack with a problem stops the migration with every problem
 * listed. Existing ids are kept (ON CONFLICT DO NOTHING); later bank edits need their own migration.
 */
export class SeedQuestionBank1764115300000 implements MigrationInterface {
  name = 'SeedQuestionBank1764115300000';

  async up(q: QueryRunner): Promise<void> {
    await insertQuestions(q, loadQuestionBank(), 'bank', 'ignore');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM "questions" WHERE "source" = 'bank'`);
  }
}
