/**
 * bench/battle: many concurrent quiz battles played by bots through the real SDK against an in-process
 * server on the embedded database. Prints battle creation latency, answer-to-acknowledgement round trip,
 * round processing time (median, p99), memory per battle, and the same round trip through a bare
 * WebSocket echo server measured in the same run as the floor. Figures only: it never passes or fails.
 *
 *   npm run bench:battle                 # 496 players (62 battles of 8)
 *   BENCH_PLAYERS=1000 npm run bench:battle
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { matchMaker } from '@colyseus/core';
import { Client, type Room } from '@colyseus/sdk';
import { BattleRoom } from '../rooms/BattleRoom';
import { createArena } from '../src/app';
import { hashPassword } from '../src/auth/passwords';
import { loadConfig } from '../src/config';
import { createRng } from '../src/domain/random';
import { createLogger } from '../src/logger';
import { User } from '../src/persistence/entities';
import { echoFloor } from './lib/echo';
import { freePort } from '../test/helpers/process';
import { row, since, summarize } from './lib/stats';

const PLAYERS = Number(process.env.BENCH_PLAYERS ?? 496);
const SIZE = Number(process.env.BENCH_BATTLE_SIZE ?? 8);
const CREATIONS = Number(process.env.BENCH_CREATIONS ?? 200);
const MEMORY_ROOMS = Number(process.env.BENCH_MEMORY_ROOMS ?? 300);
const ROUNDS = 5;
const QUESTION_MS = 4000;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qa-bench-'));
  const config = loadConfig({
    ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'error', JWT_SECRET: 'bench-secret-bench-secret-bench-secret-00',
    BATTLE_COUNTDOWN_MS: '200', BATTLE_QUESTION_MS: String(QUESTION_MS), BATTLE_REVEAL_MS: '300', BATTLE_ROUNDS: String(ROUNDS),
    BATTLE_FILL_WAIT_MS: '0', BATTLE_FINISHED_LINGER_MS: '500', MAX_MESSAGES_PER_SECOND: '50',
    DATABASE_URL: process.env.BENCH_DATABASE_URL ?? '',
  });
  const arena = await createArena(config, createLogger('error'));
  const port = await freePort();
  await arena.server.listen(port, '127.0.0.1');
  const url = `ws://127.0.0.1:${port}`;
  const s = arena.services;

  // Accounts straight into the database (one shared hash): registering 500 users through scrypt would
  // measure the KDF, not the game.
  const passwordHash = await hashPassword('bench-password');
  const users = Array.from({ length: PLAYERS + 1 }, (_, i) => ({ id: randomUUID(), username: `bench_${i}`, role: 'student' as const }));
  await s.db.getRepository(User).insert(users.map((u) => ({ ...u, passwordHash, displayName: u.username, grade: 1 + (users.indexOf(u) % 8) } as never)));
  const tokens = users.map((u) => s.tokens.issue(u));
  const client = (i: number) => { const c = new Client(url); c.auth.token = tokens[i]; return c; };

  // Server-side round processing time: wraps the room's closeRound (score, log, broadcast).
  const roundTimes: number[] = [];
  const proto = BattleRoom.prototype as unknown as { closeRound: () => void };
  const closeRound = proto.closeRound;
  proto.closeRound = function (this: unknown) {
    const start = performance.now();
    closeRound.call(this);
    roundTimes.push(since(start));
  };

  console.log(`Quest Arena bench/battle on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${arena.database.kind}`);

  // 1. Battle creation: create() through HTTP matchmaking and the WebSocket join, one after another.
  const creation: number[] = [];
  for (let i = 0; i < CREATIONS; i++) {
    const start = performance.now();
    const room = await client(PLAYERS).create('battle', { private: true, subject: 'math' });
    creation.push(since(start));
    await room.leave(true);
  }

  if (process.env.BENCH_DEBUG) console.error(`[bench] ${CREATIONS} creations done`);
  // 2. Memory per battle: rooms created server-side with no clients, heap measured after GC.
  gc(); await new Promise((r) => setTimeout(r, 200)); gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const made = [];
  for (let i = 0; i < MEMORY_ROOMS; i++) made.push(await matchMaker.createRoom('battle', { private: true, subject: 'science' }));
  gc(); await new Promise((r) => setTimeout(r, 200)); gc();
  const perBattleKb = (process.memoryUsage().heapUsed - heapBefore) / MEMORY_ROOMS / 1024;
  await Promise.all(made.map((r) => matchMaker.getLocalRoomById(r.roomId)?.disconnect()));

  if (process.env.BENCH_DEBUG) console.error('[bench] memory phase done');
  // 3. Concurrent battles played by bots.
  const battles = Math.floor(PLAYERS / SIZE);
  const acks: number[] = [];
  const rng = createRng('bench');
  let finished = 0;
  const playStart = performance.now();
  const all: Array<Promise<void>> = [];
  const rooms: Room[] = [];
  for (let b = 0; b < battles; b++) {
    const host = await client(b * SIZE).create('battle', { private: true, subject: 'math' });
    const seats = [host];
    for (let k = 1; k < SIZE; k++) seats.push(await client(b * SIZE + k).joinById(host.roomId));
    if (process.env.BENCH_DEBUG) console.error(`[bench] battle ${b + 1}/${battles} seated at ${(since(playStart) / 1000).toFixed(1)} s`);
    rooms.push(...seats);
    for (const room of seats) {
      const sent = new Map<number, number>();
      room.onMessage('question', (q: { round: number; choices: string[] }) => {
        const delay = 50 + rng.int(0, 1500);
        setTimeout(() => { sent.set(q.round, performance.now()); room.send('answer', { round: q.round, choice: rng.int(0, q.choices.length - 1) }); }, delay);
      });
      room.onMessage('answer_ack', (a: { round: number }) => { acks.push(performance.now() - sent.get(a.round)!); });
      room.onMessage('round_result', () => {});
      room.onMessage('error', (e: unknown) => console.error('error from server', e));
      all.push(new Promise<void>((resolve) => room.onMessage('battle_result', () => { finished++; resolve(); })));
    }
  }
  for (const room of rooms) room.send('ready', { ready: true });
  const watchdog = setInterval(() => {
    const phases: Record<string, number> = {};
    for (const r of rooms) phases[String((r.state as { phase?: string })?.phase)] = (phases[String((r.state as { phase?: string })?.phase)] ?? 0) + 1;
    console.error(`[bench] ${finished}/${battles * SIZE} results; client phases ${JSON.stringify(phases)}`);
  }, 10_000);
  await Promise.all(all);
  clearInterval(watchdog);
  const playSeconds = since(playStart) / 1000;
  for (const room of rooms) await room.leave(true).catch(() => {});

  // 4. The floor, same process, same concurrency and pacing.
  const floor = await echoFloor({ clients: battles * SIZE, messagesPerClient: ROUNDS, spacingMs: 800 });

  const c = summarize(creation);
  const a = summarize(acks);
  const r = summarize(roundTimes);
  console.log('');
  console.log(row('battle creation (create + join)', c));
  console.log(row(`answer -> answer_ack, ${battles * SIZE} players`, a, 'ms', `ratio to echo p99 ${(a.p99 / floor.p99).toFixed(2)}x, median ${(a.median / floor.median).toFixed(2)}x`));
  console.log(row('  floor: bare WebSocket echo', floor));
  console.log(row('round processing (server, per round)', r));
  console.log(`${'memory per battle (empty room, heap)'.padEnd(44)} ${perBattleKb.toFixed(1)} KiB over ${MEMORY_ROOMS} rooms`);
  console.log(`${'battles played'.padEnd(44)} ${battles} of ${SIZE} players, ${finished / SIZE} finished in ${playSeconds.toFixed(1)} s`);
  console.log(`targets: creation p99 < 20 ms; answer p99 < 10 ms with 500 players and within 2x of the echo floor`);

  const out = path.join(__dirname, 'results');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'battle.json'), JSON.stringify({
    at: new Date().toISOString(), machine: `${os.cpus().length} × ${os.cpus()[0]?.model}`, node: process.version, database: arena.database.kind,
    players: battles * SIZE, battles, creation: c, answerAck: a, echoFloor: floor, roundProcessing: r, memoryPerBattleKiB: perBattleKb,
  }, null, 2) + '\n');

  await arena.shutdown();
  fs.rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
