/**
 * bench/battle: many concurrent quiz battles played by bots through the real SDK (in a worker thread, so
 * the server's event loop does only server work) against a server in this process, on the embedded
 * database, or on PostgreSQL with BENCH_DATABASE_URL. Prints battle creation latency, answer-to-acknowledgement round trip
 * (and its two legs), round processing time (median, p99), memory per battle, and the same round trip through a
 * bare WebSocket echo server measured in the same run as the floor, twice: alongside the battles (every
 * player has an echo twin firing on the same schedule, to an echo server on a thread of its own, so the
 * floor pays the machine's load but none of the game server's work) and on the idle machine afterwards.
 * Also the event-loop delay and GC pauses of the server's and the players' threads while battles ran.
 * Figures only: it never passes or fails.
 *
 *   npm run bench:battle                 # 496 players (62 battles of 8)
 *   BENCH_PLAYERS=1000 npm run bench:battle
 *   BENCH_STAGGER_MS=4000 npm run bench:battle   # battle starts spread over 4 s (default: all at once)
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/some_empty_db npm run bench:battle
 *   BENCH_GC_TRACE=1 npm run bench:battle        # also print every GC pause of both threads while battles run
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { matchMaker } from '@colyseus/core';
import { Worker } from 'node:worker_threads';
import { BattleRoom } from '../rooms/BattleRoom';
import type { BotsInput, BotsMessage, BotsOutput } from './lib/battleBots';
import { startEchoServer, startEchoThread } from './lib/echo';
import { insertStudents, startInProcessArena } from './lib/inProcess';
import { row, since, summarize, type ThreadLoad, watchThread } from './lib/stats';

const PLAYERS = Number(process.env.BENCH_PLAYERS ?? 496);
const SIZE = Number(process.env.BENCH_BATTLE_SIZE ?? 8);
const CREATIONS = Number(process.env.BENCH_CREATIONS ?? 200);
const MEMORY_ROOMS = Number(process.env.BENCH_MEMORY_ROOMS ?? 300);
/**
 * By default all 62 battles start together, so that their rounds open and close in lock step (the harder
 * case); BENCH_STAGGER_MS=4000 spreads their starts over 4 s, as in play (measured: no clear difference).
 */
const STAGGER_MS = Number(process.env.BENCH_STAGGER_MS ?? 0);
const ROUNDS = 5;
const QUESTION_MS = 4000;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

async function main() {
  const server = await startInProcessArena({
    BATTLE_COUNTDOWN_MS: '200', BATTLE_QUESTION_MS: String(QUESTION_MS), BATTLE_REVEAL_MS: '300', BATTLE_ROUNDS: String(ROUNDS),
    BATTLE_FILL_WAIT_MS: '0', BATTLE_FINISHED_LINGER_MS: '500',
  });
  const { arena, url } = server;
  const tokens = await insertStudents(arena, Array.from({ length: PLAYERS + 1 }, (_, i) => ({ username: `bench_${i}`, grade: 1 + (i % 8) })));

  // Server-side round processing time: wraps the room's closeRound (score, log, broadcast).
  const handled = new Map<string, number>();
  const bproto = BattleRoom.prototype as unknown as { onAnswer: (c: { sessionId: string }, round: number, choice: number) => void };
  const onAnswer = bproto.onAnswer;
  bproto.onAnswer = function (this: unknown, c, round, choice) { handled.set(`${c.sessionId}/${round}`, performance.timeOrigin + performance.now()); onAnswer.call(this, c, round, choice); };
  const roundTimes: number[] = [];
  const proto = BattleRoom.prototype as unknown as { closeRound: () => void };
  const closeRound = proto.closeRound;
  proto.closeRound = function (this: unknown) {
    const start = performance.now();
    closeRound.call(this);
    roundTimes.push(since(start));
  };

  console.log(`Quest Arena bench/battle on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${arena.database.kind}; players in a worker thread`);

  // 1. Memory per battle: rooms created server-side with no clients, heap measured after GC.
  gc(); await new Promise((r) => setTimeout(r, 200)); gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const made = [];
  for (let i = 0; i < MEMORY_ROOMS; i++) made.push(await matchMaker.createRoom('battle', { private: true, subject: 'science' }));
  gc(); await new Promise((r) => setTimeout(r, 200)); gc();
  const perBattleKb = (process.memoryUsage().heapUsed - heapBefore) / MEMORY_ROOMS / 1024;
  await Promise.all(made.map((r) => matchMaker.getLocalRoomById(r.roomId)?.disconnect()));

  // 2. Creation, concurrent battles and the echo floor, played from a worker thread (bench/lib/battleBots.ts)
  // against this thread's server and a bare echo server beside it.
  const echo = await startEchoServer();
  const echoThread = await startEchoThread();
  const input: BotsInput = {
    url, echoUrl: echo.url, loadedEchoUrl: echoThread.url, tokens, players: PLAYERS, size: SIZE,
    creations: CREATIONS, rounds: ROUNDS, echoSpacingMs: 800, staggerMs: STAGGER_MS,
  };
  let stopWatch: (() => ThreadLoad) | undefined;
  let serverLoad: ThreadLoad | undefined;
  const out = await new Promise<BotsOutput>((resolve, reject) => {
    const worker = new Worker(`require('tsx/cjs'); require(${JSON.stringify(path.join(__dirname, 'lib/battleBots.ts'))});`, { eval: true, workerData: input });
    worker.on('message', (m: BotsMessage) => {
      if (m.kind === 'progress') console.error(`[bench] ${m.line}`);
      else if (m.kind === 'play') stopWatch = watchThread('server');
      else if (m.kind === 'settle') { serverLoad = stopWatch?.(); gc(); worker.postMessage('settled'); }
      else if (m.kind === 'done') resolve(m.out);
      else reject(new Error(`players failed: ${m.error}`));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`player worker exited with ${code}`)));
  });
  await echo.close();
  await echoThread.close();
  for (const e of out.errors) console.error('error from server:', e);
  const { battles } = out;
  const floor = summarize(out.echo);

  const c = summarize(out.creation);
  const a = summarize(out.acks);
  const r = summarize(roundTimes);
  console.log('');
  console.log(row('battle creation (create + join)', c));
  const loaded = summarize(out.loadedEcho);
  const ratio = (f: { p99: number; median: number }) => `answer/floor: p99 ${(a.p99 / f.p99).toFixed(2)}x, median ${(a.median / f.median).toFixed(2)}x`;
  console.log(row(`answer -> answer_ack, ${battles * SIZE} players`, a));
  console.log(row('  floor, during the battles (echo thread)', loaded, 'ms', ratio(loaded)));
  console.log(row('  floor, machine idle (after the battles)', floor, 'ms', ratio(floor)));
  console.log(row('round processing (server, per round)', r));
  console.log(`${'memory per battle (empty room, heap)'.padEnd(44)} ${perBattleKb.toFixed(1)} KiB over ${MEMORY_ROOMS} rooms`);
  console.log(`${'battles played'.padEnd(44)} ${battles} of ${SIZE} players, ${out.finished / SIZE} finished in ${out.playSeconds.toFixed(1)} s; starts spread over ${STAGGER_MS} ms`);
  // The answer round trip in two legs, on the clock both threads share (timeOrigin + now).
  const up: number[] = []; const down: number[] = [];
  for (const [sid, round, sentAt, ackAt] of out.split) { const h = handled.get(`${sid}/${round}`); if (h) { up.push(h - sentAt); down.push(ackAt - h); } }
  const legs = { up: summarize(up), down: summarize(down) };
  console.log(row('  answer leg: player send -> server handler', legs.up));
  console.log(row('  answer leg: server handler -> player ack', legs.down));
  const load = (label: string, t?: ThreadLoad) => t && console.log(`${label.padEnd(44)} event-loop delay p50=${t.loopP50.toFixed(2)} p99=${t.loopP99.toFixed(2)} max=${t.loopMax.toFixed(1)} ms; GC ${t.gcCount}× total ${t.gcTotalMs.toFixed(0)} ms, longest ${t.gcMaxMs.toFixed(1)} ms`);
  load('server thread while battles ran', serverLoad);
  load('players\' thread while battles ran', out.threadLoad);
  console.log(`targets: creation p99 < 20 ms; answer p99 < 10 ms with 500 players and within 2x of the echo floor (p99)`);

  const results = path.join(__dirname, 'results');
  fs.mkdirSync(results, { recursive: true });
  fs.writeFileSync(path.join(results, `battle-${arena.database.kind}.json`), JSON.stringify({
    at: new Date().toISOString(), machine: `${os.cpus().length} × ${os.cpus()[0]?.model}`, node: process.version, database: arena.database.kind,
    players: battles * SIZE, battles, staggerMs: STAGGER_MS, creation: c, answerAck: a, answerLegs: legs, echoFloorDuringBattles: loaded, echoFloorIdle: floor, roundProcessing: r, memoryPerBattleKiB: perBattleKb, serverThread: serverLoad, playersThread: out.threadLoad,
  }, null, 2) + '\n');

  await server.stop();
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
