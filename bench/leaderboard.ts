/**
 * bench/leaderboard: leaderboard reads with a million players on PostgreSQL. Creates a fresh database,
 * migrates it, loads BENCH_PLAYERS students (generate_series: a normal-ish rating spread and an
 * exponential XP spread, so mid-table players have hundreds of thousands of players above them), builds
 * the rank histogram, then measures through LeaderboardService:
 *   - top-100 of the rating and XP boards;
 *   - "around me" (10 entries) for random players;
 *   - the same pages with ranks from a naive `count(*) WHERE value > x` (the in-run baseline, ratio line);
 *   - what the histogram costs a battle: a 4-player board update with and without it;
 *   - a leaderboard room's refresh: the ranks of 200 viewers in one call.
 * Figures only: it never passes or fails. The database is dropped at the end.
 *
 *   npm run bench:leaderboard
 *   BENCH_PLAYERS=200000 BENCH_QUERIES=1000 BENCH_DATABASE_URL=postgres://… npm run bench:leaderboard
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { LocalPresence } from '@colyseus/core';
import { Client } from 'pg';
import { loadConfig } from '../src/config';
import { compareBoardOrder } from '../src/domain/leaderboards';
import { createRng } from '../src/domain/random';
import { createLogger } from '../src/logger';
import { openDatabase } from '../src/persistence/database';
import { LeaderboardService, type BoardEntryView } from '../src/services/LeaderboardService';
import { row, since, summarize } from './lib/stats';

const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PLAYERS = Number(process.env.BENCH_PLAYERS ?? 1_000_000);
const QUERIES = Math.max(500, Number(process.env.BENCH_QUERIES ?? 500));
const WARMUP = 50;
const AROUND_LIMIT = 10;

async function admin(sql: string): Promise<void> {
  const c = new Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** The same page as LeaderboardService.around, with the two counts taken by count(*) instead of the histogram. */
const NAIVE_AROUND = `
  WITH me AS (SELECT "value", "username" FROM "leaderboard_entries" WHERE "board" = $1 AND "user_id" = $2),
  above AS (
    SELECT * FROM (
      (SELECT e."user_id", e."username", e."value" FROM "leaderboard_entries" e
        WHERE e."board" = $1 AND e."value" = (SELECT "value" FROM me) AND e."username" < (SELECT "username" FROM me) ORDER BY e."username" DESC LIMIT $3)
      UNION ALL
      (SELECT e."user_id", e."username", e."value" FROM "leaderboard_entries" e
        WHERE e."board" = $1 AND e."value" > (SELECT "value" FROM me) ORDER BY e."value", e."username" DESC LIMIT $3)
    ) a ORDER BY a."value", a."username" DESC LIMIT $3),
  below AS (
    SELECT * FROM (
      (SELECT e."user_id", e."username", e."value" FROM "leaderboard_entries" e
        WHERE e."board" = $1 AND e."value" = (SELECT "value" FROM me) AND e."username" > (SELECT "username" FROM me) ORDER BY e."username" LIMIT $3)
      UNION ALL
      (SELECT e."user_id", e."username", e."value" FROM "leaderboard_entries" e
        WHERE e."board" = $1 AND e."value" < (SELECT "value" FROM me) ORDER BY e."value" DESC, e."username" LIMIT $3)
    ) b ORDER BY b."value" DESC, b."username" LIMIT $3),
  slice AS (SELECT * FROM above UNION ALL SELECT $2::uuid, "username", "value" FROM me UNION ALL SELECT * FROM below),
  counts AS MATERIALIZED (
    SELECT (SELECT count(*)::int FROM "leaderboard_entries" e WHERE e."board" = $1 AND e."value" > t."value") AS greater,
           (SELECT count(*)::int FROM "leaderboard_entries" e WHERE e."board" = $1 AND e."value" = t."value") AS equal
      FROM (SELECT max("value") AS "value" FROM slice) t)
  SELECT s.*, c.greater, c.equal FROM slice s, counts c`;

/** The naive top page: each row's rank as 1 + count(*) of the values above it. */
const NAIVE_TOP = `
  SELECT p.*, 1 + (SELECT count(*)::int FROM "leaderboard_entries" e WHERE e."board" = $1 AND e."value" > p."value") AS rank
    FROM (SELECT "user_id", "username", "value" FROM "leaderboard_entries" WHERE "board" = $1 ORDER BY "value" DESC, "username" LIMIT $2) p`;

async function time<T>(samples: number[], f: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const out = await f();
  samples.push(since(start));
  return out;
}

async function main() {
  const name = `qa_bench_lb_${process.pid}_${randomBytes(3).toString('hex')}`;
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  await admin(`CREATE DATABASE ${name}`);
  const logger = createLogger('error');
  const config = loadConfig({ DATABASE_URL: url.toString(), DB_POOL_SIZE: '2', DATA_DIR: path.join(os.tmpdir(), name), LOG_LEVEL: 'error' });
  let db: Awaited<ReturnType<typeof openDatabase>> | undefined;
  try {
    db = await openDatabase(config, logger);
    const ds = db.dataSource;
    const [{ version }] = await ds.query(`SELECT split_part(version(), ' ', 2) AS version`);
    console.log(`Quest Arena bench/leaderboard on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, PostgreSQL ${version}, ` +
      `load average ${os.loadavg()[0].toFixed(1)} at start`);

    // Load: one statement per table, rows generated in the database.
    let start = performance.now();
    await ds.query(`SELECT setseed(0.42)`);
    await ds.query(`
      INSERT INTO "users" ("id", "username", "password_hash", "role", "display_name", "rating", "rating_deviation", "rated_at", "xp")
      SELECT gen_random_uuid(), 'p' || lpad(i::text, 7, '0'), 'bench', 'student', 'p' || i,
             1500 + 250 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()), 80, now(), 1 + floor(-ln(1 - random()) * 3000)::int
        FROM generate_series(1, $1::int) AS i`, [PLAYERS]);
    await ds.query(`
      INSERT INTO "leaderboard_entries" ("board", "user_id", "username", "value")
      SELECT 'rating', "id", "username", floor("rating" + 0.5)::int FROM "users"
      UNION ALL SELECT 'xp', "id", "username", "xp" FROM "users"`); // every player has XP ≥ 1: all are on both boards
    const leaderboards = new LeaderboardService(ds, new LocalPresence(), () => new Date());
    await ds.transaction((m) => leaderboards.rebuildHistogram(m));
    await ds.query(`VACUUM ANALYZE "users"`);
    await ds.query(`VACUUM ANALYZE "leaderboard_entries"`);
    await ds.query(`VACUUM ANALYZE "leaderboard_buckets"`);
    const sizes: Array<{ board: string; entries: number; buckets: number; distinct_values: number }> = await ds.query(`
      SELECT e."board", count(*)::int AS entries, count(DISTINCT e."value")::int AS distinct_values,
             (SELECT count(*)::int FROM "leaderboard_buckets" b WHERE b."board" = e."board") AS buckets
        FROM "leaderboard_entries" e GROUP BY 1 ORDER BY 1`);
    console.log(`loaded ${PLAYERS.toLocaleString('en')} students in ${(since(start) / 1000).toFixed(1)} s; ` +
      sizes.map((s) => `${s.board}: ${s.entries.toLocaleString('en')} entries, ${s.distinct_values} values, ${s.buckets} histogram rows`).join('; '));

    // Random players, seeded: the same ones every run.
    const rng = createRng('bench-leaderboard');
    const usernames = Array.from({ length: QUERIES + WARMUP }, () => `p${String(rng.int(1, PLAYERS)).padStart(7, '0')}`);
    const idRows: Array<{ id: string; username: string }> = await ds.query(`SELECT "id", "username" FROM "users" WHERE "username" = ANY($1)`, [usernames]);
    const idOf = new Map(idRows.map((r) => [r.username, r.id]));
    const players = usernames.map((u) => idOf.get(u)!);

    const figures: Record<string, ReturnType<typeof summarize>> = {};
    const lines: string[] = [];
    let disagreements = 0;
    for (const board of ['rating', 'xp'] as const) {
      const top: number[] = [];
      const topNaive: number[] = [];
      const around: number[] = [];
      const aroundNaive: number[] = [];
      let sampleRank = 0;
      for (let i = 0; i < QUERIES + WARMUP; i++) {
        const warm = i < WARMUP;
        const topView = await time(warm ? [] : top, () => leaderboards.top(board, 100));
        const naiveTop: Array<{ rank: number }> = await time(warm ? [] : topNaive, () => ds.query(NAIVE_TOP, [board, 100]));
        if (naiveTop.some((r, k) => r.rank !== topView.entries[k].rank)) disagreements++;

        const view = await time(warm ? [] : around, () => leaderboards.around(board, players[i], AROUND_LIMIT));
        const naive: Array<{ user_id: string; username: string; value: number; greater: number; equal: number }> =
          await time(warm ? [] : aroundNaive, () => ds.query(NAIVE_AROUND, [board, players[i], AROUND_LIMIT - 1]));
        // Exactness check: the histogram's ranks against count(*) for every row of the page.
        const sorted = naive.slice().sort(compareBoardOrder);
        const rankOf = (e: BoardEntryView) => {
          if (e.value === sorted[0].value) return 1 + naive[0].greater;
          return 1 + naive[0].greater + naive[0].equal + sorted.filter((r) => r.value > e.value && r.value < sorted[0].value).length;
        };
        if (view.entries.some((e) => e.rank !== rankOf(e))) disagreements++;
        if (i === WARMUP) sampleRank = view.entries.find((e) => e.userId === players[i])!.rank;
      }
      const s = { top: summarize(top), topNaive: summarize(topNaive), around: summarize(around), aroundNaive: summarize(aroundNaive) };
      Object.assign(figures, { [`${board}.top100`]: s.top, [`${board}.top100.naive`]: s.topNaive, [`${board}.around`]: s.around, [`${board}.around.naive`]: s.aroundNaive });
      lines.push(row(`${board}: top-100 (histogram design)`, s.top));
      lines.push(row(`${board}: top-100, naive count(*) ranks`, s.topNaive, 'ms', `ratio p99 ${(s.topNaive.p99 / s.top.p99).toFixed(1)}x, median ${(s.topNaive.median / s.top.median).toFixed(1)}x`));
      lines.push(row(`${board}: around-me ${AROUND_LIMIT} (histogram design)`, s.around, 'ms', `e.g. rank ${sampleRank.toLocaleString('en')}`));
      lines.push(row(`${board}: around-me ${AROUND_LIMIT}, naive count(*)`, s.aroundNaive, 'ms', `ratio p99 ${(s.aroundNaive.p99 / s.around.p99).toFixed(1)}x, median ${(s.aroundNaive.median / s.around.median).toFixed(1)}x`));
    }

    // The room's refresh: ranks of 200 viewers in one call.
    const refresh: number[] = [];
    for (let i = 0; i < 100; i++) await time(i < 10 ? [] : refresh, () => leaderboards.ranksOf('rating', players.slice(i, i + 200)));
    figures['rating.ranksOf200'] = summarize(refresh);
    lines.push(row('rating: ranks of 200 viewers (room refresh)', figures['rating.ranksOf200']));

    // What the histogram costs a battle: 4 players' rating and XP entries move, under their row locks,
    // with the histogram (applyChanges) and with the entries alone (what the naive design writes).
    const withHistogram: number[] = [];
    const entriesOnly: number[] = [];
    for (const [samples, histogram] of [[withHistogram, true], [entriesOnly, false]] as const) {
      for (let i = 0; i < QUERIES + WARMUP; i++) {
        const ids = Array.from({ length: 4 }, () => players[rng.int(0, players.length - 1)]);
        const unique = [...new Set(ids)].sort();
        await time(i < WARMUP ? [] : samples, () => ds.transaction(async (m) => {
          const rows: Array<{ id: string; username: string; rating: number; xp: number }> = await m.query(
            `SELECT "id", "username", "rating", "xp" FROM "users" WHERE "id" = ANY($1::uuid[]) ORDER BY "id" FOR NO KEY UPDATE`, [unique]);
          const changes = rows.flatMap((r) => [
            { board: 'rating', userId: r.id, username: r.username, value: Math.round(r.rating) + rng.int(-30, 30) },
            { board: 'xp', userId: r.id, username: r.username, value: r.xp + rng.int(20, 150) },
          ]);
          if (histogram) return leaderboards.applyChanges(m, changes);
          await m.query(
            `INSERT INTO "leaderboard_entries" ("board", "user_id", "username", "value")
             SELECT * FROM unnest($1::varchar[], $2::uuid[], $3::varchar[], $4::int[])
             ON CONFLICT ("board", "user_id") DO UPDATE SET "value" = EXCLUDED."value"`,
            [changes.map((c) => c.board), changes.map((c) => c.userId), changes.map((c) => c.username), changes.map((c) => c.value)]);
        }));
      }
    }
    figures['write.withHistogram'] = summarize(withHistogram);
    figures['write.entriesOnly'] = summarize(entriesOnly);
    lines.push(row('battle board update, 4 players (histogram)', figures['write.withHistogram']));
    lines.push(row('battle board update, entries only (naive)', figures['write.entriesOnly'], 'ms',
      `histogram adds ${(figures['write.withHistogram'].median - figures['write.entriesOnly'].median).toFixed(2)} ms median`));

    console.log('');
    for (const l of lines) console.log(l);
    console.log(`ranks checked against count(*): ${disagreements === 0 ? 'all agree' : `${disagreements} pages DISAGREE`} (${2 * 2 * QUERIES + 2 * 2 * WARMUP} pages)`);
    console.log(`target: top-100 and around-me p99 < 5 ms with 1,000,000 players; load average ${os.loadavg()[0].toFixed(1)} at the end`);

    const out = path.join(__dirname, 'results');
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'leaderboard.json'), JSON.stringify({
      at: new Date().toISOString(), machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}`, node: process.version, postgres: version,
      loadAverageAtEnd: os.loadavg()[0],
      players: PLAYERS, queries: QUERIES, boards: sizes, disagreements, figures,
    }, null, 2) + '\n');
  } finally {
    await db?.close().catch(() => {});
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
