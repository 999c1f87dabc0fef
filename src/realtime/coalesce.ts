import type { Socket } from 'node:net';
import { WebSocketTransport } from '@colyseus/ws-transport';
import type { WebSocket } from 'ws';

type WriteCallback = (err?: Error | null) => void;
/** A frame's header and payload as `ws` builds them; a text message's payload is the string itself. */
type Frame = ReadonlyArray<Buffer | string>;
interface WsInternals {
  _socket?: Socket;
  _isServer?: boolean;
  _extensions?: Record<string, unknown>;
  _sender?: { sendFrame(list: Frame, cb?: WriteCallback): void; _state?: number; _queue?: unknown[] };
}

/** What one connection has to write at the end of this turn of the event loop. */
interface Outbox {
  socket: Socket;
  chunks: Buffer[];
  bytes: number;
  callbacks: WriteCallback[];
  queued: boolean;
}

/** Connections with something to write this turn; one process.nextTick writes them all. */
let dirty: Outbox[] = [];

function flushAll(): void {
  const boxes = dirty;
  dirty = [];
  for (const box of boxes) flush(box);
}

function flush(box: Outbox): void {
  box.queued = false;
  const { socket, chunks, bytes, callbacks } = box;
  box.chunks = [];
  box.bytes = 0;
  box.callbacks = [];
  if (socket.destroyed || socket.writableEnded) {
    const err = new Error('the WebSocket closed before its frames were written');
    for (const cb of callbacks) cb(err);
    return;
  }
  const out = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, bytes);
  if (callbacks.length === 0) socket.write(out);
  else socket.write(out, (err) => { for (const cb of callbacks) cb(err); });
}

function enqueue(box: Outbox, chunk: Buffer, cb?: WriteCallback): void {
  box.chunks.push(chunk);
  box.bytes += chunk.length;
  if (cb) box.callbacks.push(cb);
  if (!box.queued) {
    box.queued = true;
    if (dirty.length === 0) process.nextTick(flushAll);
    dirty.push(box);
  }
}

/** An unmasked, final, uncompressed binary frame (RFC 6455 §5.2), header and payload in one buffer. */
function binaryFrame(data: Uint8Array): Buffer {
  const n = data.length;
  const head = n < 126 ? 2 : n < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(head + n);
  frame[0] = 0x82; // FIN + opcode 2 (binary)
  if (head === 2) {
    frame[1] = n;
  } else if (head === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
    frame.writeUInt32BE(n >>> 0, 6);
  }
  frame.set(data, head);
  return frame;
}

/**
 * Frames sent to one WebSocket during one turn of the event loop leave in one write of one buffer, and
 * the binary messages Colyseus sends (state patches, room messages) are framed here directly.
 *
 * `ws` otherwise writes every frame on its own, one system call each, and a system call costs more than
 * the JavaScript around most of our messages: a state patch and the message that goes with it (a
 * question, a round result), the answers to several messages that arrived in one TCP read, a broadcast
 * and a reply. Framing a server's unmasked binary message is a two-to-ten-byte header; `ws`'s general
 * path (an options object, a header buffer and a list per message) and Node's corked stream (a request
 * object per buffer and a `writev` batch), which an earlier version of this relied on: without them the
 * server allocated about a third less in the paced battles (453 → 310 MB per 10 s, sampling heap
 * profile, 2026-12-02).
 *
 * Everything else (text, fragments, compression, control frames, sends with a callback, a socket not
 * open) goes through `ws` as before, and its frames join the same batch in order. The payload is copied
 * when it is sent, so a caller may reuse its buffer. Completion callbacks (ws passes one for a close
 * frame, which it then follows with `socket.end()`) run when the joined write completes; a socket
 * destroyed or ended before the turn ends writes nothing and fails them, as a write to it would.
 *
 * Returns a function that adds frames the caller built whole (header, mask and payload) to the same batch,
 * in order with everything sent through `ws` (undefined when `ws`'s internals are not there to wrap).
 */
export function coalesceWrites(ws: WebSocket): ((frames: Buffer) => void) | undefined {
  const internals = ws as unknown as WsInternals;
  const socket = internals._socket;
  const sender = internals._sender;
  if (!socket || !sender || typeof sender.sendFrame !== 'function') return undefined;
  const box: Outbox = { socket, chunks: [], bytes: 0, callbacks: [], queued: false };
  sender.sendFrame = (list: Frame, cb?: WriteCallback) => {
    for (let i = 0; i < list.length; i++) {
      const part = list[i];
      enqueue(box, typeof part === 'string' ? Buffer.from(part) : part, i === list.length - 1 ? cb : undefined);
    }
  };
  const send = ws.send;
  const plain = internals._isServer === true && !internals._extensions?.['permessage-deflate'];
  /** A whole binary message on an open, uncompressed server socket, with nothing of ws's still queued before it. */
  const framesItself = (data: unknown, options: unknown, cb: unknown): data is Uint8Array => {
    const opts = options as { binary?: boolean; fin?: boolean } | undefined;
    return plain && cb === undefined && data instanceof Uint8Array && ws.readyState === 1
      && (opts === undefined || (typeof opts === 'object' && opts.binary !== false && opts.fin !== false))
      && sender._state === 0 && (sender._queue?.length ?? 0) === 0;
  };
  ws.send = function (this: WebSocket, data: unknown, options?: unknown, cb?: unknown) {
    if (framesItself(data, options, cb)) return enqueue(box, binaryFrame(data));
    return (send as (...a: unknown[]) => void).call(this, data, options, cb);
  } as WebSocket['send'];
  return (frames: Buffer) => enqueue(box, frames);
}

/** Slices of the ping interval: the heartbeat pings a sixtieth of the connections at a time. */
const PING_SLICES = 60;

/**
 * Colyseus' `ws` transport whose connections coalesce their writes (coalesceWrites) and whose heartbeat
 * is spread over its interval.
 *
 * Colyseus pings every connection in one timer callback every `pingInterval` (3 s), one write each:
 * with 10,000 connections that is one turn of the event loop writing 10,000 times while nothing is read.
 * Here the interval is cut into 60 slices; each slice pings a sixtieth of the connections there were at
 * the start of the round, in the order of ws's client set (one that joins during a round is reached in
 * that round or the next). The rule is Colyseus': a connection gets one ping per interval, its pong
 * clears its count, and one with `pingMaxRetries` pings unanswered is terminated.
 */
export class CoalescingWebSocketTransport extends WebSocketTransport {
  constructor(options: ConstructorParameters<typeof WebSocketTransport>[0]) {
    super(options);
    this.wss.on('connection', (ws: WebSocket) => { coalesceWrites(ws); });
  }

  protected override autoTerminateUnresponsiveClients(pingInterval: number, pingMaxRetries: number): void {
    type Pinged = WebSocket & { pingCount: number };
    const clients = this.wss.clients as Set<Pinged>;
    let round: Iterator<Pinged> | undefined;
    let share = 0;
    let slice = 0;
    this.pingInterval = setInterval(() => {
      if (slice++ % PING_SLICES === 0) {
        round = clients.values();
        share = Math.ceil(clients.size / PING_SLICES);
      }
      for (let i = 0; i < share && round; i++) {
        const next = round.next();
        if (next.done) {
          round = undefined;
          break;
        }
        const client = next.value;
        if (client.pingCount >= pingMaxRetries) {
          client.terminate();
          continue;
        }
        client.pingCount++;
        client.ping();
      }
    }, pingInterval / PING_SLICES);
  }
}
