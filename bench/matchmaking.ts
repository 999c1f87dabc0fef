/**
 * bench/matchmaking, two parts. Figures only: it never passes or fails.
 *
 * 1. Pairing: one matchmaking wave over a queue of 10,000 players, as the queue room runs it every
 *    MATCH_INTERVAL_MS. Prints the time per wave (median, p99) for src/domain/pairing.ts and for a naive
 *    O(n²) baseline that applies the same rules by scanning the whole queue for every anchor, and checks
 *    that both form the same groups. Target: under 50 ms a wave.
 * 2. Time to match: 200 searchers join the `matchmaking` room at once through the real SDK, against a
 *    server in this process (embedded database, or BENCH_DATABASE_URL), with ratings ~N(1500, 300), four
 *    subjects and battle sizes 2/3/4 at 70/20/10 %. Prints join -> `match_found` and join -> seated in the
 *    battle (consumeSeatReservation), median and p99, and how many got no human match before the
 *    practice offer (MATCH_BOT_AFTER_MS). The searchers' SDK clients run in this process, so the 200
 *    simultaneous joins share its two cores with the server: time in the queue is mostly the widening
 *    rating window (waiting for a fair opponent), time to get into it is mostly CPU.
 *
 *   npm run bench:matchmaking
 *   BENCH_QUEUE=20000 BENCH_CYCLES=20 BENCH_NAIVE_CYCLES=3 BENCH_SEARCHERS=400 npm run bench:matchmaking
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, type Room } from '@colyseus/sdk';
import { insertStudents, startInProcessArena } from './lib/inProcess';
import { withTimeout } from './lib/players';
import { DEFAULT_PAIRING, type PairingOptions, type QueueEntry, acceptedRange, pairQueue } from '../src/domain/pairing';
import { type Rng, createRng } from '../src/domain/random';
import { row, since, summarize } from './lib/stats';

const QUEUE = Number(process.env.BENCH_QUEUE ?? 10_000);
const CYCLES = Number(process.env.BENCH_CYCLES ?? 50);
/** The baseline takes seconds per wave: BENCH_NAIVE_CYCLES=5 for a quick look. */
const NAIVE_CYCLES = Number(process.env.BENCH_NAIVE_CYCLES ?? CYCLES);
const NOW = 1_764_115_200_000;
const OPTS: PairingOptions = { ...DEFAULT_PAIRING, now: NOW };
const SUBJECTS = ['math', 'science', 'language', 'geography'];
const SEARCHERS = Number(process.env.BENCH_SEARCHERS ?? 200);

function normal(rng: Rng, mean: number, sd: number): number {
  const u = 1 - rng.next(); // (0, 1]: log(0) would be -Infinity
  return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/** A realistic queue: ratings ~N(1500, 300), 4 subjects, sizes 2/3/4 at 70/20/10 %, waits 0–60 s, grades 1–8. */
function buildQueue(seed: string): QueueEntry[] {
  const rng = createRng(seed);
  return Array.from({ length: QUEUE }, (_, i) => {
    const roll = rng.next();
    return {
      id: `${seed}-${i}`,
      userId: `user-${i}`,
      rating: Math.round(normal(rng, 1500, 300)),
      deviation: rng.int(30, 350),
      grade: rng.int(1, 8),
      subject: rng.pick(SUBJECTS),
      size: roll < 0.7 ? 2 : roll < 0.9 ? 3 : 4,
      joinedAt: NOW - rng.int(0, 60_000),
      // One player in five has just played someone who may well be queued again.
      recentOpponents: rng.next() < 0.2 ? [`user-${rng.int(0, QUEUE - 1)}`] : [],
    };
  });
}

// ---------------------------------------------------------------------------------------------------------
// The naive baseline: the same rules and order, but every anchor scans and sorts the whole remaining queue.

interface Naive { e: QueueEntry; range: number; order: number; alive: boolean }

function naiveCompatible(a: Naive, b: Naive, o: PairingOptions): boolean {
  if (a.e.subject !== b.e.subject || a.e.size !== b.e.size || a.e.userId === b.e.userId) return false;
  const diff = Math.abs(a.e.rating - b.e.rating);
  if (diff > a.range || diff > b.range) return false;
  const half = o.maxRange / 2;
  const crossBand = a.e.grade !== null && b.e.grade !== null && Math.abs(a.e.grade - b.e.grade) > o.gradeBandTolerance;
  if (crossBand && !(a.range >= half && b.range >= half)) return false;
  const recent = (x: Naive, y: Naive) => x.e.recentOpponents.slice(0, o.rematchCooldown).includes(y.e.userId);
  if ((recent(a, b) || recent(b, a)) && !(a.range >= o.maxRange && b.range >= o.maxRange)) return false;
  return true;
}

function naivePairQueue(queue: readonly QueueEntry[], o: PairingOptions): { groups: QueueEntry[][]; waiting: QueueEntry[] } {
  const sorted = [...queue].sort((a, b) => a.joinedAt - b.joinedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const all: Naive[] = sorted.map((e, order) => ({ e, order, range: acceptedRange(e, o), alive: true }));
  const groups: QueueEntry[][] = [];
  for (const anchor of all) {
    if (!anchor.alive) continue;
    const band = (x: Naive) => (anchor.e.grade === null || x.e.grade === null || Math.abs(anchor.e.grade - x.e.grade) <= o.gradeBandTolerance ? 0 : 1);
    const candidates = all
      .filter((x) => x.alive && x !== anchor && naiveCompatible(anchor, x, o))
      .sort((x, y) => band(x) - band(y) || Math.abs(x.e.rating - anchor.e.rating) - Math.abs(y.e.rating - anchor.e.rating) || x.order - y.order);
    // Same search and budget as the module, so both must form identical groups.
    const chosen: Naive[] = [anchor];
    let budget = 2_000; // GROUP_SEARCH_BUDGET
    const extend = (from: number): boolean => {
      if (chosen.length === anchor.e.size) return true;
      for (let i = from; i < candidates.length && budget > 0; i++) {
        let fits = true;
        for (let k = 1; k < chosen.length && fits; k++) {
          budget--;
          fits = naiveCompatible(chosen[k], candidates[i], o);
        }
        if (!fits) continue;
        chosen.push(candidates[i]);
        if (extend(i + 1)) return true;
        chosen.pop();
      }
      return false;
    };
    if (!extend(0)) continue;
    for (const m of chosen) m.alive = false;
    groups.push(chosen.map((m) => m.e));
  }
  return { groups, waiting: all.filter((x) => x.alive).map((x) => x.e) };
}

// ---------------------------------------------------------------------------------------------------------

type Pairing = typeof pairQueue;

/**
 * Times `pair` over `cycles` seeded queues, rebuilt from their seeds one at a time so the heap holds one
 * queue, as a server's would, rather than fifty (whose major GC pauses would land in some waves). With
 * `settle`, each fresh queue is first paired once untimed: that moves it out of the young generation, like a
 * server's long-lived tickets, so the timed wave does not pay for copying it in a scavenge.
 */
function measure(pair: Pairing, cycles: number, warmup: number, settle: boolean): { times: number[]; cpu: number[]; grouped: number[]; results: string[] } {
  // Warm-up: the server runs waves back to back, so time the optimised code, not the first compilations.
  for (let i = 0; i < warmup; i++) pair(buildQueue(`warmup-${i}`), OPTS);
  const times: number[] = [];
  const cpu: number[] = [];
  const grouped: number[] = [];
  const results: string[] = [];
  for (let i = 0; i < cycles; i++) {
    const queue = buildQueue(`bench-${i}`);
    if (settle) pair(queue, OPTS);
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    const result = pair(queue, OPTS);
    times.push(since(start));
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
    grouped.push(result.groups.reduce((n, g) => n + g.length, 0));
    results.push(result.groups.map((g) => g.map((e) => e.id).join(',')).join(';'));
  }
  return { times, cpu, grouped, results };
}

function pairingWaves(): Record<string, unknown> {
  console.log('1. Pairing waves');
  console.log(`queue ${QUEUE} players, ${CYCLES} waves, options ${JSON.stringify(DEFAULT_PAIRING)}, load average ${os.loadavg()[0].toFixed(2)}`);
  const fast = measure(pairQueue, CYCLES, 5, true);
  // One naive wave runs long enough to be compiled, and seconds per wave dwarf any GC effect.
  const naive = measure(naivePairQueue, NAIVE_CYCLES, 1, false);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const fastSummary = summarize(fast.times);
  const naiveSummary = summarize(naive.times);

  const groupedNote = (g: number[]) => `grouped ${mean(g).toFixed(0)}/${QUEUE} per wave (${((100 * mean(g)) / QUEUE).toFixed(1)} %)`;
  console.log(row('pairQueue (bucketed, rating window)', fastSummary, 'ms', groupedNote(fast.grouped)));
  console.log(row('naive O(n²) baseline', naiveSummary, 'ms', groupedNote(naive.grouped)));
  // CPU time beside wall time: on a shared machine other processes stretch the wall clock, not the CPU time.
  console.log(row('pairQueue, process CPU time', summarize(fast.cpu)));
  console.log(row('naive O(n²) baseline, process CPU time', summarize(naive.cpu)));
  console.log(`ratio to naive baseline: median ${(naiveSummary.median / fastSummary.median).toFixed(1)}×, p99 ${(naiveSummary.p99 / fastSummary.p99).toFixed(1)}×`);
  const same = naive.results.filter((r, i) => r === fast.results[i]).length;
  console.log(`identical groups to the baseline: ${same}/${naive.results.length} waves`);
  console.log(`target: pairing under 50 ms a wave with ${QUEUE} queued`);
  return { queue: QUEUE, waves: CYCLES, pairQueue: fastSummary, naive: naiveSummary, cpu: summarize(fast.cpu), identicalGroups: `${same}/${naive.results.length}` };
}

interface Searcher { index: number; subject: string; size: number; rating: number }
interface SearchOutcome { joined?: number; found?: number; seated?: number; practice?: number; error?: string }

/** Part 2: SEARCHERS players join the queue at once; each takes its seat as soon as it is matched. */
async function timeToMatch(): Promise<Record<string, unknown>> {
  console.log('');
  console.log(`2. Time to match: ${SEARCHERS} concurrent searchers through the SDK`);
  const server = await startInProcessArena();
  const { arena, url } = server;
  const { matchmaking } = server.config;
  console.log(`server on ${arena.database.kind}; MATCH_INTERVAL_MS ${matchmaking.intervalMs}, range ${matchmaking.baseRange} + ${matchmaking.widenPerSecond}/s up to ${matchmaking.maxRange}, practice offer after ${matchmaking.botAfterMs} ms`);
  try {
    const rng = createRng('bench-searchers');
    const searchers: Searcher[] = Array.from({ length: SEARCHERS }, (_, index) => {
      const roll = rng.next();
      return { index, subject: rng.pick(SUBJECTS), size: roll < 0.7 ? 2 : roll < 0.9 ? 3 : 4, rating: Math.round(normal(rng, 1500, 300)) };
    });
    const tokens = await insertStudents(arena, searchers.map((s) => ({ username: `mm_${s.index}`, grade: 1 + (s.index % 8), rating: s.rating })));
    const rooms: Room[] = [];
    const deadline = matchmaking.botAfterMs + 10_000;

    const outcomes = await Promise.all(searchers.map(async (s): Promise<SearchOutcome> => {
      const client = new Client(url);
      client.auth.token = tokens[s.index];
      const start = performance.now();
      try {
        const queue = await client.joinOrCreate('matchmaking', { subject: s.subject, size: s.size });
        const joined = performance.now() - start;
        rooms.push(queue);
        queue.onMessage('*', () => {});
        const found = await withTimeout(new Promise<{ reservation: unknown } | 'practice'>((resolve) => {
          queue.onMessage('match_found', (m: { reservation: unknown }) => resolve(m));
          queue.onMessage('practice_offer', () => resolve('practice'));
        }), deadline, 'match');
        if (found === 'practice') return { joined, practice: performance.now() - start };
        const foundAt = performance.now() - start;
        const battle = await client.consumeSeatReservation(found.reservation as never);
        rooms.push(battle);
        battle.onMessage('*', () => {});
        return { joined, found: foundAt, seated: performance.now() - start };
      } catch (e) {
        return { error: e instanceof Error ? e.message : String(e) };
      }
    }));

    const found = outcomes.flatMap((o) => (o.found === undefined ? [] : [o.found]));
    const seated = outcomes.flatMap((o) => (o.seated === undefined ? [] : [o.seated]));
    const practice = outcomes.filter((o) => o.practice !== undefined).length;
    const errors = outcomes.flatMap((o) => (o.error ? [o.error] : []));
    console.log(row('join -> in the queue (joinOrCreate done)', summarize(outcomes.flatMap((o) => (o.joined === undefined ? [] : [o.joined])))));
    console.log(row('join -> match_found (human match)', summarize(found)));
    console.log(row('join -> seated in the battle', summarize(seated)));
    const bySize: Record<string, unknown> = {};
    for (const size of [2, 3, 4]) {
      const of = outcomes.flatMap((o, i) => (o.found !== undefined && searchers[i].size === size ? [o.found] : []));
      const total = searchers.filter((x) => x.size === size).length;
      console.log(row(`  join -> match_found, battles of ${size}`, summarize(of), 'ms', `${of.length} of ${total} matched`));
      bySize[size] = { ...summarize(of), searchers: total };
    }
    console.log(`${'no human match, practice offered'.padEnd(44)} ${practice} of ${SEARCHERS}${errors.length ? `; errors: ${errors.length} (${[...new Set(errors)].slice(0, 3).join('; ')})` : ''}`);
    await Promise.all(rooms.map((r) => withTimeout(r.leave(true), 3000, 'leave').catch(() => {})));
    return {
      searchers: SEARCHERS, database: arena.database.kind, matchmaking, joined: summarize(outcomes.flatMap((o) => (o.joined === undefined ? [] : [o.joined]))),
      matchFound: summarize(found), seated: summarize(seated), bySize, practiceOffered: practice, errors: errors.length,
    };
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  console.log(`Quest Arena bench/matchmaking on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`);
  const pairing = process.env.BENCH_PART !== 'match' ? pairingWaves() : undefined;
  const matching = process.env.BENCH_PART !== 'pairing' ? await timeToMatch() : undefined;
  const out = path.join(__dirname, 'results');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'matchmaking.json'), JSON.stringify({
    at: new Date().toISOString(), machine: `${os.cpus().length} × ${os.cpus()[0]?.model}`, node: process.version, pairing, timeToMatch: matching,
  }, null, 2) + '\n');
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
