import type { QuestionView } from '../../src/domain/battleEngine';
import { Client, type Room } from '@colyseus/sdk';
import { createRng, type Rng } from '../../src/domain/random';
import type { SimOptions } from './args';
import { httpJson, type Recorder } from './recorder';
import type { BattleResultMsg, ConnectionLog, MalformedRecord, RoundResultMsg } from './types';

/** What every bot of a run shares. */
export interface BotContext {
  opts: SimOptions;
  rec: Recorder;
  /** http://host:port */
  httpBase: string;
  /** ws://host:port */
  wsBase: string;
  /** Recorder time (ms) after which no journey starts and queued bots leave the queue. */
  endAt: number;
  /** Set when the run must stop now (hard timeout, SIGINT): every wait gives up. */
  abort: { aborted: boolean };
  /** Makes usernames unique per run, so runs against a shared server never collide. */
  runTag: string;
}

/** The bot's account, made on its first journey and reused by the next ones (a returning child). */
export interface BotAccount {
  username: string;
  password: string;
  userId: string;
  token: string;
}

type QuestionMsg = QuestionView;

interface ErrorMsg {
  code: string;
  message: string;
  type: string;
}

/** A journey step that failed on the bot's side; `stage` says where. */
class JourneyError extends Error {
  constructor(readonly stage: string, message: string) {
    super(message);
  }
}

/** Every message type a room may send, so each is logged (the SDK routes unregistered ones to "*"). */
const KNOWN_TYPES: Record<string, string[]> = {
  personal: ['notification', 'marked_read', 'error'],
  matchmaking: ['queued', 'match_found', 'match_started', 'practice_offer', 'requeued', 'error'],
  battle: ['question', 'answer_ack', 'round_result', 'battle_result', 'invite_sent', 'match_cancelled', 'error'],
};

/** Malformed messages a bot sends on purpose, with the error the contract promises for each. */
interface MalformedKind {
  kind: string;
  type: string;
  code: string;
  payload: (ctx: { round: number; otherUserId: string }) => unknown;
}

const BATTLE_MALFORMED: MalformedKind[] = [
  { kind: 'answer-string-choice', type: 'answer', code: 'INVALID_MESSAGE', payload: ({ round }) => ({ round, choice: '1' }) },
  // Answering for someone else: the extra field alone makes it INVALID_MESSAGE.
  { kind: 'answer-extra-userId', type: 'answer', code: 'INVALID_MESSAGE', payload: ({ round, otherUserId }) => ({ round, choice: 0, userId: otherUserId }) },
  { kind: 'answer-round-zero', type: 'answer', code: 'INVALID_MESSAGE', payload: () => ({ round: 0, choice: 0 }) },
  { kind: 'unknown-type', type: 'reveal_answer', code: 'UNKNOWN_MESSAGE', payload: ({ round }) => ({ round }) },
  { kind: 'ready-not-boolean', type: 'ready', code: 'INVALID_MESSAGE', payload: () => ({ ready: 'yes' }) },
];

const QUEUE_MALFORMED: MalformedKind[] = [
  { kind: 'unknown-type', type: 'skip_queue', code: 'UNKNOWN_MESSAGE', payload: () => ({ now: true }) },
  { kind: 'accept-practice-extra-field', type: 'accept_practice', code: 'INVALID_MESSAGE', payload: () => ({ opponent: 'easy' }) },
];

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves with `p`, or rejects after `ms`; a late success is handed to `onLate` (to close a room). */
function withTimeout<T>(p: Promise<T>, ms: number, what: string, onLate?: (value: T) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => { done = true; reject(new Error(`${what}: no answer within ${ms} ms`)); }, ms);
    p.then((v) => {
      if (done) return onLate?.(v);
      done = true;
      clearTimeout(timer);
      resolve(v);
    }, (e) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(e);
    });
  });
}

function describe(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

/**
 * A room the bot is in: every message is logged with its time, errors are matched against the bot's own
 * malformed messages, and an inbox lets the journey wait for the next message of some types.
 */
class Watched {
  room: Room;
  readonly log: ConnectionLog;
  /** True while the bot itself is closing the connection (leave or deliberate drop). */
  closingByClient = false;
  closedCode: number | undefined;
  lastMessageAt: number;
  private readonly inbox: Array<{ type: string; payload: unknown }> = [];
  private waiter: { types: string[]; resolve: (m: { type: string; payload: unknown }) => void } | undefined;

  constructor(private readonly bot: Bot, room: Room, roomName: string, private readonly handlers: Record<string, (payload: any) => void> = {}) {
    this.room = room;
    this.log = { bot: bot.name, userId: bot.account!.userId, roomName, roomId: room.roomId, messages: [] };
    bot.ctx.rec.logs.push(this.log);
    this.lastMessageAt = bot.ctx.rec.now();
    this.attach(room);
  }

  /** Listens on `room` (the first one, or the one a reconnect returned). */
  attach(room: Room): void {
    this.room = room;
    this.closedCode = undefined;
    const types = new Set([...(KNOWN_TYPES[this.log.roomName] ?? []), ...Object.keys(this.handlers)]);
    for (const type of types) room.onMessage(type, (payload: unknown) => this.receive(type, payload));
    room.onMessage('*', (type: string | number, payload: unknown) => this.receive(String(type), payload));
    room.onLeave((code: number) => {
      this.closedCode = code;
      this.record('@closed', { code, byClient: this.closingByClient });
      this.deliver('@closed', { code });
    });
  }

  /** Adds an entry to this room's log (the bot's own notes use `@`-types). */
  record(type: string, payload: unknown): void {
    const t = this.bot.ctx.rec.now();
    this.log.messages.push({ t, type, payload });
  }

  private receive(type: string, payload: unknown): void {
    this.lastMessageAt = this.bot.ctx.rec.now();
    this.record(type, payload);
    if (type === 'error') this.bot.onError(this, payload as ErrorMsg);
    try {
      this.handlers[type]?.(payload);
    } catch (e) {
      this.bot.fail('handler', `${this.log.roomName} "${type}" handler: ${describe(e)}`);
    }
    this.deliver(type, payload);
  }

  private deliver(type: string, payload: unknown): void {
    if (this.waiter && this.waiter.types.includes(type)) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve({ type, payload });
      return;
    }
    this.inbox.push({ type, payload });
  }

  /** Notes a snapshot of the synced state (scanned for answer keys like any message). */
  snapshotState(): void {
    const state = (this.room.state as { toJSON?: () => unknown } | undefined)?.toJSON?.();
    if (state !== undefined) this.record('@state', state);
  }

  /** The next message of one of `types` (buffered or future), or `{type: '@timeout'}` after `ms`. */
  next(types: string[], ms: number): Promise<{ type: string; payload: unknown }> {
    const i = this.inbox.findIndex((m) => types.includes(m.type));
    if (i !== -1) return Promise.resolve(this.inbox.splice(i, 1)[0]);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve({ type: '@timeout', payload: undefined });
      }, Math.max(0, ms));
      this.waiter = { types, resolve: (m) => { clearTimeout(timer); resolve(m); } };
    });
  }

  /** Sends a malformed message on purpose and records what the contract says must come back. */
  sendMalformed(k: MalformedKind, ctx: { round: number; otherUserId: string }): void {
    const rec = this.bot.ctx.rec;
    const record: MalformedRecord = {
      bot: this.bot.name, roomName: this.log.roomName, roomId: this.log.roomId, kind: k.kind, type: k.type, expectedCode: k.code, sentAt: rec.now(),
    };
    rec.malformed.push(record);
    this.bot.pendingMalformed.push(record);
    rec.counters.malformedSent += 1;
    this.room.send(k.type, k.payload(ctx));
  }

  /** Leaves the room (consented), bounded in time; never throws. */
  async leave(): Promise<void> {
    if (this.closedCode !== undefined) return;
    this.closingByClient = true;
    try {
      await withTimeout(this.room.leave(true), 5000, 'leave');
    } catch {
      try { this.room.connection?.close(); } catch { /* already closed */ }
    }
  }
}

type BattleOutcome = 'finished' | 'missed_result' | 'cancelled' | 'left' | 'reconnect_failed' | 'stalled' | 'aborted';

/** A bot player. `run` plays journeys back to back until the run's end. */
export class Bot {
  readonly name: string;
  readonly rng: Rng;
  account: BotAccount | undefined;
  readonly pendingMalformed: MalformedRecord[] = [];
  /** Per room: the last answer sent, to excuse LATE_ANSWER for an answer sent at the deadline. */
  private readonly lastAnswer = new Map<string, { round: number; sentAt: number; deadline: number }>();
  /** Rooms where a match_found arrived (a NOT_QUEUED answer to accept_practice is then a fair race). */
  private readonly matchedIn = new Set<string>();

  constructor(readonly index: number, readonly ctx: BotContext) {
    this.name = `bot${String(index).padStart(3, '0')}`;
    this.rng = createRng(`${ctx.opts.seed}:${index}`);
  }

  /** Plays journeys until the run's end (or abort); each journey's failure is counted, never thrown. */
  async run(): Promise<void> {
    const { rec } = this.ctx;
    while (!this.ctx.abort.aborted && rec.now() < this.ctx.endAt) {
      await this.journey();
      if (this.ctx.abort.aborted || rec.now() >= this.ctx.endAt) break;
      await sleep(this.rng.int(200, 1000));
    }
  }

  /** Records a bot-side failure. */
  fail(stage: string, message: string): void {
    this.ctx.rec.failures.push({ bot: this.name, stage, message, t: this.ctx.rec.now() });
  }

  private async journey(): Promise<void> {
    const { rec } = this.ctx;
    rec.counters.journeysStarted += 1;
    rec.counters.journeysRunning += 1;
    const rooms: Watched[] = [];
    try {
      if (!this.account) await this.register();
      await this.login();
      const client = new Client(this.ctx.wsBase);
      client.auth.token = this.account!.token;
      const personal = await this.join('personal', () => client.joinOrCreate('personal'), rec.latency.joinPersonal);
      rooms.push(new Watched(this, personal, 'personal', { notification: () => { rec.counters.notifications += 1; } }));
      const outcome = await this.queueAndPlay(client, rooms);
      if (outcome === 'finished' || outcome === 'missed_result') rec.counters.journeysPlayed += 1;
      else if (outcome === 'unmatched') rec.counters.journeysUnmatched += 1;
      else if (outcome !== 'aborted') {
        rec.counters.journeysFailed += 1;
        this.fail('battle', `battle ended without a result for this bot: ${outcome}`);
      }
    } catch (e) {
      rec.counters.journeysFailed += 1;
      this.fail(e instanceof JourneyError ? e.stage : 'journey', describe(e));
    } finally {
      await Promise.all(rooms.map((r) => r.leave()));
      rec.counters.journeysRunning -= 1;
    }
  }

  private async register(): Promise<void> {
    const { rec } = this.ctx;
    const username = `sim_${this.ctx.runTag}_${this.index}`;
    const password = `sim-password-${this.ctx.runTag}-${this.index}`;
    const res = await httpJson<{ token: string; user: { id: string } }>(rec, this.ctx.httpBase, 'POST', '/auth/register', {
      route: '/auth/register', body: { username, password, role: 'student', displayName: `Sim ${this.index}` },
    });
    if (res.status !== 201 || !res.body) throw new JourneyError('register', `POST /auth/register answered ${res.status}: ${res.error}`);
    rec.latency.register.push(res.ms);
    rec.counters.registrations += 1;
    this.account = { username, password, userId: res.body.user.id, token: res.body.token };
  }

  private async login(): Promise<void> {
    const { rec } = this.ctx;
    const a = this.account!;
    const res = await httpJson<{ token: string }>(rec, this.ctx.httpBase, 'POST', '/auth/login', {
      route: '/auth/login', body: { username: a.username, password: a.password },
    });
    if (res.status === 429) {
      // A shared server's per-address limit (every bot logs in from here): keep the still valid token.
      rec.counters.loginsRateLimited += 1;
      return;
    }
    if (res.status !== 200 || !res.body) throw new JourneyError('login', `POST /auth/login answered ${res.status}: ${res.error}`);
    rec.latency.login.push(res.ms);
    rec.counters.logins += 1;
    a.token = res.body.token;
  }

  private async join(what: string, fn: () => Promise<Room>, samples: number[]): Promise<Room> {
    const start = performance.now();
    try {
      const room = await withTimeout(fn(), 15_000, `join ${what}`, (late) => { void late.leave(true).catch(() => {}); });
      samples.push(performance.now() - start);
      return room;
    } catch (e) {
      const code = typeof (e as { code?: unknown })?.code === 'number' ? (e as { code: number }).code : undefined;
      this.ctx.rec.joinFailures.push({ bot: this.name, what, code, message: describe(e), t: this.ctx.rec.now() });
      throw new JourneyError(`join ${what}`, `${code ?? ''} ${describe(e)}`.trim());
    }
  }

  /** Queues, waits for a match (accepting a practice offer sometimes), plays it; requeues after a cancelled match. */
  private async queueAndPlay(client: Client, rooms: Watched[]): Promise<BattleOutcome | 'unmatched'> {
    const { rec, opts } = this.ctx;
    const subject = this.rng.pick(opts.subjects);
    const size = this.rng.pick(opts.sizes);
    const mmRoom = await this.join('matchmaking', () => client.joinOrCreate('matchmaking', { subject, size }), rec.latency.joinMatchmaking);
    const mm = new Watched(this, mmRoom, 'matchmaking');
    rooms.push(mm);
    if (this.rng.next() < opts.malformedRate) mm.sendMalformed(this.rng.pick(QUEUE_MALFORMED), { round: 0, otherUserId: this.account!.userId });
    const giveUpAt = rec.now() + opts.queueTimeoutS * 1000;
    for (;;) {
      if (this.ctx.abort.aborted) return 'aborted';
      const wait = Math.min(giveUpAt, this.ctx.endAt) - rec.now();
      if (wait <= 0) return 'unmatched';
      const msg = await mm.next(['match_found', 'practice_offer', '@closed'], Math.min(wait, 1000));
      if (msg.type === '@timeout') continue; // re-evaluates the end and abort once a second
      if (msg.type === '@closed') throw new JourneyError('queue', `the matchmaking room closed the connection (${String((msg.payload as { code?: number }).code)})`);
      if (msg.type === 'practice_offer') {
        rec.counters.practiceOffers += 1;
        if (this.rng.next() < opts.practiceRate) {
          rec.counters.practiceAccepted += 1;
          mm.room.send('accept_practice', {});
        }
        continue;
      }
      // match_found: the others count on us now, so it is consumed even after the end of the run.
      this.matchedIn.add(mm.log.roomId);
      const found = msg.payload as { reservation: any; practice?: boolean };
      const practice = found.practice === true;
      const battleRoom = await this.join('battle', () => client.consumeSeatReservation(found.reservation), rec.latency.joinBattle);
      const session = new BattleSession(this, client, battleRoom, practice);
      rooms.push(session.watched);
      if (!practice) {
        // The first question also counts as started, should match_started be late or lost.
        const first = await Promise.race([mm.next(['match_started', 'requeued', '@closed'], 30_000), session.cancelled, session.begun]);
        if (first.type !== 'match_started' && first.type !== 'question') {
          // Called off (someone did not come): the battle closes itself; we are back in the queue.
          rec.counters.matchesCancelled += 1;
          await session.watched.leave();
          session.stop();
          if (first.type === '@closed') throw new JourneyError('queue', 'the matchmaking room closed while a match was pending');
          continue;
        }
      }
      await mm.leave();
      const outcome = await session.done;
      if (outcome === 'cancelled') {
        rec.counters.matchesCancelled += 1;
        return 'unmatched';
      }
      return outcome;
    }
  }

  /** An `"error"` arrived: it answers one of our malformed messages, or it is unexplained (maybe excused). */
  onError(w: Watched, e: ErrorMsg): void {
    const { rec } = this.ctx;
    const i = this.pendingMalformed.findIndex((m) => m.roomId === w.log.roomId && m.type === e.type);
    if (i !== -1) {
      const m = this.pendingMalformed.splice(i, 1)[0];
      m.answer = { code: e.code, type: e.type, t: rec.now() };
      if (m.answer.code === m.expectedCode && m.answer.type === m.type) rec.counters.malformedAnswered += 1;
      return;
    }
    let excused = false;
    const last = this.lastAnswer.get(w.log.roomId);
    if (e.type === 'answer' && (e.code === 'LATE_ANSWER' || e.code === 'NOT_ACCEPTING_ANSWERS') && last && last.sentAt >= last.deadline - 300) excused = true;
    if (e.type === 'accept_practice' && e.code === 'NOT_QUEUED' && this.matchedIn.has(w.log.roomId)) excused = true;
    rec.unexplained.push({ bot: this.name, roomName: w.log.roomName, roomId: w.log.roomId, code: e.code, type: e.type, message: e.message, t: rec.now(), excused });
  }

  /** Notes an answer the bot sent (for the LATE_ANSWER excuse). */
  noteAnswer(roomId: string, round: number, deadline: number): void {
    this.lastAnswer.set(roomId, { round, sentAt: Date.now(), deadline });
  }
}

/** One battle as one bot plays it: answers, malformed messages, a deliberate drop, the result. */
class BattleSession {
  readonly watched: Watched;
  readonly done: Promise<BattleOutcome>;
  /** Resolves (with a message-like value) when the battle calls the match off or closes before starting. */
  readonly cancelled: Promise<{ type: string }>;
  /** Resolves with the first question. */
  readonly begun: Promise<{ type: string }>;
  private resolveDone!: (o: BattleOutcome) => void;
  private resolveCancelled!: (m: { type: string }) => void;
  private resolveBegun!: (m: { type: string }) => void;
  private finished = false;
  private readonly roundResults: RoundResultMsg[] = [];
  private readonly plans = new Map<number, { answer: boolean; choice: number; at: number; sent: boolean }>();
  private readonly ackStart = new Map<number, number>();
  private readonly wantsDrop: boolean;
  private dropRound: number | undefined;
  private dropped = false;
  private dropping = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly watchdog: NodeJS.Timeout;
  private started = false;
  private ended = false;
  private longestQuestionMs = 0;
  private userIds: string[] = [];

  constructor(private readonly bot: Bot, private readonly client: Client, room: Room, private readonly practice: boolean) {
    this.done = new Promise((r) => { this.resolveDone = r; });
    this.cancelled = new Promise((r) => { this.resolveCancelled = r; });
    this.begun = new Promise((r) => { this.resolveBegun = r; });
    const { opts } = bot.ctx;
    this.wantsDrop = bot.rng.next() < opts.dropRate;
    this.watched = new Watched(bot, room, 'battle', {
      question: (q: QuestionMsg) => this.onQuestion(q),
      answer_ack: (a: { round: number }) => this.onAck(a),
      round_result: (r: RoundResultMsg) => { this.roundResults.push(r); },
      battle_result: (r: BattleResultMsg) => this.onResult(r),
      match_cancelled: () => this.resolveCancelled({ type: 'match_cancelled' }),
    });
    this.watchRoomClose(room);
    this.watchdog = setInterval(() => this.checkProgress(), 1000);
  }

  private watchRoomClose(room: Room): void {
    room.onLeave((code: number) => {
      // The room object a drop closed is stale once the reconnect returned a new one.
      if (this.dropping || this.finished || this.ended || room !== this.watched.room) return;
      if (!this.started) {
        // Closed before the first question: a called-off match (or a refusal); the queue requeues us.
        this.resolveCancelled({ type: 'match_cancelled' });
        return this.end('cancelled');
      }
      this.bot.fail('battle', `battle ${this.watched.log.roomId} closed (code ${code}) before battle_result`);
      this.bot.ctx.rec.stalled.push({
        bot: this.bot.name, roomId: this.watched.log.roomId, lastMessageAt: this.watched.lastMessageAt,
        waitedMs: this.bot.ctx.rec.now() - this.watched.lastMessageAt, phase: `closed by the server with code ${code}`,
      });
      this.end('left');
    });
  }

  /** Stops timers; the session is over for this bot. */
  stop(): void {
    clearInterval(this.watchdog);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private end(o: BattleOutcome): void {
    this.ended = true;
    this.stop();
    this.resolveDone(o);
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => { this.timers.delete(t); if (!this.finished) fn(); }, Math.max(0, ms));
    this.timers.add(t);
  }

  private checkProgress(): void {
    const { rec, abort } = this.bot.ctx;
    if (this.finished || this.ended) return;
    if (abort.aborted) return this.end('aborted');
    if (this.dropping) return;
    // The slowest legitimate silence: a whole question, the reveal and countdown, the matchmaker's confirm window.
    const limit = Math.max(20_000, 2 * this.longestQuestionMs + 10_000);
    const quiet = rec.now() - this.watched.lastMessageAt;
    if (quiet > limit) {
      const phase = String((this.watched.room.state as { phase?: string } | undefined)?.phase ?? '?');
      rec.stalled.push({ bot: this.bot.name, roomId: this.watched.log.roomId, lastMessageAt: this.watched.lastMessageAt, waitedMs: quiet, phase });
      this.bot.fail('battle', `battle ${this.watched.log.roomId} silent for ${Math.round(quiet / 1000)} s in phase ${phase}`);
      void this.watched.leave();
      this.end('stalled');
    }
  }

  private onQuestion(q: QuestionMsg): void {
    const { rec, opts } = this.bot.ctx;
    this.started = true;
    this.resolveBegun({ type: 'question' });
    this.longestQuestionMs = Math.max(this.longestQuestionMs, q.durationMs);
    this.watched.snapshotState();
    const state = this.watched.room.state as { players?: { forEach: (fn: (p: { userId: string }) => void) => void } } | undefined;
    const ids: string[] = [];
    state?.players?.forEach((p) => ids.push(p.userId));
    if (ids.length > 0) this.userIds = ids;
    if (this.wantsDrop && this.dropRound === undefined) {
      // A round that is not the last, so the battle is still on when the bot comes back.
      const total = Number((this.watched.room.state as { totalRounds?: number } | undefined)?.totalRounds ?? 1);
      this.dropRound = this.bot.rng.int(q.round, Math.max(q.round, total - 1));
    }
    let plan = this.plans.get(q.round);
    if (!plan) {
      rec.counters.questions += 1;
      // "Accuracy" is the chance to answer in time at all: a bot cannot know the right choice, so it picks one at random.
      const answer = this.bot.rng.next() < opts.accuracy;
      const delay = this.bot.rng.int(opts.answerDelayMs[0], opts.answerDelayMs[1]);
      plan = { answer, choice: this.bot.rng.int(0, q.choices.length - 1), at: Date.now() + delay, sent: false };
      this.plans.set(q.round, plan);
      if (!answer) rec.counters.silentRounds += 1;
      if (this.bot.rng.next() < opts.malformedRate) {
        const kind = this.bot.rng.pick(BATTLE_MALFORMED);
        const other = this.userIds.find((id) => id !== this.bot.account!.userId) ?? this.bot.account!.userId;
        this.later(this.bot.rng.int(20, 300), () => { if (!this.dropping) this.watched.sendMalformed(kind, { round: q.round, otherUserId: other }); });
      }
      if (this.dropRound === q.round && !this.dropped) {
        // After any malformed message of this round (sent within 300 ms) has had its answer.
        this.later(this.bot.rng.int(400, Math.max(450, Math.min(1500, Math.floor(q.durationMs / 2)))), () => { void this.drop(); });
      }
    }
    // A question sent again after a reconnect keeps the decision made the first time.
    if (plan.answer && !plan.sent) {
      // Never plan past the deadline: a refused late answer would say nothing about the server.
      const at = Math.min(plan.at, q.deadline - 150);
      const p = plan;
      this.later(at - Date.now(), () => {
        if (p.sent || this.dropping || Date.now() > q.deadline - 100 || !this.isOpen(q.round)) return;
        p.sent = true;
        this.ackStart.set(q.round, performance.now());
        this.bot.noteAnswer(this.watched.log.roomId, q.round, q.deadline);
        this.watched.room.send('answer', { round: q.round, choice: p.choice });
        rec.counters.answersSent += 1;
      });
    }
  }

  /**
   * Whether the round is still open as far as this client can tell: a round closes early when everyone
   * connected has answered, so after a drop the bot may come back to a later round.
   */
  private isOpen(round: number): boolean {
    if (this.roundResults.some((r) => r.round === round) || [...this.plans.keys()].some((r) => r > round)) return false;
    // The state patch may lag the question message: an older round in the state says nothing yet.
    const state = this.watched.room.state as { round?: number; phase?: string } | undefined;
    return state?.round === undefined || state.round < round || (state.round === round && state.phase === 'question');
  }

  private onAck(a: { round: number }): void {
    const start = this.ackStart.get(a.round);
    if (start === undefined) return;
    this.ackStart.delete(a.round);
    this.bot.ctx.rec.latency.answerAck.push(performance.now() - start);
    this.bot.ctx.rec.counters.answersAcked += 1;
  }

  private onResult(r: BattleResultMsg): void {
    const { rec } = this.bot.ctx;
    if (this.finished) return;
    this.finished = true;
    const t = rec.now();
    rec.seen.push({ bot: this.bot.name, userId: this.bot.account!.userId, roomId: this.watched.log.roomId, practice: this.practice, result: r, roundResults: this.roundResults.slice(), t });
    if (!rec.finishedAt.has(r.battleId)) rec.finishedAt.set(r.battleId, t);
    if (this.practice) rec.practiceBattles.add(r.battleId);
    rec.counters.participations += 1;
    if (this.practice) rec.counters.practiceParticipations += 1;
    this.end('finished');
  }

  /** Closes the socket mid-round (4100, not a consented leave) and comes back with the reconnection token. */
  private async drop(): Promise<void> {
    const { rec } = this.bot.ctx;
    if (this.finished || this.dropped) return;
    this.dropped = true;
    this.dropping = true;
    // An error still on its way would be lost with the socket and look like an unanswered malformed message.
    for (let i = 0; i < 20 && this.bot.pendingMalformed.some((m) => m.roomId === this.watched.log.roomId); i++) await sleep(50);
    if (this.finished) return;
    rec.counters.drops += 1;
    const token = this.watched.room.reconnectionToken;
    const droppedAt = rec.now();
    this.watched.closingByClient = true;
    this.watched.room.connection.close(4100, 'simulated drop');
    await sleep(this.bot.rng.int(500, 2000));
    const attemptedAt = rec.now();
    const start = performance.now();
    try {
      const room = await withTimeout(this.client.reconnect(token), 10_000, 'reconnect', (late) => { void late.leave(true).catch(() => {}); });
      rec.latency.reconnect.push(performance.now() - start);
      this.watched.closingByClient = false;
      this.watched.attach(room);
      this.watchRoomClose(room);
      this.watched.lastMessageAt = rec.now();
      rec.counters.reconnectsOk += 1;
      rec.reconnects.push({ bot: this.bot.name, roomId: this.watched.log.roomId, droppedAt, attemptedAt, ok: true });
      this.dropping = false;
      // The full state a reconnect brings says where the battle is. "finished" means battle_result went
      // out while we were away: it is sent once, so the bot will not get it (see the report's notes).
      const phase = await new Promise<string | undefined>((resolve) => {
        const read = () => resolve((room.state as { phase?: string } | undefined)?.phase);
        const timer = setTimeout(read, 1500);
        room.onStateChange.once(() => { clearTimeout(timer); read(); });
      });
      this.watched.record('@reconnected', { phase, droppedAt, attemptedAt });
      if (phase === 'finished' && !this.finished && !this.ended) {
        rec.counters.resultsMissedAway += 1;
        this.end('missed_result');
      }
      return;
    } catch (e) {
      rec.counters.reconnectsFailed += 1;
      rec.reconnects.push({ bot: this.bot.name, roomId: this.watched.log.roomId, droppedAt, attemptedAt, ok: false, error: describe(e) });
      this.dropping = false;
      if (!this.finished) this.end('reconnect_failed');
    }
  }
}
