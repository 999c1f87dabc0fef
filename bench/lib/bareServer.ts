/**
 * A bare WebSocket server in a process of its own, the floor for what a connection costs a server: it
 * echoes every frame back and does nothing else. GET /stats answers its memory and CPU time. Connections
 * to `/relay` are the fan-out floor instead: a frame from one goes to every other `/relay` connection
 * (the arena's in-room broadcast), and POST /trigger sends one message to all of them, then answers 201
 * (the arena's HTTP-triggered notification). Started by bench/lib/floors.ts; prints `PORT <n>` once
 * listening; exits on SIGTERM or when its parent goes away.
 */
import http from 'node:http';
import { pack, unpack } from 'msgpackr';
import { WebSocketServer, type WebSocket } from 'ws';

const relays = new Set<WebSocket>();

const server = http.createServer((req, res) => {
  if (req.url === '/trigger' && req.method === 'POST') {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const { seq } = JSON.parse(body) as { seq: number };
      const frame = pack({ type: 'notification', id: seq, kind: 'child_linked', title: 'A parent account is now linked to you', data: { parentUsername: 'bench_parent' }, createdAt: new Date().toISOString(), read: false });
      for (const ws of relays) ws.send(frame);
      res.statusCode = 201;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ child: { id: 'x', username: 'y' } }));
    });
    return;
  }
  if (req.url === '/stats') {
    const m = process.memoryUsage();
    const c = process.cpuUsage();
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed, cpuSeconds: (c.user + c.system) / 1e6, connections: wss.clients.size }));
    return;
  }
  res.statusCode = 404;
  res.end();
});
// The same transport settings as the arena's (WS_MAX_PAYLOAD_BYTES default, no compression).
const wss = new WebSocketServer({ server, maxPayload: 4096, perMessageDeflate: false });
wss.on('connection', (ws, req) => {
  if (req.url !== '/relay') {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    return;
  }
  relays.add(ws);
  ws.on('close', () => relays.delete(ws));
  ws.on('message', (data) => {
    const { ids } = unpack(data as Buffer) as { ids: string[] };
    const frame = pack({ type: 'notifications_read', ids });
    for (const other of relays) if (other !== ws) other.send(frame);
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`PORT ${(server.address() as { port: number }).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('disconnect', () => process.exit(0));
setInterval(() => { if (process.ppid === 1) process.exit(0); }, 2000).unref();
