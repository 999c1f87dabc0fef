import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { CoalescingWebSocketTransport, coalesceWrites } from '../../src/realtime/coalesce';

/** A real ws server and client on a free local port; the server side's socket writes are counted. */
async function pair(coalesce: boolean) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  let write: ((frames: Buffer) => void) | undefined;
  const serverSide = new Promise<WebSocket>((resolve) => wss.once('connection', (ws) => { if (coalesce) write = coalesceWrites(ws); resolve(ws); }));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as { port: number }).port}`, { perMessageDeflate: false });
  await new Promise((r) => client.once('open', r));
  const ws = await serverSide;
  const socket = (ws as unknown as { _socket: Socket })._socket;
  let writes = 0;
  const handle = (socket as unknown as { _handle: { writev: (...a: unknown[]) => unknown; writeBuffer: (...a: unknown[]) => unknown } })._handle;
  for (const m of ['writev', 'writeBuffer'] as const) {
    const orig = handle[m].bind(handle);
    handle[m] = (...a: unknown[]) => { writes++; return orig(...a); };
  }
  return { ws, client, write, writes: () => writes, close: async () => { client.terminate(); await new Promise((r) => wss.close(r)); } };
}

function receive(client: WebSocket, n: number): Promise<string[]> {
  const got: string[] = [];
  return new Promise((resolve) => client.on('message', (d) => { got.push(String(d)); if (got.length === n) resolve(got); }));
}

describe('coalesceWrites', () => {
  // With it, one write for the turn; without it (the control), ws writes each frame on its own.
  for (const [coalesce, writes] of [[true, 1], [false, 3]] as const) {
    it(`${coalesce ? 'sends' : '(the control, without it) does not send'} the frames of one event-loop turn in one write, in order`, async () => {
      const p = await pair(coalesce);
      const got = receive(p.client, 3);
      p.ws.send('a'); p.ws.send('bb'); p.ws.send('ccc');
      assert.deepEqual(await got, ['a', 'bb', 'ccc']);
      assert.equal(p.writes(), writes);
      // A later turn is a write of its own.
      const more = receive(p.client, 1);
      p.ws.send('d');
      assert.deepEqual(await more, ['d']);
      assert.equal(p.writes(), writes + 1);
      await p.close();
    });
  }

  it('frames binary messages of every length class itself (7-bit, 16-bit, 64-bit), copied at send, in order with text', async () => {
    const p = await pair(true);
    const sizes = [0, 1, 125, 126, 65_535, 65_536, 70_000];
    const got: Array<string | Buffer> = [];
    const all = new Promise<void>((resolve) => p.client.on('message', (d, isBinary) => {
      got.push(isBinary ? Buffer.from(d as Buffer) : String(d));
      if (got.length === sizes.length + 1) resolve();
    }));
    const scratch = Buffer.alloc(70_000);
    const sent: Buffer[] = [];
    sizes.forEach((n, i) => {
      scratch.fill(i + 1, 0, n);
      const view = scratch.subarray(0, n);
      sent.push(Buffer.from(view));
      p.ws.send(view, { binary: true }); // the sender reuses its buffer right after: the frame must not change
      if (i === 2) p.ws.send('text between'); // through ws's own path, into the same batch
    });
    await all;
    assert.equal(p.writes(), 1);
    assert.deepEqual(got, [...sent.slice(0, 3), 'text between', ...sent.slice(3)]);
    await p.close();
  });

  it('adds frames the caller built whole to the same write, in order with what goes through ws', async () => {
    const p = await pair(true);
    assert.ok(p.write);
    const got = receive(p.client, 4);
    p.ws.send('one');
    // Two unmasked text frames (server to client), built by hand, in one buffer.
    p.write!(Buffer.concat([Buffer.from([0x81, 3]), Buffer.from('two'), Buffer.from([0x81, 5]), Buffer.from('three')]));
    p.ws.send(Buffer.from('four'), { binary: false });
    assert.deepEqual(await got, ['one', 'two', 'three', 'four']);
    assert.equal(p.writes(), 1);
    await p.close();
  });

  it('passes a send with a completion callback through ws, and calls it once written', async () => {
    const p = await pair(true);
    const got = receive(p.client, 2);
    const written = new Promise<unknown>((resolve) => p.ws.send(Buffer.from('with cb'), { binary: true }, resolve));
    p.ws.send(Buffer.from('after'), { binary: true });
    assert.equal(await written ?? null, null); // no error
    assert.deepEqual(await got, ['with cb', 'after']);
    assert.equal(p.writes(), 1);
    await p.close();
  });

  it('writes nothing to a socket ended before the turn ends, and fails the waiting callbacks', async () => {
    const p = await pair(true);
    const socket = (p.ws as unknown as { _socket: Socket })._socket;
    let socketErrors = 0;
    socket.on('error', () => socketErrors++);
    const result = new Promise<unknown>((resolve) => p.ws.send(Buffer.from('too late'), { binary: true }, resolve));
    socket.end();
    assert.match(String(await result), /closed before its frames were written/);
    assert.equal(p.writes(), 0);
    assert.equal(socketErrors, 0);
    await p.close();
  });

  it('lets a socket close and be destroyed mid-turn without throwing', async () => {
    const p = await pair(true);
    const closed = new Promise<number>((r) => p.client.once('close', (code) => r(code)));
    p.ws.send('last words');
    p.ws.close(4000, 'bye');
    assert.equal(await closed, 4000);
    p.ws.send('after close'); // ws reports this to a callback; nothing throws, nothing is written
    await new Promise((r) => setTimeout(r, 20));
    await p.close();
  });
});

describe('CoalescingWebSocketTransport heartbeat', () => {
  interface FakeClient { pingCount: number; pings: number; terminated: boolean; ping(): void; terminate(): void }

  /** The transport's heartbeat over a client set of our own; `slice()` runs one timer callback. */
  function heartbeat(pingMaxRetries = 2) {
    const transport = new CoalescingWebSocketTransport({ noServer: true });
    const clients = (transport as unknown as { wss: { clients: Set<FakeClient> } }).wss.clients;
    let tick: (() => void) | undefined;
    let every = 0;
    const realSetInterval = globalThis.setInterval;
    globalThis.setInterval = ((fn: () => void, ms: number) => { tick = fn; every = ms; return { unref() {} }; }) as unknown as typeof setInterval;
    try {
      (transport as unknown as { autoTerminateUnresponsiveClients(i: number, r: number): void }).autoTerminateUnresponsiveClients(3000, pingMaxRetries);
    } finally {
      globalThis.setInterval = realSetInterval;
    }
    const add = (): FakeClient => {
      const c: FakeClient = { pingCount: 0, pings: 0, terminated: false, ping() { c.pings++; }, terminate() { c.terminated = true; clients.delete(c); } };
      clients.add(c);
      return c;
    };
    return { clients, add, every: () => every, slice: () => tick!() };
  }

  it('pings every connection once per interval, a sixtieth of them at a time', () => {
    const h = heartbeat();
    const all = Array.from({ length: 600 }, () => h.add());
    assert.equal(h.every(), 50);
    for (let s = 0; s < 60; s++) {
      const before = all.reduce((n, c) => n + c.pings, 0);
      h.slice();
      assert.equal(all.reduce((n, c) => n + c.pings, 0) - before, 10);
    }
    assert.ok(all.every((c) => c.pings === 1));
    for (let s = 0; s < 60; s++) h.slice();
    assert.ok(all.every((c) => c.pings === 2));
  });

  it('terminates a connection that left pingMaxRetries pings unanswered, and not one that answered', () => {
    const h = heartbeat(2);
    const all = Array.from({ length: 120 }, () => h.add());
    for (let s = 0; s < 120; s++) h.slice();
    all.slice(0, 60).forEach((c) => { c.pingCount = 0; }); // their pongs came back
    for (let s = 0; s < 60; s++) h.slice();
    assert.ok(all.slice(0, 60).every((c) => !c.terminated && c.pings === 3));
    assert.ok(all.slice(60).every((c) => c.terminated && c.pings === 2));
  });

  it('pings a lone connection once per interval (not once per slice), and one that joins mid-round within two', () => {
    const h = heartbeat(100);
    const lone = h.add();
    for (let s = 0; s < 30; s++) h.slice();
    const late = h.add();
    for (let s = 30; s < 180; s++) h.slice();
    assert.equal(lone.pings, 3);
    assert.ok(late.pings === 2 || late.pings === 3, `pinged ${late.pings} times in 2.5 intervals`);
  });
});
