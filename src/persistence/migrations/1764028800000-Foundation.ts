import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Accounts with their game profile, parent links, link codes and notifications. */
export class Foundation1764028800000 implements MigrationInterface {
  name = 'Foundation1764028800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "users" (
        "id" uuid NOT NULL,
        "username" varchar(24) NOT NULL,
        "password_hash" varchar(200) NOT NULL,
        "role" varchar(16) NOT NULL,
        "display_name" varchar(40) NOT NULL,
        "level" integer NOT NULL DEFAULT 1,
        "xp" integer NOT NULL DEFAULT 0,
        "coins" integer NOT NULL DEFAULT 0,
        "rating" double precision NOT NULL DEFAULT 1500,
        "rating_deviation" double precision NOT NULL DEFAULT 350,
        "rating_volatility" double precision NOT NULL DEFAULT 0.06,
        "rated_at" timestamptz,
        "battles" integer NOT NULL DEFAULT 0,
        "wins" integer NOT NULL DEFAULT 0,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "users_pkey" PRIMARY KEY ("id")
      )`);
    await q.query(`CREATE UNIQUE INDEX "users_username_key" ON "users" ("username")`);
    await q.query(`
      CREATE TABLE "parent_children" (
        "parent_id" uuid NOT NULL,
        "child_id" uuid NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "parent_children_pkey" PRIMARY KEY ("parent_id", "child_id"),
        CONSTRAINT "parent_children_parent_fk" FOREIGN KEY ("parent_id") REFERENCES "users"("id") ON DELETE CASCADE,
        CONSTRAINT "parent_children_child_fk" FOREIGN KEY ("child_id") REFERENCES "users"("id") ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX "parent_children_child_idx" ON "parent_children" ("child_id")`);
    await q.query(`
      CREATE TABLE "link_codes" (
        "code" varchar(16) NOT NULL,
        "student_id" uuid NOT NULL,
        "expires_at" timestamptz NOT NULL,
        "used_at" timestamptz,
        "used_by" uuid,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "link_codes_pkey" PRIMARY KEY ("code"),
        CONSTRAINT "link_codes_student_fk" FOREIGN KEY ("student_id") REFERENCES "users"("id") ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX "link_codes_student_idx" ON "link_codes" ("student_id")`);
    await q.query(`
      CREATE TABLE "notifications" (
        "id" uuid NOT NULL,
        "user_id" uuid NOT NULL,
        "kind" varchar(32) NOT NULL,
        "title" varchar(200) NOT NULL,
        "data" jsonb NOT NULL DEFAULT '{}',
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "delivered_at" timestamptz,
        "read_at" timestamptz,
        CONSTRAINT "notifications_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "notifications_user_fk" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX "notifications_user_created_idx" ON "notifications" ("user_id", "created_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "notifications"`);
    await q.query(`DROP TABLE "link_codes"`);
    await q.query(`DROP TABLE "parent_children"`);
    await q.query(`DROP TABLE "users"`);
  }
}
