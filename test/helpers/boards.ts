import { randomUUID } from 'node:crypto';
import { BUCKET_WIDTHS, compareBoardOrder } from '../../src/domain/leaderboards';
import type { EntryChange } from '../../src/services/LeaderboardService';
import type { TestArena } from './arena';

/** A student made straight in the database (no password hashing), with a token for HTTP and rooms. */
export interface SeededStudent {
  id: string;
  username: string;
  token: string;
}

/**
 * Inserts `usernames.length` accounts directly (many users fast: registering through the endpoint hashes
 * each password). `role` defaults to student.
 */
export async function seedUsers(t: TestArena, usernames: string[], role: 'student' | 'parent' = 'student'): Promise<SeededStudent[]> {
  const users = usernames.map((username) => ({ id: randomUUID(), username }));
  await t.arena.database.dataSource.query(
    `INSERT INTO "users" ("id", "username", "password_hash", "role", "display_name")
     SELECT id, username, 'not-a-hash', $3, username FROM unnest($1::uuid[], $2::varchar[]) AS u(id, username)`,
    [users.map((u) => u.id), users.map((u) => u.username), role]);
  return users.map((u) => ({ ...u, token: t.arena.services.tokens.issue({ id: u.id, username: u.username, role }) }));
}

/**
 * Sets board values through the service's own write path (entries and histogram together), under the
 * users' row locks as BattleService.finish takes them.
 */
export async function setBoardValues(t: TestArena, board: string, values: Array<{ user: SeededStudent; value: number | null }>): Promise<void> {
  await t.arena.database.dataSource.transaction(async (m) => {
    await m.query(`SELECT 1 FROM "users" WHERE "id" = ANY($1::uuid[]) ORDER BY "id" FOR NO KEY UPDATE`, [values.map((v) => v.user.id)]);
    const changes: EntryChange[] = values.map((v) => ({ board, userId: v.user.id, username: v.user.username, value: v.value }));
    await t.arena.services.leaderboards.applyChanges(m, changes);
  });
}

/** A board's entries in board order with ranks by brute force (1 + members strictly above). */
export async function bruteForceBoard(t: TestArena, board: string): Promise<Array<{ rank: number; userId: string; username: string; value: number }>> {
  const rows: Array<{ user_id: string; username: string; value: number }> = await t.arena.database.dataSource.query(
    `SELECT "user_id", "username", "value" FROM "leaderboard_entries" WHERE "board" = $1`, [board]);
  const sorted = rows.map((r) => ({ userId: r.user_id, username: r.username, value: r.value })).sort(compareBoardOrder);
  return sorted.map((r) => ({ rank: 1 + sorted.filter((o) => o.value > r.value).length, ...r }));
}

/** Every histogram row that differs from the grouped count of the entries (empty when they agree). */
export async function histogramDrift(t: TestArena): Promise<unknown[]> {
  const levels = BUCKET_WIDTHS.map((w, level) => `(${level}, ${w})`).join(', ');
  return t.arena.database.dataSource.query(`
    WITH expected AS (
      SELECT e."board", l."level", floor(e."value"::float8 / l."width")::int AS bucket, count(*)::int AS members
        FROM "leaderboard_entries" e CROSS JOIN (VALUES ${levels}) AS l("level", "width") GROUP BY 1, 2, 3
    )
    SELECT coalesce(x."board", b."board") AS board, coalesce(x."level", b."level") AS level, coalesce(x.bucket, b."bucket") AS bucket,
           x.members AS expected, b."members" AS actual
      FROM expected x FULL JOIN "leaderboard_buckets" b ON b."board" = x."board" AND b."level" = x."level" AND b."bucket" = x.bucket
     WHERE coalesce(x.members, 0) <> coalesce(b."members", 0)`);
}
