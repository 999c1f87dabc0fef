/**
 * Game clients for the load benchmark, all through the real Colyseus SDK: personal-room connections,
 * battle groups of 8 that create/join/ready/answer, and bounded-concurrency helpers. Every loop here is
 * bounded in count and in time. Automatic reconnection is off on every room, so a drop shows up as a
 * leave with its close code instead of being papered over.
 */
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { coalesceWrites } from '../../src/realtime/coalesce';
import { Client, type Room } from '@colyseus/sdk';
import { getMessageBytes, Protocol } from '@colyseus/core';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Rejects after `ms` (the underlying promise is left to settle on its own). */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms); }),
  ]);
}

/** An SDK client for one user (its own token), speaking to `wsUrl` for matchmaking. */
export function sdk(wsUrl: string, token: string): Client {
  const c = new Client(wsUrl);
  c.auth.token = token;
  return c;
}

/** Close codes and counts of rooms that left without the bench asking them to. */
export class LeaveLog {
  readonly codes = new Map<number, number>();
  add(code: number) { this.codes.set(code, (this.codes.get(code) ?? 0) + 1); }
  get total() { let n = 0; for (const v of this.codes.values()) n += v; return n; }
  toJSON() { return Object.fromEntries(this.codes); }
}

/** Makes a joined room quiet and honest: no reconnection, every message type handled, leaves logged. */
export function watch(room: Room, leaves?: LeaveLog): { closing: boolean; left: boolean; code?: number } {
  const st: { closing: boolean; left: boolean; code?: number } = { closing: false, left: false };
  room.reconnection.enabled = false;
  room.onMessage('*', () => {});
  room.onLeave((code: number) => {
    st.left = true;
    st.code = code;
    if (!st.closing) leaves?.add(code);
  });
  return st;
}

/** The host:port a joined room's WebSocket went to (with several processes, the one hosting the room). */
export function roomPort(room: Room): number {
  const url = (room.connection as unknown as { url?: string }).url ?? '';
  return Number(new URL(url.replace(/^ws/, 'http')).port);
}

export interface PoolResult<T> { ok: T[]; failures: number; errors: Map<string, number>; stoppedAt?: number; seconds: number }

/**
 * Runs `task(i)` for i in [0, count) with at most `concurrency` in flight, until all are done or
 * `deadline` (performance.now()) passes: then no new task starts.
 */
export async function pool<T>(count: number, concurrency: number, deadline: number, task: (i: number) => Promise<T>, onProgress?: (done: number) => void): Promise<PoolResult<T>> {
  const ok: T[] = [];
  const errors = new Map<string, number>();
  let failures = 0;
  let next = 0;
  let stoppedAt: number | undefined;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      if (performance.now() > deadline) { stoppedAt ??= next; return; }
      const i = next++;
      try {
        ok.push(await task(i));
      } catch (e) {
        failures++;
        const key = String((e as Error)?.message ?? e).slice(0, 120);
        errors.set(key, (errors.get(key) ?? 0) + 1);
      }
      onProgress?.(ok.length);
    }
  }));
  return { ok, failures, errors, stoppedAt, seconds: (performance.now() - t0) / 1000 };
}

/** Leaves rooms without waiting for the server (socket closed), in batches so the close storm stays bounded. */
export async function closeAll(rooms: readonly Room[], states?: ReadonlyArray<{ closing: boolean }>, batch = 500): Promise<void> {
  states?.forEach((s) => { s.closing = true; });
  for (let i = 0; i < rooms.length; i += batch) {
    await Promise.all(rooms.slice(i, i + batch).map((r) => withTimeout(r.leave(false), 5000, 'leave').catch(() => {})));
  }
}

/** Records round trips with the time they completed (so a window can be cut out afterwards). */
export class Rtts {
  readonly at: number[] = [];
  readonly ms: number[] = [];
  add(ms: number) { this.at.push(performance.now()); this.ms.push(ms); }
  between(from: number, to: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.at.length; i++) if (this.at[i] >= from && this.at[i] < to) out.push(this.ms[i]);
    return out;
  }
  countBetween(from: number, to: number): number {
    let n = 0;
    for (const t of this.at) if (t >= from && t < to) n++;
    return n;
  }
}

/** Counts of things a group of players saw. */
export class Tally {
  answersSent = 0;
  readySent = 0;
  battlesFinished = 0;
  battlesStarted = 0;
  spamSent = 0;
  /** Players thrown out with 4002 (rate limit): when, and how many messages they had sent just before. */
  readonly kicked: Array<{ at: number; sentLastSecond: number; sentLast2Seconds: number }> = [];
  readonly errors = new Map<string, number>();
  readonly leaves = new LeaveLog();
  error(code: string) { this.errors.set(code, (this.errors.get(code) ?? 0) + 1); }
}

/** What the players of every group do besides answering each question once (shared, switched live). */
export class Play {
  /** Each answer is sent this long (uniform 0..thinkMs) after its question. */
  thinkMs = 1000;
  /** While on, each player that has answered re-sends its last answer `spamPerSecond` times a second on average (rejected by the server). */
  spam = false;
  spamPerSecond = 5;
  /** At most this many re-sent answers in flight per player (closed loop: a slow server slows the senders). */
  spamOutstanding = 2;
  /**
   * Re-sends go out this many at a time, back to back in one write, as a client sends what it has
   * gathered in one frame; the gap between bursts grows to keep `spamPerSecond`.
   */
  spamBurst = 1;
  /**
   * Lean load players (BENCH_LOAD_CLIENT=lean, the default): what they time is sent and read without
   * the SDK's per-message work (see `leanSeat`); off, every message goes through the SDK both ways.
   */
  lean = false;
  /** Replies (answer_ack / error) that the lean path read itself, and those it passed to the SDK. */
  leanReplies = 0;
  sdkReplies = 0;
  readonly answerRtts = new Rtts();
  readonly spamRtts = new Rtts();
  /** Every reply to an `answer` (answer_ack or error), when it arrived. */
  readonly replies = new Rtts();
}

interface Seat {
  room: Room; st: ReturnType<typeof watch>;
  /** Lean: adds whole frames to this socket's batch of writes (coalesceWrites), and the re-sent answer's frames, built once a round. */
  raw?: (frames: Buffer) => void; spamFrames?: { round: number; burst: number; bytes: Buffer };
  /** Answers in flight, oldest first: the server answers each, in order, with answer_ack or "error". */
  inflight: Array<{ t: number; spam: boolean }>;
  lastRound: number; spamInflight: number; nextSpamAt: number; finished: boolean;
  /** When this seat sent its recent messages (diagnoses a rate-limit close). */
  sends: number[];
}

function logSend(seat: Seat): void {
  seat.sends.push(performance.now());
  if (seat.sends.length > 64) seat.sends.splice(0, 32);
}

/** The bytes the SDK would send for `room.send(type, payload)` (one message, unframed), captured instead of sent; undefined if the connection is not open. */
function sdkBytes(room: Room, type: string, payload: unknown): Uint8Array | undefined {
  const transport = (room.connection as unknown as { transport: { send(data: Uint8Array): void } }).transport;
  let bytes: Uint8Array | undefined;
  const send = transport.send;
  transport.send = (data: Uint8Array) => { bytes = Uint8Array.from(data); };
  try { room.send(type, payload); } finally { transport.send = send; }
  return bytes;
}

/**
 * `n` copies of `room.send(type, payload)` as client-to-server binary WebSocket frames (RFC 6455 §5.2:
 * final, masked), in one buffer: built once, written as often as wanted. Undefined if the connection is
 * not open or the message is 64 KiB or more.
 */
function prebuiltFrames(room: Room, type: string, payload: unknown, n: number): Buffer | undefined {
  const bytes = sdkBytes(room, type, payload);
  if (!bytes || bytes.length >= 65_536) return undefined;
  const key = [0x5a, 0xa5, 0x3c, 0xc3];
  const head = bytes.length < 126 ? [0x82, 0x80 | bytes.length] : [0x82, 0x80 | 126, bytes.length >> 8, bytes.length & 0xff];
  const frame = Buffer.concat([Buffer.from(head), Buffer.from(key), Buffer.from(bytes.map((b, i) => b ^ key[i & 3]))]);
  return Buffer.concat(Array.from({ length: n }, () => frame));
}

/** The head of a room message of `type` as the server frames it (the framework's encoder, no payload). */
const messageHead = (type: string) => Buffer.from(getMessageBytes.raw(Protocol.ROOM_DATA, type));
const ACK_HEAD = messageHead('answer_ack');
const ERROR_HEAD = messageHead('error');
/** Decoded `error` payloads by their bytes (a refusal repeats: same code, type and text), bounded. */
const errorPayloads = new Map<string, { code: string; type: string }>();

/**
 * Makes one load player lean on the receiving side: it reads the frames it times itself and leaves
 * the SDK the rest. An `answer_ack` is a reply, its payload unread; an `error` whose bytes were seen
 * before is the payload decoded then (the first of each goes through the SDK, whose handler records it);
 * a state patch is dropped undecoded (no load player reads the battle's state; the server encodes and
 * sends it all the same, and the probe players, on the full SDK, decode theirs); everything else (the
 * join, questions, results, leaves) goes to the SDK as it came. Frames arrive as Node buffers, so `ws`
 * does not copy each into an ArrayBuffer first.
 */
function leanSeat(room: Room, play: Play, onAck: () => void, onError: (e: { code: string; type: string }) => void): void {
  const connection = room.connection as unknown as { transport: { ws?: { binaryType: string } }; events: { onmessage?: (ev: { data: unknown }) => void } };
  const sdkHandler = connection.events.onmessage;
  const ws = connection.transport.ws;
  if (!sdkHandler || !ws) return;
  ws.binaryType = 'nodebuffer';
  let pendingKey: string | undefined;
  room.onMessage('error', (e: { code: string; type: string }) => {
    if (pendingKey === undefined) return;
    if (errorPayloads.size >= 1024) errorPayloads.clear();
    errorPayloads.set(pendingKey, e);
  });
  connection.events.onmessage = (ev: { data: unknown }) => {
    const b = ev.data as Buffer;
    if (!Buffer.isBuffer(b)) return sdkHandler(ev);
    if (b[0] === Protocol.ROOM_STATE_PATCH) return;
    if (b.length >= ACK_HEAD.length && b.compare(ACK_HEAD, 0, ACK_HEAD.length, 0, ACK_HEAD.length) === 0) { play.leanReplies++; return onAck(); }
    if (b.length > ERROR_HEAD.length && b.compare(ERROR_HEAD, 0, ERROR_HEAD.length, 0, ERROR_HEAD.length) === 0) {
      const key = b.toString('latin1', ERROR_HEAD.length);
      const known = errorPayloads.get(key);
      if (known) { play.leanReplies++; return onError(known); }
      pendingKey = key;
      try { return sdkHandler(ev); } finally { pendingKey = undefined; }
    }
    return sdkHandler(ev);
  };
}

/**
 * Eight (BENCH_BATTLE_SIZE) players who create a battle, join it by id, ready up and answer every
 * question, measuring answer -> answer_ack (and re-sent answer -> "error" while `play.spam` is on).
 */
export class BattleGroup {
  seats: Seat[] = [];
  private done: Promise<boolean> | undefined;
  constructor(private readonly clients: Client[], private readonly play: Play, private readonly tally: Tally) {}

  /** Creates a battle with the first client and joins the others by id. `options` as the protocol allows. */
  async open(options: Record<string, unknown>, timeoutMs = 30_000): Promise<void> {
    const host = await withTimeout(this.clients[0].create('battle', options), timeoutMs, 'battle create');
    const rooms = [host];
    try {
      for (let k = 1; k < this.clients.length; k++) rooms.push(await withTimeout(this.clients[k].joinById(host.roomId), timeoutMs, 'battle joinById'));
    } catch (e) {
      await closeAll(rooms);
      throw e;
    }
    // What a player sends in one turn leaves in one write, as from the server (only bursts have more than one).
    const { play, tally } = this;
    this.seats = rooms.map((room) => {
      const ws = (room.connection as unknown as { transport?: { ws?: unknown } }).transport?.ws;
      const raw = ws ? coalesceWrites(ws as never) : undefined;
      return { room, st: watch(room, tally.leaves), raw: play.lean ? raw : undefined, inflight: [], lastRound: 0, spamInflight: 0, nextSpamAt: 0, finished: false, sends: [] };
    });
    this.done = Promise.all(this.seats.map((seat) => new Promise<void>((resolve) => {
      const { room } = seat;
      const reply = (ok: boolean) => {
        const now = performance.now();
        const head = seat.inflight.shift();
        if (!head) return;
        play.replies.add(now - head.t);
        if (head.spam) { seat.spamInflight--; play.spamRtts.add(now - head.t); } else if (ok) play.answerRtts.add(now - head.t);
      };
      const onError = (e: { code: string; type: string }) => {
        tally.error(e.code);
        if (e.type === 'answer') reply(false);
      };
      if (seat.raw) leanSeat(room, play, () => reply(true), onError);
      room.onMessage('question', (q: { round: number; choices: unknown[] }) => {
        setTimeout(() => {
          if (seat.st.left || seat.finished) return;
          seat.inflight.push({ t: performance.now(), spam: false });
          logSend(seat);
          seat.lastRound = q.round;
          tally.answersSent++;
          room.send('answer', { round: q.round, choice: Math.floor(Math.random() * q.choices.length) });
        }, Math.random() * play.thinkMs);
      });
      room.onMessage('answer_ack', () => { play.sdkReplies++; reply(true); });
      room.onMessage('error', (e: { code: string; type: string }) => { play.sdkReplies++; onError(e); });
      room.onMessage('battle_result', () => { seat.finished = true; tally.battlesFinished++; resolve(); });
      room.onLeave((code: number) => {
        if (code === 4002 && !seat.st.closing) {
          const now = performance.now();
          tally.kicked.push({ at: now, sentLastSecond: seat.sends.filter((t) => t > now - 1000).length, sentLast2Seconds: seat.sends.filter((t) => t > now - 2000).length });
        }
        resolve();
      });
    }))).then(() => true);
  }

  /** Readies everyone: the battle starts when all are ready. */
  ready(): void {
    for (const seat of this.seats) { this.tally.readySent++; logSend(seat); seat.room.send('ready', { ready: true }); }
    this.tally.battlesStarted++;
  }

  /** Resolves true when every seat has the battle result (or left), false after `timeoutMs`. */
  finished(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout;
    return Promise.race([this.done ?? Promise.resolve(true), new Promise<boolean>((r) => { timer = setTimeout(() => r(false), timeoutMs); })])
      .finally(() => clearTimeout(timer));
  }

  /** Re-sends the last answer of each seat that may (see Play): called by one shared ticker. */
  tick(now: number): void {
    const play = this.play;
    for (const seat of this.seats) {
      const burst = play.spamBurst;
      if (seat.lastRound === 0 || seat.finished || seat.st.left || seat.spamInflight + burst > Math.max(play.spamOutstanding, burst) || now < seat.nextSpamAt) continue;
      // Desynchronised players: the first re-send at a random point of one gap, then gap × 0.85..1.15.
      const gap = (1000 * burst) / play.spamPerSecond;
      if (seat.nextSpamAt === 0) { seat.nextSpamAt = now + Math.random() * gap; continue; }
      seat.nextSpamAt = now + gap * (0.85 + 0.3 * Math.random());
      let f = seat.spamFrames;
      if (seat.raw && (!f || f.round !== seat.lastRound || f.burst !== burst)) {
        const bytes = prebuiltFrames(seat.room, 'answer', { round: seat.lastRound, choice: 0 }, burst);
        f = seat.spamFrames = bytes && { round: seat.lastRound, burst, bytes };
      }
      for (let k = 0; k < burst; k++) {
        seat.spamInflight++;
        seat.inflight.push({ t: now, spam: true });
        logSend(seat);
      }
      this.tally.spamSent += burst;
      // Lean: the burst as whole masked frames, built once a round, into this turn's write like any send.
      if (seat.raw && f) seat.raw(f.bytes);
      else for (let k = 0; k < burst; k++) seat.room.send('answer', { round: seat.lastRound, choice: 0 });
    }
  }

  /** Leaves the battle (consented). */
  async close(): Promise<void> {
    this.seats.forEach((s) => { s.st.closing = true; });
    await Promise.all(this.seats.map((s) => (s.st.left ? Promise.resolve() : withTimeout(s.room.leave(true), 5000, 'leave').catch(() => s.room.leave(false)))));
    this.seats = [];
  }
}

/** `mark_read` -> `marked_read` round trips on a personal room, one at a time. */
export class MarkReader {
  private pending = new Map<string, number>();
  constructor(readonly room: Room, private readonly rtts: Rtts, tally: Tally) {
    room.onMessage('marked_read', (m: { ids: string[] }) => {
      const t = this.pending.get(m.ids[0]);
      if (t !== undefined) { this.rtts.add(performance.now() - t); this.pending.delete(m.ids[0]); }
    });
    room.onMessage('error', (e: { code: string }) => tally.error(e.code));
    room.onMessage('notification', () => {});
  }
  send(): void {
    const id = randomUUID();
    this.pending.set(id, performance.now());
    this.room.send('mark_read', { ids: [id] });
  }
}

/** joinOrCreate("personal") with a timeout; a join that completes after its timeout is closed. */
export async function joinPersonal(url: string, token: string, timeoutMs = 30_000): Promise<Room> {
  const p = sdk(url, token).joinOrCreate('personal');
  try {
    return await withTimeout(p, timeoutMs, 'personal join');
  } catch (e) {
    p.then((r) => { r.reconnection.enabled = false; void r.leave(false); }, () => {});
    throw e;
  }
}

export interface AbuserReport {
  connections: number; joinFailures: number; sent: number; closeCodes: Record<string, number>; firstCloseMs: number; closedByBench: number;
  /** CPU the abusing process spent flooding (it shares the machine with the server). */
  floodCpuMs: number;
  /** Each attempt to join: epoch ms when it began, and whether it got in. */
  attempts?: Array<[number, boolean]>;
}

/** A report of nothing done yet. */
export function emptyAbuserReport(): AbuserReport {
  return { connections: 0, joinFailures: 0, sent: 0, closeCodes: {}, firstCloseMs: NaN, closedByBench: 0, floodCpuMs: 0 };
}

/** Adds `more` (one abuser's run) into `into`. */
export function addAbuserReport(into: AbuserReport, more: AbuserReport): void {
  into.connections += more.connections; into.joinFailures += more.joinFailures; into.sent += more.sent; into.closedByBench += more.closedByBench; into.floodCpuMs += more.floodCpuMs;
  if (Number.isNaN(into.firstCloseMs)) into.firstCloseMs = more.firstCloseMs;
  for (const [k, v] of Object.entries(more.closeCodes)) into.closeCodes[k] = (into.closeCodes[k] ?? 0) + v;
}

/**
 * `n` copies of one client message as masked WebSocket frames, in one buffer, with the room's TCP socket
 * to write it to: a flooder "as fast as it can" blasts pre-built frames, as an attacker would, instead of
 * encoding and masking each message through the SDK. On this machine the flooder shares the server's two
 * cores: built once, its flood costs it little CPU, so what the others notice is the server's handling of
 * the flood, not the flooding process's own work. Undefined when the SDK does not run on the `ws` package.
 */
function rawFlood(room: Room, type: string, payload: unknown, n: number): { socket: Socket; batch: Buffer } | undefined {
  const transport = (room.connection as unknown as { transport: { ws?: { _socket?: Socket } } }).transport;
  const socket = transport.ws?._socket;
  if (!socket) return undefined;
  const batch = prebuiltFrames(room, type, payload, n);
  return batch && { socket, batch };
}

/**
 * One abusive client until `until` (epoch ms): joins its personal room, then either floods `mark_read`
 * (50 ids each, bursts of 100 pre-built frames per event-loop turn, at most 5000 per connection) until the server throws
 * it out, or (`churn`) leaves at once; then it comes back. `minJoinGapMs` spaces its joins (0: at once).
 */
export async function abuser(urls: readonly string[], token: string, mode: 'flood' | 'churn', until: number, minJoinGapMs = 0, maxConnections = 10_000): Promise<AbuserReport> {
  const codes = new LeaveLog();
  const ids = Array.from({ length: 50 }, () => randomUUID());
  const r = emptyAbuserReport();
  for (let c = 0; c < maxConnections && Date.now() < until; c++) {
    const joinAt = Date.now();
    let room: Room;
    try {
      // Given up at `until`: a refusal the server holds (FLOOD_REFUSAL_HOLD_MS) must not run into the next window.
      room = await joinPersonal(urls[c % urls.length], token, Math.max(1, Math.min(10_000, until - Date.now())));
      (r.attempts ??= []).push([joinAt, true]);
    } catch {
      (r.attempts ??= []).push([joinAt, false]);
      r.joinFailures++;
      await sleep(50);
      continue;
    }
    r.connections++;
    room.reconnection.enabled = false;
    room.onMessage('*', () => {});
    let open = true;
    const left = new Promise<number>((resolve) => room.onLeave((code: number) => { open = false; resolve(code); }));
    const startedAt = performance.now();
    let sentHere = 0;
    if (mode === 'flood') {
      const cpu = process.cpuUsage();
      const flood = rawFlood(room, 'mark_read', { ids }, 100);
      while (open && sentHere < 5000 && Date.now() < until) {
        if (flood && flood.socket.writableLength > 256 * 1024) {
          // The server stopped reading (it throws a flooder out): wait for room in the socket, or the end.
          let onDrain = (): void => {};
          const drained = new Promise<void>((res) => { onDrain = res; flood.socket.once('drain', onDrain); });
          await Promise.race([drained, left, sleep(100)]);
          flood.socket.off('drain', onDrain); // a wait that timed out leaves no listener behind
          continue;
        }
        if (flood) flood.socket.write(flood.batch); else for (let k = 0; k < 100; k++) room.send('mark_read', { ids });
        sentHere += 100;
        await new Promise((res) => setImmediate(res));
      }
      const used = process.cpuUsage(cpu);
      r.floodCpuMs += (used.user + used.system) / 1000;
    }
    r.sent += sentHere;
    const byBench = open;
    if (byBench) void room.leave(mode === 'churn');
    const code = await withTimeout(left, 10_000, 'abuser close').catch(() => -1);
    if (byBench) r.closedByBench++;
    else {
      codes.add(code);
      if (Number.isNaN(r.firstCloseMs)) r.firstCloseMs = performance.now() - startedAt;
    }
    const wait = joinAt + minJoinGapMs - Date.now();
    if (wait > 0) await sleep(Math.min(wait, Math.max(0, until - Date.now())));
  }
  r.closeCodes = codes.toJSON();
  return r;
}
