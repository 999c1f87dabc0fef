import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { WebSocketServer, WebSocket } from 'ws';
import { pack, unpack } from 'msgpackr';
import { summarize } from './stats';

/**
 * `clients` bare `ws` clients against the echo server at `url`, each doing `messages` round trips of a
 * small msgpack message (an answer's shape), `spacingMs` apart, their starts spread: the floor's clients.
 * Returns every round trip in ms.
 */
export async function echoClients(url: string, clients: number, messages: number, spacingMs: number): Promise<number[]> {
  const sockets = await Promise.all(Array.from({ length: clients }, () => echoClient(url)));
  const rtts: number[] = [];
  await Promise.all(sockets.map(async (socket, i) => {
    await new Promise((r) => setTimeout(r, (i * 7) % Math.max(1, spacingMs)));
    for (let k = 0; k < messages; k++) {
      rtts.push(await socket.roundTrip());
      await new Promise((r) => setTimeout(r, spacingMs));
    }
  }));
  for (const socket of sockets) socket.close();
  return rtts;
}

/** A bare `ws` echo server on a free local port, in this process. */
export async function startEchoServer(): Promise<{ url: string; close(): Promise<void> }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  wss.on('connection', (ws) => ws.on('message', (data) => ws.send(data)));
  return {
    url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}`,
    close: () => new Promise<void>((r) => wss.close(() => r())),
  };
}

/**
 * The floor: a bare WebSocket echo server and clients doing the same round trip (a small msgpack
 * message out, one back) at the same concurrency, in the same process and run as the measured server.
 */
export async function echoFloor(opts: { clients: number; messagesPerClient: number; spacingMs: number }): Promise<ReturnType<typeof summarize>> {
  const echo = await startEchoServer();
  const rtts = await echoClients(echo.url, opts.clients, opts.messagesPerClient, opts.spacingMs);
  await echo.close();
  return summarize(rtts);
}

/**
 * The same bare echo server on a thread of its own: a floor measured while the game server is busy pays
 * the machine's load (the clients' thread, the shared cores) but none of the game server's own work.
 */
export async function startEchoThread(): Promise<{ url: string; close(): Promise<void> }> {
  const worker = new Worker(
    `require('tsx/cjs'); const { parentPort } = require('node:worker_threads');
     require(${JSON.stringify(path.join(__dirname, 'echo.ts'))}).startEchoServer().then((s) => parentPort.postMessage(s.url));`,
    { eval: true },
  );
  const url = await new Promise<string>((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
  return { url, close: async () => { await worker.terminate(); } };
}

/** One bare `ws` client of an echo server: `roundTrip()` sends a small msgpack message and resolves with the ms until its echo. */
export async function echoClient(url: string): Promise<{ roundTrip(): Promise<number>; close(): void }> {
  const ws = await new Promise<WebSocket>((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
  const waiting: Array<{ start: number; resolve: (ms: number) => void }> = [];
  ws.on('message', (data) => { unpack(data as Buffer); const w = waiting.shift(); w?.resolve(performance.now() - w.start); });
  let n = 0;
  return {
    roundTrip: () => new Promise<number>((resolve) => {
      waiting.push({ start: performance.now(), resolve });
      ws.send(pack({ type: 'answer', round: ++n, choice: 2 }));
    }),
    close: () => ws.terminate(),
  };
}
