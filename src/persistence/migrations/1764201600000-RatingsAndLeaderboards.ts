import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Ratings and leaderboards (issue 4): per-subject Glicko-2 ratings, a rating history, XP per UTC week, and
 * the leaderboard tables — one row per student and board (leaderboard_entries) plus the rank histogram
 * (leaderboard_buckets) that answers ranks without counting the board.
 *
 * Backfill from what issue 3 stored: the overall rating and all-time XP boards from users, each week's XP
 * and the overall rating history from battle_participants, this week's XP board from weekly_xp, and the
 * histogram from the entries. Subject ratings start empty: battles so far were only rated overall.
 * The histogram widths (1, 64, 64², 64³, 64⁴) are written out here on purpose, frozen as of this migration;
 * they must equal BUCKET_WIDTHS in src/domain/leaderboards.ts.
 */
export class RatingsAndLeaderboards1764201600000 implements MigrationInterface {
  name = 'RatingsAndLeaderboards1764201600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "subject_ratings" (
        "user_id" uuid NOT NULL,
        "subject" varchar(16) NOT NULL,
        "rating" double precision NOT NULL,
        "deviation" double precision NOT NULL,
        "volatility" double precision NOT NULL,
        "rated_at" timestamptz NOT NULL,
        "battles" integer NOT NULL,
        CONSTRAINT "subject_ratings_pkey" PRIMARY KEY ("user_id", "subject"),
        CONSTRAINT "subject_ratings_subject_check" CHECK ("subject" IN ('math', 'science', 'language', 'geography')),
        CONSTRAINT "subject_ratings_user_fk" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE
      )`);
    await q.query(`
      CREATE TABLE "rating_history" (
        "id" uuid NOT NULL,
        "user_id" uuid NOT NULL,
        "scope" varchar(16) NOT NULL,
        "battle_id" uuid NOT NULL,
        "rating_before" double precision NOT NULL,
        "rating_after" double precision NOT NULL,
        "deviation_before" double precision NOT NULL,
        "deviation_after" double precision NOT NULL,
        "created_at" timestamptz NOT NULL,
        CONSTRAINT "rating_history_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "rating_history_battle_user_scope_key" UNIQUE ("battle_id", "user_id", "scope"),
        CONSTRAINT "rating_history_scope_check" CHECK ("scope" IN ('overall', 'math', 'science', 'language', 'geography')),
        CONSTRAINT "rating_history_user_fk" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE,
        CONSTRAINT "rating_history_battle_fk" FOREIGN KEY ("battle_id") REFERENCES "battles"("id") ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX "rating_history_user_created_idx" ON "rating_history" ("user_id", "created_at" DESC)`);
    await q.query(`
      CREATE TABLE "weekly_xp" (
        "week_start" date NOT NULL,
        "user_id" uuid NOT NULL,
        "xp" integer NOT NULL,
        CONSTRAINT "weekly_xp_pkey" PRIMARY KEY ("week_start", "user_id"),
        CONSTRAINT "weekly_xp_xp_check" CHECK ("xp" >= 0),
        CONSTRAINT "weekly_xp_user_fk" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE
      )`);
    await q.query(`
      CREATE TABLE "leaderboard_entries" (
        "board" varchar(32) NOT NULL,
        "user_id" uuid NOT NULL,
        "username" varchar(24) COLLATE "C" NOT NULL,
        "value" integer NOT NULL,
        CONSTRAINT "leaderboard_entries_pkey" PRIMARY KEY ("board", "user_id"),
        CONSTRAINT "leaderboard_entries_user_fk" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT
      )`);
    // The board order itself, so the top page and both halves of an "around me" page are index range scans
    // that stop after `limit` rows.
    await q.query(`CREATE INDEX "leaderboard_entries_order_idx" ON "leaderboard_entries" ("board", "value" DESC, "username")`);
    await q.query(`
      CREATE TABLE "leaderboard_buckets" (
        "board" varchar(32) NOT NULL,
        "level" smallint NOT NULL,
        "bucket" integer NOT NULL,
        "members" integer NOT NULL,
        CONSTRAINT "leaderboard_buckets_pkey" PRIMARY KEY ("board", "level", "bucket")
      )`);

    // Backfill. Shown ratings round half up, as Math.round does (round() on a double would round half to even).
    await q.query(`
      INSERT INTO "weekly_xp" ("week_start", "user_id", "xp")
      SELECT date_trunc('week', p."ended_at" AT TIME ZONE 'UTC')::date, p."user_id", sum(p."xp")::int
        FROM "battle_participants" p
       GROUP BY 1, 2
      HAVING sum(p."xp") > 0`);
    await q.query(`
      INSERT INTO "rating_history" ("id", "user_id", "scope", "battle_id", "rating_before", "rating_after", "deviation_before", "deviation_after", "created_at")
      SELECT gen_random_uuid(), p."user_id", 'overall', p."battle_id", p."rating_before", p."rating_after", p."deviation_before", p."deviation_after", p."ended_at"
        FROM "battle_participants" p
        JOIN "battles" b ON b."id" = p."battle_id"
       WHERE b."rated" AND (SELECT count(*) FROM "battle_participants" o WHERE o."battle_id" = p."battle_id") >= 2`);
    await q.query(`
      INSERT INTO "leaderboard_entries" ("board", "user_id", "username", "value")
      SELECT 'rating', "id", "username", floor("rating" + 0.5)::int FROM "users" WHERE "role" = 'student' AND "rated_at" IS NOT NULL
      UNION ALL
      SELECT 'xp', "id", "username", "xp" FROM "users" WHERE "role" = 'student' AND "xp" > 0
      UNION ALL
      SELECT 'xp_week:' || to_char(w."week_start", 'YYYY-MM-DD'), u."id", u."username", w."xp"
        FROM "weekly_xp" w JOIN "users" u ON u."id" = w."user_id"
       WHERE u."role" = 'student' AND w."week_start" = date_trunc('week', now() AT TIME ZONE 'UTC')::date`);
    await q.query(`
      INSERT INTO "leaderboard_buckets" ("board", "level", "bucket", "members")
      SELECT e."board", l."level", floor(e."value"::float8 / l."width")::int, count(*)::int
        FROM "leaderboard_entries" e
       CROSS JOIN (VALUES (0, 1), (1, 64), (2, 4096), (3, 262144), (4, 16777216)) AS l("level", "width")
       GROUP BY 1, 2, 3`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "leaderboard_buckets"`);
    await q.query(`DROP TABLE "leaderboard_entries"`);
    await q.query(`DROP TABLE "weekly_xp"`);
    await q.query(`DROP TABLE "rating_history"`);
    await q.query(`DROP TABLE "subject_ratings"`);
  }
}
