import { WebSocketServer, WebSocket } from 'ws';
import { pack, unpack } from 'msgpackr';
import { summarize } from './stats';

/**
 * `clients` bare `ws` clients against the echo server at `url`, each doing `messages` round trips of a
 * small msgpack message (an answer's shape), `spacingMs` apart, their starts spread: the floor's clients.
 * Returns every round trip in ms.
 */
export async function echoClients(url: string, clients: number, messages: number, spacingMs: number): Promise<number[]> {
  const sockets = await Promise.all(Array.from({ length: clients }, () => new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  })));
  const rtts: number[] = [];
  await Promise.all(sockets.map(async (ws, i) => {
    await new Promise((r) => setTimeout(r, (i * 7) % Math.max(1, spacingMs)));
    for (let k = 0; k < messages; k++) {
      const start = performance.now();
      await new Promise<void>((resolve) => {
        ws.once('message', (data) => { unpack(data as Buffer); resolve(); });
        ws.send(pack({ type: 'answer', round: k + 1, choice: 2 }));
      });
      rtts.push(performance.now() - start);
      await new Promise((r) => setTimeout(r, spacingMs));
    }
  }));
  for (const ws of sockets) ws.terminate();
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
