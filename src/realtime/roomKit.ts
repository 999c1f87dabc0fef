import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { getMessageBytes, Protocol, Room, SchemaSerializer, ServerError, type AuthContext, type Client, type RoomException, type RoomMethodName } from '@colyseus/core';
import { Encoder, type Schema } from '@colyseus/schema';
import type { z } from 'zod';
import type { Principal } from '../auth/tokens';
import { DomainError, RuleError } from '../errors';
import type { Role } from '../persistence/entities';
import type { Services } from '../services';
import { routeErrorAnswer } from './joinErrors';
import { patchScheduler } from './patchScheduler';
import { shareTurns, type TurnSharing } from './turnShare';

/** Join rejection codes of the contract (the SDK's join promise rejects with these). */
export const JOIN_ERROR = { UNAUTHENTICATED: 401, FORBIDDEN: 403, NOT_FOUND: 404, CONFLICT: 409, INVALID_OPTIONS: 422, RATE_LIMITED: 429 } as const;

/** What a user thrown out for flooding is barred under (see RateLimiter.bar). */
const floodKey = (userId: string) => `flood:${userId}`;

/** What a barred user is told when it tries to join (429). */
const BARRED_MESSAGE = 'You were disconnected for sending too many messages; wait a few seconds before joining again.';

/**
 * How many refusals are held at once, per user and in all: past that, a refusal is answered at once (a
 * client that opens many requests side by side gains nothing from it, and holds no more sockets here).
 */
const HELD_REFUSALS_PER_USER = 4;
const HELD_REFUSALS_MAX = 1000;

/**
 * Refuses, in front of the framework, the joins of users barred for flooding, on whichever process they
 * were barred (RateLimiter.listen hears every process's bars). A thrown-out
 * flooder typically tries to come back at once, again and again; through Colyseus' matchmaking route each
 * refusal (a 429 from `onAuth`) costs the server's loop about as much as a successful join (~0.6 ms: the
 * route, an error object, its source-mapped stack). Here it is a token check and a map lookup, answered
 * exactly as the route answers (status 429, `{code, error}`, the framework's CORS headers). Colyseus
 * handles `/matchmake` before Express, so this sits on the HTTP server's `request` event itself. A bar
 * this process has not heard of (its announcement still on the way) is refused by `onAuth`, which asks
 * presence; with no bar known here, every request passes straight through.
 *
 * The refusal is held FLOOD_REFUSAL_HOLD_MS (1 s; never past the bar's end) before it is sent: a client
 * that retries as soon as it is refused (the SDK's join in a loop) then asks about once a second rather
 * than every few milliseconds, and each ask still costs the server's loop ~0.25 ms (bench/load's flood:
 * unheld, a thrown-out flooder's ~50 rejoins in its 3 s window were about half of the CPU it cost the
 * server, though not measurably of what it cost the others' p99; docs/benchmarks.md, 2026-12-05).
 * A held request costs a timer; one whose client goes away is dropped.
 */
export function refuseBarredJoins(server: HttpServer, services: Services): void {
  const emit = server.emit as (this: HttpServer, event: string | symbol, ...args: unknown[]) => boolean;
  const held: HeldRefusals = { byUser: new Map(), total: 0 };
  server.emit = function (this: HttpServer, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'request' && services.rateLimits.barsHere > 0 && refuseIfBarred(args[0] as IncomingMessage, args[1] as ServerResponse, services, held)) return true;
    return emit.call(this, event, ...args);
  } as HttpServer['emit'];
}

/** The refusals being held: how many per user, and in all. */
interface HeldRefusals { byUser: Map<string, number>; total: number }

function refuseIfBarred(req: IncomingMessage, res: ServerResponse, services: Services, held: HeldRefusals): boolean {
  if (req.method !== 'POST' || !req.url?.startsWith('/matchmake/')) return false;
  const auth = req.headers.authorization;
  if (!auth?.startsWith('Bearer ')) return false;
  let userId: string;
  try {
    userId = services.tokens.verify(auth.slice('Bearer '.length)).userId;
  } catch {
    return false; // the route answers a bad token as usual
  }
  const left = services.rateLimits.barredHereFor(floodKey(userId));
  if (left <= 0) return false;
  services.metrics.barredJoins.inc({ where: 'front' });
  const { body, headers } = routeErrorAnswer(req, JOIN_ERROR.RATE_LIMITED, BARRED_MESSAGE);
  const answer = () => {
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(JOIN_ERROR.RATE_LIMITED, headers);
    res.end(body);
  };
  const holdMs = Math.min(services.config.floodRefusalHoldMs, left);
  const mine = held.byUser.get(userId) ?? 0;
  if (holdMs < 1 || mine >= HELD_REFUSALS_PER_USER || held.total >= HELD_REFUSALS_MAX) {
    answer();
    return true;
  }
  held.byUser.set(userId, mine + 1);
  held.total++;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    clearTimeout(timer);
    held.total--;
    const n = (held.byUser.get(userId) ?? 1) - 1;
    if (n > 0) held.byUser.set(userId, n); else held.byUser.delete(userId);
  };
  const timer = setTimeout(() => { release(); answer(); }, holdMs);
  res.once('close', release);
  return true;
}

/** Colyseus' patch interval, for a room on patchScheduler (see ArenaRoom's constructor). */
const PARKED_PATCH_RATE = 2 ** 31 - 1;
/** Colyseus' default patch rate, which our rooms keep unless they say otherwise. */
const DEFAULT_PATCH_MS = 50;

/** The one mapping from domain errors to join rejection codes. */
export function toJoinError(e: unknown): ServerError {
  if (e instanceof ServerError) return e;
  if (e instanceof DomainError) {
    const code = e.status === 401 ? JOIN_ERROR.UNAUTHENTICATED : e.status === 403 ? JOIN_ERROR.FORBIDDEN
      : e.status === 404 ? JOIN_ERROR.NOT_FOUND : e.status === 409 ? JOIN_ERROR.CONFLICT : JOIN_ERROR.INVALID_OPTIONS;
    return new ServerError(code, e.message);
  }
  return new ServerError(500, 'internal error');
}

/** The `"error"` message of the contract. */
export interface ErrorMessage {
  code: string;
  message: string;
  type: string;
}

/** A message handler with the schema its payload must satisfy. */
export interface Handler<S extends z.ZodType, R> {
  schema: S;
  handle: (this: R, client: Client, message: z.output<S>) => void | Promise<void>;
}

/** Declares one validated handler (keeps the payload type inferred from the schema). */
export function on<S extends z.ZodType, R>(schema: S, handle: (this: R, client: Client, message: z.output<S>) => void | Promise<void>): Handler<S, R> {
  return { schema, handle };
}

/** Each state class's handshake (see SharedHandshakeSerializer), once encoded. */
const handshakes = new WeakMap<object, Uint8Array>();

/**
 * Colyseus' schema serializer, with the handshake a joining client receives (the reflection of the
 * state's types) encoded once per state class instead of once per room (Colyseus caches it per room; its
 * source has a TODO for this). It depends on the state's class alone: the encoder's type context is
 * itself cached per class. Encoding it took about 0.25 ms of a personal room's join, and every user's
 * first tab makes a new personal room.
 */
class SharedHandshakeSerializer<T extends Schema> extends SchemaSerializer<T> {
  override handshake(): Uint8Array {
    const klass = this.encoder?.state?.constructor;
    if (!klass) return super.handshake();
    let bytes = handshakes.get(klass);
    if (bytes === undefined) {
      bytes = super.handshake();
      if (bytes) handshakes.set(klass, bytes);
    }
    return bytes;
  }
}

/**
 * Base of every Quest Arena room: services passed in by the wiring (no globals), authenticated joins
 * through the one token verification, validated messages, and errors answered to the sender alone.
 *
 * Why not Colyseus' own `validate()`: on a schema failure it disconnects the client, while the contract
 * says a malformed message gets an `"error"` and everybody, the sender included, carries on.
 */
export abstract class ArenaRoom<S extends object = object> extends Room<{ state: S }> {
  /** Roles allowed to join; all roles when unset. */
  static roles?: readonly Role[];
  /**
   * Size of the two buffers a room's state is encoded into (Colyseus makes them Encoder.BUFFER_SIZE,
   * 16 KiB, for every room); unset: that default. For a room type that exists once per user and whose
   * whole state is a few dozen bytes, 32 KiB a room was most of a connection's memory. A state that
   * outgrows them still encodes, but Colyseus then allocates a bigger buffer and warns (for the full
   * state's buffer, at every full encoding): set it well above the state's whole encoding, and test it.
   */
  static stateBufferBytes?: number;
  protected services!: Services;
  /** The last message still being handled, per client that has one (see handleMessages). */
  private readonly busyClients = new WeakMap<Client, Promise<void>>();

  constructor() {
    super();
    // Colyseus arms an interval of its own from `patchRate` when it sets the room up; the process's
    // patchScheduler keeps the room's cadence instead, spread over the period with every other room's
    // (src/realtime/patchScheduler.ts), so that interval is parked at the longest delay a Node timer
    // takes (about 24.8 days; a patch then is harmless). Change the cadence with setPatchPeriod, not
    // `patchRate`, which would arm Colyseus' interval again.
    this.patchRate = PARKED_PATCH_RATE;
    this.setPatchPeriod(DEFAULT_PATCH_MS);
    (this as unknown as { _events: { once(event: 'dispose', fn: () => void): void } })._events.once('dispose', () => patchScheduler.remove(this));
  }

  /** Sets the state (rooms set it here, not with `this.state =`), its encoding buffers sized by `stateBufferBytes`. */
  override setState(state: Parameters<Room<{ state: S }>['setState']>[0]): void {
    const bytes = (this.constructor as typeof ArenaRoom).stateBufferBytes;
    if (bytes === undefined) return super.setState(state);
    // Read by the serializer's and the encoder's constructors, which run inside this synchronous call.
    const standard = Encoder.BUFFER_SIZE;
    Encoder.BUFFER_SIZE = bytes;
    try {
      super.setState(state);
    } finally {
      Encoder.BUFFER_SIZE = standard;
    }
  }

  /** Setting a schema state makes a SchemaSerializer: this room's shares its handshake with the other rooms of its state class. */
  override setSerializer(serializer: Parameters<Room<{ state: S }>['setSerializer']>[0]): void {
    super.setSerializer(serializer instanceof SchemaSerializer ? new SharedHandshakeSerializer() as typeof serializer : serializer);
  }

  /** Sends the state's changes and ticks the room clock every `ms` from now on (Colyseus' default: 50 ms). */
  protected setPatchPeriod(ms: number): void {
    patchScheduler.add(this, ms);
  }

  /** What a scheduled patch threw: logged like any uncaught room exception; the room carries on. */
  onPatchError(error: unknown): void {
    this.services.metrics.countError('room', 'UNCAUGHT_broadcastPatch');
    this.services.logger.error({ err: error, room: this.roomName, roomId: this.roomId }, 'room patch failed');
  }

  /** Registers validated handlers for each message type, plus the answer to unknown types. */
  protected handleMessages(table: Record<string, Handler<z.ZodType, this>>): void {
    for (const [type, { schema, handle }] of Object.entries(table)) {
      this.onMessage(type, (client: Client, payload: unknown) => {
        this.services.metrics.countMessages('in', this.roomName, type);
        const parsed = schema.safeParse(payload);
        if (!parsed.success) {
          const detail = parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; ');
          return this.sendError(client, type, 'INVALID_MESSAGE', `"${type}" is malformed: ${detail}`);
        }
        // One client's messages are handled one at a time once one of them waits (on the database, say):
        // a client sending many cannot hold more than one of the pool's connections, so a flooder, until
        // the message limit throws it out, slows itself and not everybody else. Once thrown out, what it
        // still had queued is dropped: nobody is left to answer.
        const pending = this.busyClients.get(client);
        const done = pending ? this.runAfter(pending, handle, client, type, parsed.data) : this.runHandler(handle, client, type, parsed.data);
        if (done !== undefined) this.holdClient(client, done);
      });
    }
    this.onMessage('*', (client: Client, type: string | number) => {
      this.services.metrics.countMessages('in', this.roomName, 'unknown');
      this.sendError(client, String(type), 'UNKNOWN_MESSAGE', `"${String(type)}" is not a message this room understands.`);
    });
  }

  /**
   * Runs one handler; a promise only when it returned one (settled: its failure answered). The synchronous
   * path, most messages (an answer, a ready), creates no closure.
   */
  private runHandler<S extends z.ZodType>(handle: Handler<S, this>['handle'], client: Client, type: string, data: z.output<S>): Promise<void> | undefined {
    try {
      const result = handle.call(this, client, data);
      if (result instanceof Promise) return result.catch((e: unknown) => this.answerHandlerError(client, type, e));
    } catch (e) {
      this.answerHandlerError(client, type, e);
    }
    return undefined;
  }

  /** Runs one handler once the client's previous message is done, unless the client was thrown out meanwhile. */
  private runAfter<S extends z.ZodType>(pending: Promise<void>, handle: Handler<S, this>['handle'], client: Client, type: string, data: z.output<S>): Promise<void> {
    return pending.then(() => ((client as { qaStopped?: boolean }).qaStopped ? undefined : this.runHandler(handle, client, type, data)));
  }

  /** Marks the client busy until `done` settles (its next messages wait for it). */
  private holdClient(client: Client, done: Promise<void>): void {
    this.busyClients.set(client, done);
    void done.then(() => { if (this.busyClients.get(client) === done) this.busyClients.delete(client); });
  }

  private answerHandlerError(client: Client, type: string, e: unknown): void {
    if (e instanceof RuleError || e instanceof DomainError) return this.sendError(client, type, e.code, e.message);
    this.services.logger.error({ err: e, room: this.roomName, roomId: this.roomId, type }, 'message handler failed');
    this.sendError(client, type, 'INTERNAL', 'The server could not handle that message.');
  }

  /** Sends the contract's `"error"` to one client. */
  protected sendError(client: Client, type: string, code: string, message: string): void {
    this.services.metrics.countError('room', code);
    this.services.metrics.countMessages('out', this.roomName, 'error');
    client.enqueueRaw(errorFrame(type, code, message));
  }

  /** Sends one message to one client, counted in metrics. */
  protected sendTo(client: Client, type: string, payload: unknown): void {
    this.services.metrics.countMessages('out', this.roomName, type);
    client.send(type, payload);
  }

  /**
   * Sends one message to every client, counted in metrics. `afterNextPatch` holds it until the state
   * changes made just before it have been sent, so clients see both together.
   */
  protected broadcastAll(type: string, payload: unknown, opts: { afterNextPatch?: boolean } = {}): void {
    this.services.metrics.countMessages('out', this.roomName, type, this.clients.length);
    this.broadcast(type as never, payload as never, opts as never);
  }

  /** Logs what escaped a room callback, so one faulty room never takes the process down. */
  onUncaughtException(error: RoomException, methodName: RoomMethodName): void {
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof ServerError && cause.code >= 400 && cause.code < 500) {
      // A deliberate refusal (403, 409, …) thrown to reject a join: the client is told; nothing broke.
      this.services.logger.debug({ room: this.roomName, roomId: this.roomId, methodName, code: cause.code, reason: cause.message }, 'join refused');
      return;
    }
    this.services.metrics.countError('room', `UNCAUGHT_${methodName}`);
    this.services.logger.error({ err: error.cause ?? error, room: this.roomName, roomId: this.roomId, methodName }, 'uncaught room exception');
  }
}

/**
 * Encoded `"error"` messages by (type, code, message). Refusals repeat (every re-sent answer gets the
 * same ALREADY_ANSWERED): encoding each anew was about 3% of the server's CPU when every player re-sent
 * (bench/load's top step). The frames are copied into each connection's write (src/realtime/coalesce.ts),
 * never changed; the cache is emptied when full, since a type or message may carry what a client sent.
 */
const errorFrames = new Map<string, Uint8Array>();
const ERROR_FRAMES_MAX = 512;

function errorFrame(type: string, code: string, message: string): Uint8Array {
  const key = `${code}\u0000${type}\u0000${message}`;
  let frame = errorFrames.get(key);
  if (frame === undefined) {
    frame = getMessageBytes.raw(Protocol.ROOM_DATA, 'error', { code, message, type } satisfies ErrorMessage);
    if (errorFrames.size >= ERROR_FRAMES_MAX) errorFrames.clear();
    errorFrames.set(key, frame);
  }
  return frame;
}

/**
 * A client thrown out for flooding: nothing more is read from it (a flooder has thousands of messages in
 * flight, and each would otherwise still be parsed). Its close frame (4002) still goes out, followed at
 * once by the end of the connection, so the client learns its close code without a close handshake we no
 * longer read; a second later the socket is destroyed whatever happened.
 */
function stopReading(client: Client & { qaStopped?: boolean }, services: Services): void {
  if (client.qaStopped) return;
  client.qaStopped = true;
  // Back in at once, a flooder would flood again: the user may not join any room for a while.
  const userId = (client.auth as Principal | undefined)?.userId;
  if (userId && services.config.floodCooldownMs > 0) {
    services.rateLimits.bar(floodKey(userId), services.config.floodCooldownMs)
      .catch((err: unknown) => services.logger.warn({ err: String(err), userId }, 'flood cooldown not recorded'));
  }
  services.logger.info({ userId, sessionId: client.sessionId }, 'client thrown out for flooding');
  const ws = client.ref as unknown as { readyState?: number; pause?: () => void; terminate?: () => void; _socket?: { end(): void } };
  ws.pause?.();
  const started = Date.now();
  const endAfterCloseFrame = setInterval(() => {
    // CLOSING (2) or CLOSED (3): the framework has sent the close frame; end() sends the FIN after it.
    if ((ws.readyState ?? 3) >= 2) ws._socket?.end();
    if ((ws.readyState ?? 3) >= 2 || Date.now() - started > 1000) clearInterval(endAfterCloseFrame);
  }, 5);
  endAfterCloseFrame.unref();
  setTimeout(() => ws.terminate?.(), 1000).unref();
}

/**
 * The per-client message limit (MAX_MESSAGES_PER_SECOND), on the wall clock. Colyseus counts against the
 * room clock, which only moves when the room patches: in a room that patches rarely, or on a loaded server
 * whose timers run late, a well-behaved player's messages of two or three seconds land in one "second" and
 * the player is thrown out. Here each client has a bucket of 2 × the limit, refilled at the limit per
 * second of real time and starting at one second's worth: a sender above the limit is out within a few
 * seconds (a flooder after one second's worth of messages), a calm client whose messages queued up for a
 * second behind a busy server is not. Over the limit, the framework closes the client
 * (4002), exactly as its own limit does. A message within the limit goes on in its client's share of
 * the turn (./turnShare: four a turn, the rest in order in the next turns). Installed on each room
 * instance, in front of Colyseus' own entry for every client message and its leave (`_onMessage`,
 * `_onLeave`, private in its typings).
 */
function installMessageLimit(room: Room, services: Services): void {
  type Counted = Client & TurnSharing & { _numMessagesLastSecond?: number; _messageCountResetsAt?: number; qaTokens?: number; qaRefilledAt?: number };
  const target = room as unknown as { _onMessage(client: Client, buffer: Buffer): void; _onLeave(client: Client, code?: number): Promise<unknown> };
  const frameworkEntry = target._onMessage;
  const frameworkLeave = target._onLeave;
  // An accepted message reaches the framework in its client's share of a turn (./turnShare), its count
  // afresh; a client that leaves has what still waited handled first, as it came before the leave.
  const turns = shareTurns<Counted>((client, buffer) => {
    client._messageCountResetsAt = 0;
    frameworkEntry.call(room, client, buffer);
  });
  target._onLeave = function (client: Counted, code?: number) {
    turns.flush(client);
    return frameworkLeave.call(room, client, code);
  };
  target._onMessage = function (client: Counted, buffer: Buffer) {
    const limit = room.maxMessagesPerSecond;
    if (Number.isFinite(limit)) {
      const now = performance.now();
      const capacity = 2 * limit;
      // A new connection starts with one second's worth; the bucket fills up to two while it is calm.
      const tokens = Math.min(capacity, (client.qaTokens ?? limit) + ((now - (client.qaRefilledAt ?? now)) * limit) / 1000);
      client.qaRefilledAt = now;
      client.qaTokens = tokens - 1;
      // Within the limit the framework's own count starts afresh on every message; beyond it, its count
      // is pushed over, so it closes the client with its usual code and bookkeeping, at once (what the
      // client still had waiting for its share of a turn is dropped).
      if (tokens < 1) {
        client._messageCountResetsAt = client._numMessagesLastSecond = Number.POSITIVE_INFINITY;
        stopReading(client, services);
        return frameworkEntry.call(room, client, buffer);
      }
    }
    turns.enter(client, buffer);
  };
}

type ArenaRoomClass = (abstract new () => ArenaRoom<any>) & {
  roles?: readonly Role[];
  /** Lets a room type adjust matchmaking options from the verified principal (e.g. filter by user). */
  onAuthorized?(principal: Principal, options: Record<string, unknown>): void;
};

/**
 * Lets the event loop turn (handle what else has arrived: other clients' messages) before going on.
 *
 * A join's matchmaking request (the token, finding or creating the room, the seat) is a chain of promises
 * that, with the in-process presence and driver, never waits on I/O: it ran as one stretch of 2–4 ms on a
 * mostly idle server (whose caches a rare join finds cold), and every other client's message that arrived
 * meanwhile waited for all of it (docs/benchmarks.md, 2026-12-06). The join yields at four points: before
 * and after the token check, before and after the room's `onCreate`. Measured with bench/joins.ts (400
 * joins a run): the others' round trips over their p99 that a join adds went from 0.47 to 0.18 per join
 * (135 to 60 in the 5 ms after the joins' start). Each yield costs the join a turn of the loop: join to
 * joined, p99 16.5 ms before, 32.4 ms after.
 */
export const yieldTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Binds services to a room class for the wiring: the bound class verifies tokens in `static onAuth`
 * through the shared TokenService and hands services to each instance. A join through it yields to the
 * other clients at each of its steps (yieldTurn).
 */
export function bindRoom<T extends ArenaRoomClass>(Klass: T, services: Services): T {
  const Base = Klass as unknown as new () => ArenaRoom<any>;
  class Bound extends Base {
    static async onAuth(token: string, options: Record<string, unknown>, _ctx: AuthContext): Promise<Principal> {
      try {
        await yieldTurn();
        const principal = services.tokens.verify(token, Klass.roles);
        if (services.config.floodCooldownMs > 0 && await services.rateLimits.isBarred(floodKey(principal.userId))) {
          services.metrics.barredJoins.inc({ where: 'route' });
          throw new ServerError(JOIN_ERROR.RATE_LIMITED, BARRED_MESSAGE);
        }
        Klass.onAuthorized?.(principal, options);
        await yieldTurn();
        return principal;
      } catch (e) {
        throw toJoinError(e);
      }
    }

    override async onCreate(options: unknown): Promise<void> {
      await yieldTurn();
      const own = super.onCreate as ((o: unknown) => unknown) | undefined;
      if (own) await own.call(this, options);
      await yieldTurn();
    }

    constructor() {
      super();
      this.services = services;
      this.maxMessagesPerSecond = services.config.maxMessagesPerSecond;
      installMessageLimit(this, services);
    }
  }
  Object.defineProperty(Bound, 'name', { value: Klass.name });
  return Bound as unknown as T;
}
