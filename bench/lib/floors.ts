/**
 * Floors measured in the same run, next to which the arena's figures are read:
 *   - connectionFloor: N raw `ws` connections held by a bare echo server in its own process (time to open
 *     them, the server's memory per connection, its idle CPU);
 *   - echoThroughput: closed-loop raw `ws` clients against that bare server, paced like the arena's
 *     saturated players (messages per second and round trip);
 *   - fanoutFloor: an HTTP POST that makes the bare server send one message to 20 clients, timed from
 *     the POST to the last client's receipt (the arena's trigger is an HTTP POST too); and one more
 *     client's message that the server relays to those 20, timed from its send to the last receipt.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pack, unpack } from 'msgpackr';
import { WebSocket } from 'ws';
import { pool, sleep, withTimeout } from './players';
import { summarizeMany as summarize } from './summary';
import { pinMainThread, pinPlan } from './pin';

const ROOT = path.resolve(__dirname, '../..');

interface BareStats { rss: number; heapUsed: number; cpuSeconds: number; connections: number }

/** The bare echo server child process. */
export async function startBareServer(): Promise<{ port: number; child: ChildProcess; stats(): Promise<BareStats>; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(__dirname, 'bareServer.ts')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  // Placed as the one-process arena is (bench/lib/pin.ts), so that the floor is measured alike.
  const plan = pinPlan();
  if (plan) pinMainThread(child.pid, plan.server);
  const port = await withTimeout(new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`bare server exited with ${code}`)));
  }), 30_000, 'bare server start');
  return {
    port,
    child,
    stats: async () => (await (await fetch(`http://127.0.0.1:${port}/stats`)).json()) as BareStats,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await withTimeout(exited, 5000, 'bare server stop').catch(() => child.kill('SIGKILL'));
    },
  };
}

function openWs(url: string, timeoutMs = 15_000): Promise<WebSocket> {
  return withTimeout(new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  }), timeoutMs, 'ws open');
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export interface ConnectionFloor { target: number; held: number; seconds: number; rssKiBPerConn: number; heapKiBPerConn: number; idleCpuPct: number }

/** N raw ws connections to the bare server, opened with the same concurrency as the arena's. */
export async function connectionFloor(n: number, concurrency: number, budgetSeconds: number): Promise<ConnectionFloor> {
  const bare = await startBareServer();
  const sockets: WebSocket[] = [];
  try {
    await sleep(500);
    const before = await Promise.all([bare.stats(), sleep(300).then(() => bare.stats()), sleep(600).then(() => bare.stats())]);
    const url = `ws://127.0.0.1:${bare.port}/`;
    const res = await pool(n, concurrency, performance.now() + budgetSeconds * 1000, async () => {
      const ws = await openWs(url);
      sockets.push(ws);
      return ws;
    });
    await sleep(2000);
    const after = await Promise.all([bare.stats(), sleep(500).then(() => bare.stats()), sleep(1000).then(() => bare.stats())]);
    const idle0 = await bare.stats();
    await sleep(5000);
    const idle1 = await bare.stats();
    const held = after[0].connections;
    return {
      target: n,
      held,
      seconds: res.seconds,
      rssKiBPerConn: (median(after.map((s) => s.rss)) - median(before.map((s) => s.rss))) / Math.max(1, held) / 1024,
      heapKiBPerConn: (median(after.map((s) => s.heapUsed)) - median(before.map((s) => s.heapUsed))) / Math.max(1, held) / 1024,
      idleCpuPct: ((idle1.cpuSeconds - idle0.cpuSeconds) / 5) * 100,
    };
  } finally {
    for (const ws of sockets) ws.terminate();
    await bare.stop();
  }
}

export interface ThroughputFloor { clients: number; seconds: number; perSecond: number; rtt: ReturnType<typeof summarize> }

/**
 * Closed-loop echo: each client sends, waits for its echo, waits until `minGapMs` has passed since its
 * previous send, sends again; for `seconds`. The bare server runs in its own process.
 */
export async function echoThroughput(clients: number, seconds: number, minGapMs: number): Promise<ThroughputFloor> {
  const bare = await startBareServer();
  const sockets: WebSocket[] = [];
  try {
    const url = `ws://127.0.0.1:${bare.port}/`;
    const opened = await pool(clients, 32, performance.now() + 60_000, async () => { const ws = await openWs(url); sockets.push(ws); return ws; });
    const rtts: number[] = [];
    let count = 0;
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    await Promise.all(opened.ok.map(async (ws, i) => {
      await sleep((i * 7) % Math.max(1, minGapMs));
      let round = 0;
      while (performance.now() < end && ws.readyState === WebSocket.OPEN) {
        const start = performance.now();
        await withTimeout(new Promise<void>((resolve) => {
          ws.once('message', (data) => { unpack(data as Buffer); resolve(); });
          ws.send(pack({ type: 'answer', round: ++round, choice: 2 }));
        }), 10_000, 'echo').catch(() => {});
        const now = performance.now();
        if (now < end) { rtts.push(now - start); count++; }
        const wait = start + minGapMs - performance.now();
        if (wait > 0) await sleep(wait);
      }
    }));
    const elapsed = (performance.now() - t0) / 1000;
    return { clients: opened.ok.length, seconds: elapsed, perSecond: count / elapsed, rtt: summarize(rtts) };
  } finally {
    for (const ws of sockets) ws.terminate();
    await bare.stop();
  }
}

export interface FanoutFloor { clients: number; reps: number; e2e: ReturnType<typeof summarize>; spread: ReturnType<typeof summarize>; http: ReturnType<typeof summarize>; relay: ReturnType<typeof summarize> }

/**
 * One-to-`clients` fan-out on the bare server, in a process of its own like the arena's (bareServer.ts):
 * POST /trigger makes it send one msgpack message to every `/relay` client, then answer 201, timed from
 * just before the POST to the last receipt; and one more client's message that it relays to them, timed
 * from the send to the last receipt. `gapMs` between repetitions, as the arena's measure paces its own.
 */
export async function fanoutFloor(clients: number, reps: number, gapMs: number): Promise<FanoutFloor> {
  const bare = await startBareServer();
  const port = bare.port;
  const sockets: WebSocket[] = [];
  try {
    for (let i = 0; i < clients; i++) sockets.push(await openWs(`ws://127.0.0.1:${port}/relay`));
    const e2e: number[] = [];
    const spread: number[] = [];
    const httpMs: number[] = [];
    for (let r = 0; r < reps; r++) {
      const got: number[] = [];
      const all = new Promise<void>((resolve) => {
        for (const ws of sockets) {
          ws.once('message', (data) => {
            const m = unpack(data as Buffer) as { id: number };
            if (m.id === r) got.push(performance.now());
            if (got.length === sockets.length) resolve();
          });
        }
      });
      const t0 = performance.now();
      const res = await fetch(`http://127.0.0.1:${port}/trigger`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seq: r }) });
      await res.arrayBuffer();
      httpMs.push(performance.now() - t0);
      await withTimeout(all, 5000, 'fan-out');
      e2e.push(Math.max(...got) - t0);
      spread.push(Math.max(...got) - Math.min(...got));
      await sleep(gapMs);
    }
    const sender = await openWs(`ws://127.0.0.1:${port}/relay`);
    const relay: number[] = [];
    try {
      for (let r = 0; r < reps; r++) {
        let left = sockets.length;
        const all = new Promise<void>((resolve) => {
          for (const ws of sockets) ws.once('message', (data) => { unpack(data as Buffer); if (--left === 0) resolve(); });
        });
        const t0 = performance.now();
        sender.send(pack({ type: 'mark_read', ids: [String(r)] }));
        await withTimeout(all, 5000, 'relay');
        relay.push(performance.now() - t0);
        await sleep(gapMs);
      }
    } finally {
      sender.terminate();
    }
    return { clients, reps, e2e: summarize(e2e), spread: summarize(spread), http: summarize(httpMs), relay: summarize(relay) };
  } finally {
    for (const ws of sockets) ws.terminate();
    await bare.stop();
  }
}
