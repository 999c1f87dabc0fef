/**
 * A bare WebSocket server in a process of its own, the floor for what a connection costs a server: it
 * echoes every frame back and does nothing else. GET /stats answers its memory and CPU time. Started by
 * bench/lib/floors.ts; prints `PORT <n>` once listening; exits on SIGTERM or when its parent goes away.
 */
import http from 'node:http';
import { WebSocketServer } from 'ws';

const server = http.createServer((req, res) => {
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
wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`PORT ${(server.address() as { port: number }).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('disconnect', () => process.exit(0));
setInterval(() => { if (process.ppid === 1) process.exit(0); }, 2000).unref();
