/**
 * The players of bench/battle, run in a worker thread so that the server's event loop (main thread) only
 * does server work, as it would with remote clients; the clients' own work (decoding state patches,
 * timers) runs on the other core. Everything here speaks through the real Colyseus SDK, except the echo
 * floor, which uses bare `ws` clients against a bare echo server in the main thread: the same arrangement,
 * the same round trip, the same concurrency and pacing.
 *
 * The worker is told what to do by its workerData and answers with one `done` message (or `failed`),
 * sending `progress` lines on the way.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Client, type Room } from '@colyseus/sdk';
import { createRng } from '../../src/domain/random';
import { echoClient, echoClients } from './echo';
import { withTimeout } from './players';
import { type ThreadLoad, watchThread } from './stats';

export interface BotsInput {
  url: string;
  echoUrl: string;
  /** An echo server on its own thread, played against during the battles (the floor under the same load). */
  loadedEchoUrl: string;
  tokens: string[];
  players: number;
  size: number;
  creations: number;
  rounds: number;
  echoSpacingMs: number;
  /** Spread the battles' starts over this many ms (0: all at once, in lock step). */
  staggerMs: number;
}

export interface BotsOutput {
  creation: number[];
  acks: number[];
  echo: number[];
  /** Echo round trips made during the battles, one echo client per player, on the players' schedule. */
  loadedEcho: number[];
  battles: number;
  finished: number;
  playSeconds: number;
  errors: string[];
  /** The players' thread while battles were played: event-loop delay (ms) and garbage collection. */
  threadLoad: ThreadLoad;
  /** Per answer: session, round, send and ack times on the clock threads share (timeOrigin + now), to split the round trip. */
  split: Array<[string, number, number, number]>;
}

export type BotsMessage = { kind: 'progress'; line: string } | { kind: 'play' } | { kind: 'settle' } | { kind: 'done'; out: BotsOutput } | { kind: 'failed'; error: string };

const post = (m: BotsMessage) => parentPort!.postMessage(m);

/** Asks the main thread to collect its garbage, and waits until it has (its answer is `settled`). */
function settle(): Promise<void> {
  return new Promise((resolve) => {
    parentPort!.once('message', () => resolve());
    post({ kind: 'settle' });
  });
}

async function run(input: BotsInput): Promise<BotsOutput> {
  const { url, tokens, players, size, creations } = input;
  const client = (i: number) => { const c = new Client(url); c.auth.token = tokens[i]; return c; };
  const errors: string[] = [];

  // 1. Battle creation: create() through HTTP matchmaking and the WebSocket join, one after another.
  const creation: number[] = [];
  for (let i = 0; i < creations; i++) {
    const start = performance.now();
    const room = await client(players).create('battle', { private: true, subject: 'math' });
    creation.push(performance.now() - start);
    await withTimeout(room.leave(true), 5000, 'leave');
  }
  post({ kind: 'progress', line: `${creations} creations done` });

  // 2. Concurrent battles: every battle seated first, then each battle's players say ready together, the
  // battles' starts spread evenly over staggerMs (0: all at once).
  const battles = Math.floor(players / size);
  const acks: number[] = [];
  const loadedEcho: number[] = [];
  const twins: Array<{ close(): void }> = [];
  const split: Array<[string, number, number, number]> = [];
  const rng = createRng('bench');
  let finished = 0;
  const results: Array<Promise<void>> = [];
  const rooms: Room[] = [];
  const closed = new WeakSet<Room>();
  const playStart = performance.now();
  post({ kind: 'play' });
  const stopWatch = watchThread('players');
  for (let b = 0; b < battles; b++) {
    const host = await client(b * size).create('battle', { private: true, subject: 'math' });
    const seats = [host];
    for (let k = 1; k < size; k++) seats.push(await client(b * size + k).joinById(host.roomId));
    rooms.push(...seats);
    for (const room of seats) {
      const twin = await echoClient(input.loadedEchoUrl);
      twins.push(twin);
      room.onLeave(() => closed.add(room));
      const sent = new Map<number, number>();
      room.onMessage('question', (q: { round: number; choices: string[] }) => {
        const delay = 50 + rng.int(0, 1500);
        setTimeout(() => { sent.set(q.round, performance.now()); room.send('answer', { round: q.round, choice: rng.int(0, q.choices.length - 1) }); }, delay);
        // The player's echo twin: the same round trip to a bare echo server, at an independent moment drawn
        // the same way, while the same battles run.
        setTimeout(() => { void twin.roundTrip().then((ms) => loadedEcho.push(ms)); }, 50 + rng.int(0, 1500));
      });
      room.onMessage('answer_ack', (a: { round: number }) => { const now = performance.now(); acks.push(now - sent.get(a.round)!); split.push([room.sessionId, a.round, performance.timeOrigin + sent.get(a.round)!, performance.timeOrigin + now]); });
      room.onMessage('round_result', () => {});
      room.onMessage('error', (e: { code?: string; message?: string }) => { if (errors.length < 20) errors.push(`${e.code}: ${e.message}`); });
      results.push(new Promise<void>((resolve) => room.onMessage('battle_result', () => { finished++; resolve(); })));
    }
  }
  post({ kind: 'progress', line: `${battles} battles of ${size} seated in ${((performance.now() - playStart) / 1000).toFixed(1)} s` });
  for (let b = 0; b < battles; b++) {
    const ready = () => { for (const room of rooms.slice(b * size, (b + 1) * size)) room.send('ready', { ready: true }); };
    if (input.staggerMs > 0) setTimeout(ready, (b * input.staggerMs) / battles);
    else ready();
  }
  const watchdog = setInterval(() => {
    const phases: Record<string, number> = {};
    for (const r of rooms) { const p = String((r.state as { phase?: string })?.phase); phases[p] = (phases[p] ?? 0) + 1; }
    post({ kind: 'progress', line: `${finished}/${rooms.length} results, ${acks.length} acks; client phases ${JSON.stringify(phases)}` });
  }, 10_000);
  await Promise.all(results);
  const threadLoad = stopWatch();
  for (const t of twins) t.close();
  clearInterval(watchdog);
  const playSeconds = (performance.now() - playStart) / 1000;
  // The server closes finished battles after a short linger; the SDK's leave() never settles on a room
  // that is closed already, so only rooms still open are left (and none is waited on forever).
  await Promise.all(rooms.filter((r) => !closed.has(r)).map((r) => withTimeout(r.leave(true), 5000, 'leave').catch(() => {})));

  // 3. The floor: bare ws clients, same count, same message, paced like the players' answers, once the
  // server has closed the finished battles and both threads collected their garbage (so the floor pays
  // for neither the battles' teardown nor their leftovers).
  await new Promise((r) => setTimeout(r, 2000));
  (globalThis as { gc?: () => void }).gc?.();
  await settle();
  const echo = await echoClients(input.echoUrl, rooms.length, input.rounds, input.echoSpacingMs);
  return { creation, acks, echo, loadedEcho, battles, finished, playSeconds, errors, threadLoad, split };
}

run(workerData as BotsInput).then(
  (out) => post({ kind: 'done', out }),
  (err: unknown) => post({ kind: 'failed', error: err instanceof Error ? err.stack ?? err.message : String(err) }),
);
