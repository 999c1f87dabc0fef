import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Quiz battles: students' grades, the question table, stored battles with their participants and answer
 * log, and the reward ledger whose unique key makes paying a battle twice impossible.
 */
export class Battles1764115200000 implements MigrationInterface {
  name = 'Battles1764115200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "users" ADD "grade" smallint`);
    await q.query(`ALTER TABLE "users" ADD CONSTRAINT "users_grade_check" CHECK ("grade" BETWEEN 1 AND 8)`);
    await q.query(`
      CREATE TABLE "questions" (
        "id" varchar(64) NOT NULL,
        "subject" varchar(16) NOT NULL,
        "grade" smallint NOT NULL,
        "difficulty" smallint NOT NULL,
        "prompt" varchar(200) NOT NULL,
        "choices" jsonb NOT NULL,
        "answer" smallint NOT NULL,
        "source" varchar(16) NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "questions_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "questions_grade_check" CHECK ("grade" BETWEEN 1 AND 8),
        CONSTRAINT "questions_difficulty_check" CHECK ("difficulty" BETWEEN 1 AND 3),
        CONSTRAINT "questions_answer_check" CHECK ("answer" >= 0),
        CONSTRAINT "questions_source_check" CHECK ("source" IN ('bank', 'pack'))
      )`);
    await q.query(`CREATE INDEX "questions_subject_grade_idx" ON "questions" ("subject", "grade")`);
    await q.query(`
      CREATE TABLE "battles" (
        "id" uuid NOT NULL,
        "mode" varchar(16) NOT NULL,
        "subject" varchar(16) NOT NULL,
        "rated" boolean NOT NULL,
        "seed" varchar(64) NOT NULL,
        "rounds" smallint NOT NULL,
        "question_ms" integer NOT NULL,
        "questions" jsonb NOT NULL,
        "bots" jsonb NOT NULL,
        "winner_user_id" uuid,
        "started_at" timestamptz NOT NULL,
        "ended_at" timestamptz NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "battles_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "battles_winner_fk" FOREIGN KEY ("winner_user_id") REFERENCES "users"("id") ON DELETE SET NULL
      )`);
    await q.query(`
      CREATE TABLE "battle_participants" (
        "battle_id" uuid NOT NULL,
        "user_id" uuid NOT NULL,
        "username" varchar(24) NOT NULL,
        "score" integer NOT NULL,
        "placement" smallint NOT NULL,
        "correct_answers" smallint NOT NULL,
        "forfeited" boolean NOT NULL,
        "rating_before" double precision NOT NULL,
        "rating_after" double precision NOT NULL,
        "deviation_before" double precision NOT NULL,
        "deviation_after" double precision NOT NULL,
        "xp" integer NOT NULL,
        "coins" integer NOT NULL,
        "ended_at" timestamptz NOT NULL,
        CONSTRAINT "battle_participants_pkey" PRIMARY KEY ("battle_id", "user_id"),
        CONSTRAINT "battle_participants_battle_fk" FOREIGN KEY ("battle_id") REFERENCES "battles"("id") ON DELETE CASCADE,
        CONSTRAINT "battle_participants_user_fk" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE
      )`);
    // History pages newest first: a backward scan of (user_id, ended_at) serves ORDER BY ended_at DESC.
    await q.query(`CREATE INDEX "battle_participants_user_ended_idx" ON "battle_participants" ("user_id", "ended_at")`);
    await q.query(`
      CREATE TABLE "battle_answers" (
        "battle_id" uuid NOT NULL,
        "round" smallint NOT NULL,
        "user_id" varchar(64) NOT NULL,
        "choice" smallint NOT NULL,
        "correct" boolean NOT NULL,
        "elapsed_ms" integer NOT NULL,
        "points" integer NOT NULL,
        CONSTRAINT "battle_answers_pkey" PRIMARY KEY ("battle_id", "round", "user_id"),
        CONSTRAINT "battle_answers_battle_fk" FOREIGN KEY ("battle_id") REFERENCES "battles"("id") ON DELETE CASCADE
      )`);
    await q.query(`
      CREATE TABLE "reward_ledger" (
        "id" uuid NOT NULL,
        "user_id" uuid NOT NULL,
        "battle_id" uuid NOT NULL,
        "kind" varchar(32) NOT NULL,
        "xp" integer NOT NULL,
        "coins" integer NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "reward_ledger_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "reward_ledger_battle_user_kind_key" UNIQUE ("battle_id", "user_id", "kind"),
        CONSTRAINT "reward_ledger_user_fk" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE,
        CONSTRAINT "reward_ledger_battle_fk" FOREIGN KEY ("battle_id") REFERENCES "battles"("id") ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX "reward_ledger_user_idx" ON "reward_ledger" ("user_id")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "reward_ledger"`);
    await q.query(`DROP TABLE "battle_answers"`);
    await q.query(`DROP TABLE "battle_participants"`);
    await q.query(`DROP TABLE "battles"`);
    await q.query(`DROP TABLE "questions"`);
    await q.query(`ALTER TABLE "users" DROP CONSTRAINT "users_grade_check"`);
    await q.query(`ALTER TABLE "users" DROP COLUMN "grade"`);
  }
}
