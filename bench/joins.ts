/**
 * bench/joins: what one client's join costs everybody else. Figures only: it never passes or fails.
 *
 * A server process (PostgreSQL, as `npm start` runs it with DATABASE_URL), BENCH_JOIN_OTHERS players in this
 * process doing `mark_read` -> `marked_read` round trips on their personal rooms (one each per ~500 ms,
 * desynchronised, as in bench/load's flood phase), and a joiner in a child process that opens and leaves
 * a personal room every BENCH_JOIN_EVERY_MS for BENCH_JOIN_SECONDS, rotating over eight accounts (each join
 * makes a new room, as a user's first tab does). With BENCH_PIN=1p (the default, bench/lib/pin.ts) the
 * server's event loop runs on the last core, this process on the others, and the joiner on the server's
 * core at nice 19, as bench/load's flooder does.
 *
 * Prints the others' round trips (median, p99) and, per join, what they lost around it: the sum of their
 * round trips' excess over the median from 10 ms before the join's start to 60 ms after, and how many
 * were over the p99, next to the same sums at an instant 200 ms after each join (the baseline, measured in
 * the same run: no join there), and both in 5 ms bins. Plus the joins' own time (join to joined).
 * bench/load's flood phase holds the flood's cost against 1.2× of the others' p99; most of that cost is
 * a join (docs/benchmarks.md), which here is measured over hundreds of joins in a few minutes.
 *
 *   npm run bench:joins
 *   BENCH_JOIN_SECONDS=60 npm run bench:joins       # a quick look
 *
 * Env: BENCH_JOIN_OTHERS (200), BENCH_JOIN_SECONDS (240), BENCH_JOIN_EVERY_MS (600), BENCH_DATABASE_URL
 * (postgres://postgres@127.0.0.1:5432/postgres; a database is created and dropped), BENCH_PIN (1p | off).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Room } from '@colyseus/sdk';
import { createDatabase, insertUsers, signToken, startArena, stopArena, type BenchUser } from './lib/arena';
import { num } from './lib/env';
import { pinMainThread, pinOffReason, pinPlan } from './lib/pin';
import { joinPersonal, MarkReader, Rtts, sdk, sleep, Tally } from './lib/players';
import { quantile } from './lib/stats';
import { hashPassword } from '../src/auth/passwords';

const SECRET = 'bench-secret-bench-secret-bench-secret-00';
const OTHERS = num('BENCH_JOIN_OTHERS', 200, 1);
const SECONDS = num('BENCH_JOIN_SECONDS', 240, 5);
const EVERY_MS = num('BENCH_JOIN_EVERY_MS', 600, 50);
const JOINERS = 8;
/** The window around each join (and around each baseline instant), ms from its start. */
const FROM = -10;
const TO = 60;
const BIN = 5;
const BASELINE_OFFSET_MS = 200;

/** The child: joins and leaves personal rooms until the deadline; writes each join's start (epoch ms) and duration. */
async function joiner(url: string, tokens: string[], out: string): Promise<void> {
  const until = Date.now() + SECONDS * 1000;
  const joins: Array<[number, number]> = [];
  let failures = 0;
  for (let i = 0; Date.now() < until; i++) {
    const started = performance.now();
    try {
      const room = await sdk(url, tokens[i % tokens.length]).joinOrCreate('personal');
      joins.push([performance.timeOrigin + started, performance.now() - started]);
      await room.leave(true);
    } catch {
      failures++;
    }
    await sleep(Math.max(0, EVERY_MS - (performance.now() - started)));
  }
  fs.writeFileSync(out, JSON.stringify({ joins, failures }));
}

const median = (xs: readonly number[]) => quantile(xs, 0.5);
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const f2 = (x: number) => x.toFixed(2);

async function main(): Promise<void> {
  const plan = pinPlan();
  if (plan) pinMainThread(process.pid, plan.clients);
  const db = await createDatabase(process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qa-joins-'));
  const out = path.join(dataDir, 'joins.json');
  const nodes = await startArena(1, { DATA_DIR: dataDir, DATABASE_URL: db.url, JWT_SECRET: SECRET, LOG_LEVEL: 'warn' });
  try {
    if (plan) pinMainThread(nodes[0].proc.child.pid, plan.server);
    const users: BenchUser[] = Array.from({ length: OTHERS + JOINERS }, (_, i) => ({ id: randomUUID(), username: `bj_${i}`, role: 'student' as const, grade: 3 }));
    await insertUsers(db.url, users, await hashPassword('bench-password'));
    const tokens = users.map((u) => signToken(SECRET, u));
    const rooms: Room[] = [];
    for (let i = 0; i < OTHERS; i++) rooms.push(await joinPersonal(nodes[0].ws, tokens[i]));
    const rtts = new Rtts();
    const tally = new Tally();
    let stop = false;
    const others = rooms.map(async (room, i) => {
      const reader = new MarkReader(room, rtts, tally);
      await sleep((i * 500) / OTHERS);
      while (!stop) {
        reader.send();
        await sleep(500 * (0.8 + Math.random() * 0.4));
      }
    });
    await sleep(3000); // the others settle first
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', __filename], {
      stdio: 'inherit', env: { ...process.env, BENCH_JOINS_CHILD: JSON.stringify({ url: nodes[0].ws, tokens: tokens.slice(OTHERS), out }) },
    });
    if (plan) pinMainThread(child.pid, plan.server);
    if (child.pid !== undefined) os.setPriority(child.pid, 19);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`the joiner exited with ${code}`);
    await sleep(1000);
    stop = true;
    await Promise.all(others);
    await Promise.all(rooms.map((r) => r.leave(true).catch(() => {})));
    const { joins, failures } = JSON.parse(fs.readFileSync(out, 'utf8')) as { joins: Array<[number, number]>; failures: number };
    // Each round trip by when it started (Rtts keeps when it completed), on the joiner's clock (epoch ms).
    const at = rtts.at.map((done, i) => performance.timeOrigin + done - rtts.ms[i]);
    if (tally.errors.size > 0) console.log(`  errors answered to the others: ${JSON.stringify(Object.fromEntries(tally.errors))}`);
    report(at, rtts.ms, joins, failures, plan ? `pinned: the server and the joiner (nice 19) on CPU ${plan.server}, the others on CPU ${plan.clients}` : `not pinned (${pinOffReason()})`);
  } finally {
    await stopArena(nodes);
    await db.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function report(at: number[], ms: number[], joins: Array<[number, number]>, failures: number, placement: string): void {
  const order = at.map((_, i) => i).sort((a, b) => at[a] - at[b]);
  const A = order.map((i) => at[i]);
  const M = order.map((i) => ms[i]);
  const med = quantile(M, 0.5);
  const p99 = quantile(M, 0.99);
  const firstAt = (t: number) => {
    let lo = 0;
    let hi = A.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (A[mid] < t) lo = mid + 1; else hi = mid; }
    return lo;
  };
  const bins = (TO - FROM) / BIN;
  const around = (t: number) => {
    const excess = new Array<number>(bins).fill(0);
    const slow = new Array<number>(bins).fill(0);
    for (let k = firstAt(t + FROM); k < A.length && A[k] < t + TO; k++) {
      const b = Math.floor((A[k] - t - FROM) / BIN);
      excess[b] += Math.max(0, M[k] - med);
      if (M[k] > p99) slow[b]++;
    }
    return { excess, slow };
  };
  // The first and last joins aside: their windows may reach past the others' round trips.
  const counted = joins.slice(1, -1);
  const atJoin = counted.map(([t]) => around(t));
  const atBase = counted.map(([t]) => around(t + BASELINE_OFFSET_MS));
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const joinExcess = atJoin.map((w) => sum(w.excess));
  const baseExcess = atBase.map((w) => sum(w.excess));
  const joinSlow = mean(atJoin.map((w) => sum(w.slow)));
  const baseSlow = mean(atBase.map((w) => sum(w.slow)));
  const durations = joins.map(([, d]) => d);
  const perBin = (ws: typeof atJoin, key: 'excess' | 'slow') => Array.from({ length: bins }, (_, b) => mean(ws.map((w) => w[key][b])));
  console.log(`bench/joins: ${OTHERS} others' mark_read round trips, a join every ${EVERY_MS} ms for ${SECONDS} s; ${placement}`);
  console.log(`  joins: ${joins.length} (${failures} failed); join -> joined median ${f2(median(durations))} ms, p99 ${f2(quantile(durations, 0.99))} ms`);
  console.log(`  others' round trips: ${M.length}; median ${f2(med)} ms, p99 ${f2(p99)} ms`);
  console.log(`  their excess over the median from ${FROM} to +${TO} ms of a join's start, per join: median ${f2(median(joinExcess))} ms, mean ${f2(mean(joinExcess))} ms;` +
    ` at an instant ${BASELINE_OFFSET_MS} ms later (baseline): median ${f2(median(baseExcess))} ms, mean ${f2(mean(baseExcess))} ms; ratio of the medians ${f2(median(joinExcess) / median(baseExcess))}x`);
  console.log(`  their round trips over the p99 in that window, per join: ${joinSlow.toFixed(3)}; baseline ${baseSlow.toFixed(3)}; the join's own ${(joinSlow - baseSlow).toFixed(3)}`);
  const head = Array.from({ length: bins }, (_, b) => `${FROM + b * BIN}`.padStart(6)).join('');
  console.log(`  by ${BIN} ms bin (ms from the start)  ${head}`);
  console.log(`  excess per join, ms, at the join     ${perBin(atJoin, 'excess').map((x) => f2(x).padStart(6)).join('')}`);
  console.log(`  excess per join, ms, baseline        ${perBin(atBase, 'excess').map((x) => f2(x).padStart(6)).join('')}`);
  console.log(`  over the p99, all joins, at the join ${perBin(atJoin, 'slow').map((x) => String(Math.round(x * counted.length)).padStart(6)).join('')}`);
  console.log(`  over the p99, all joins, baseline    ${perBin(atBase, 'slow').map((x) => String(Math.round(x * counted.length)).padStart(6)).join('')}`);
}

const childArgs = process.env.BENCH_JOINS_CHILD;
(childArgs
  ? (() => { const { url, tokens, out } = JSON.parse(childArgs) as { url: string; tokens: string[]; out: string }; return joiner(url, tokens, out); })()
  : main()
).catch((e) => {
  console.error(e);
  process.exit(1);
});
