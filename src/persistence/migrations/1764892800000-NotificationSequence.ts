import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Notifications get an insertion sequence (`seq`), the tiebreaker of "oldest first" where `created_at`
 * ties: every notification one transaction makes has the same `created_at` (PostgreSQL's now() is the
 * transaction's start), and the embedded database's clock moves in whole milliseconds. Until now those
 * came in the order of their random ids (a level-up before the battle that earned it).
 *
 * Existing rows are numbered in the order they were shown until now (created_at, then id); new rows take
 * the identity's next value, in the order they are inserted (a multi-row INSERT numbers them in its
 * VALUES order). The index that serves a user's notifications oldest or newest first gets `seq` as its
 * third column.
 */
export class NotificationSequence1764892800000 implements MigrationInterface {
  name = 'NotificationSequence1764892800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "notifications" ADD "seq" bigint`);
    await q.query(`
      UPDATE "notifications" AS "n" SET "seq" = "o"."rn"
      FROM (SELECT "id", row_number() OVER (ORDER BY "created_at", "id") AS "rn" FROM "notifications") AS "o"
      WHERE "n"."id" = "o"."id"`);
    await q.query(`ALTER TABLE "notifications" ALTER COLUMN "seq" SET NOT NULL`);
    await q.query(`ALTER TABLE "notifications" ALTER COLUMN "seq" ADD GENERATED ALWAYS AS IDENTITY`);
    await q.query(`SELECT setval(pg_get_serial_sequence('"notifications"', 'seq'), (SELECT coalesce(max("seq"), 0) + 1 FROM "notifications"), false)`);
    await q.query(`DROP INDEX "notifications_user_created_idx"`);
    await q.query(`CREATE INDEX "notifications_user_created_seq_idx" ON "notifications" ("user_id", "created_at", "seq")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "notifications_user_created_seq_idx"`);
    await q.query(`CREATE INDEX "notifications_user_created_idx" ON "notifications" ("user_id", "created_at")`);
    await q.query(`ALTER TABLE "notifications" DROP COLUMN "seq"`);
  }
}
