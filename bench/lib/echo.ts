import { WebSocketServer, WebSocket } from 'ws';
import { pack, unpack } from 'msgpackr';
import { summarize } from './stats';

/**
 * The floor: a bare WebSocket echo server and clients doing the same round trip (a small msgpack
 * message out, one back) at the same concurrency, in the same process and run as the measured server.
 */
export async function echoFloor(opts: { clients: number; messagesPerClient: number; spacingMs: number }): Promise<ReturnType<typeof summarize>> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  wss.on('connection', (ws) => ws.on('message', (data) => ws.send(data)));
  const port = (wss.address() as { port: number }).port;
  const sockets = await Promise.all(Array.from({ length: opts.clients }, () => new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  })));
  const rtts: number[] = [];
  await Promise.all(sockets.map(async (ws, i) => {
    await new Promise((r) => setTimeout(r, (i * 7) % Math.max(1, opts.spacingMs)));
    for (let k = 0; k < opts.messagesPerClient; k++) {
      const start = performance.now();
      await new Promise<void>((resolve) => {
        ws.once('message', (data) => { unpack(data as Buffer); resolve(); });
        ws.send(pack({ type: 'answer', round: k + 1, choice: 2 }));
      });
      rtts.push(performance.now() - start);
      await new Promise((r) => setTimeout(r, opts.spacingMs));
    }
  }));
  for (const ws of sockets) ws.terminate();
  await new Promise<void>((r) => wss.close(() => r()));
  return summarize(rtts);
}
