import { randomUUID } from 'node:crypto';
import { CloseCode, ServerError, type Client, type Delayed } from '@colyseus/core';
import { z } from 'zod';
import type { Principal } from '../src/auth/tokens';
import { USERNAME } from '../src/domain/accounts';
import { BattleEngine, type QuestionView, type RoundResult } from '../src/domain/battleEngine';
import type { BattleRecord, BattleResult } from '../src/domain/battleRecord';
import { SUBJECTS } from '../src/domain/questionPack';
import { gradeBand, selectQuestions } from '../src/domain/questionSelection';
import { botAnswer } from '../src/domain/bot';
import { createRng } from '../src/domain/random';
import { DomainError, RuleError } from '../src/errors';
import { withBackoff } from '../src/persistence/database';
import { ArenaRoom, JOIN_ERROR, on } from '../src/realtime/roomKit';
import { BattlePlayerState, BattleState } from '../schema/BattleState';

/** Options a client may pass to create or join a battle (a bad value is refused with 422). */
export const BattleOptions = z.object({
  subject: z.enum([...SUBJECTS, 'mixed']).default('mixed'),
  private: z.boolean().default(false),
  rounds: z.number().int().min(1).max(20).optional(),
}).strip();

/** Options only the server sets: a battle made by the matchmaker, or a practice battle against a bot. */
const ServerBattleOptions = BattleOptions.extend({
  match: z.object({ matchId: z.string(), userIds: z.array(z.uuid()).min(2).max(8) }).optional(),
  practice: z.object({ userId: z.uuid(), rating: z.number(), botName: z.string() }).optional(),
});
type ServerBattleOptions = z.output<typeof ServerBattleOptions>;

/** The presence channel on which a matchmade battle reports whether it started or was called off. */
export function matchChannel(matchId: string): string {
  return `match:${matchId}`;
}

/** What a matchmade battle reports on its channel. */
export type MatchOutcome = { status: 'started' } | { status: 'cancelled'; joined: string[]; missing: string[] };

/** The messages' schemas, built once for every battle. */
const READY = z.strictObject({ ready: z.boolean() });
const ANSWER = z.strictObject({ round: z.number().int().min(1), choice: z.number().int().min(0).max(7) });
const INVITE = z.strictObject({ username: USERNAME });

/**
 * `battle`: a quiz battle for 2 to 8 players. The room translates: it validates messages, asks the
 * BattleEngine (src/domain) what they mean, runs the phase timers, mirrors the engine into the synced
 * state, and hands the finished record to BattleService, which stores it before anyone hears the result.
 */
export class BattleRoom extends ArenaRoom<BattleState> {
  static roles = ['student'] as const;

  /** Validates options before matchmaking; quick battles are matched by subject. */
  static onAuthorized(_principal: Principal, options: Record<string, unknown>): void {
    // Only the server makes matchmade and practice battles: a client cannot claim either.
    delete options.match;
    delete options.practice;
    const parsed = BattleOptions.safeParse(options);
    if (!parsed.success) throw new DomainError('VALIDATION_FAILED', `invalid battle options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    options.subject = parsed.data.subject;
  }

  private engine!: BattleEngine;
  private readonly userBySession = new Map<string, string>();
  private readonly grades = new Map<string, number | null>();
  private timer: Delayed | undefined;
  private fillTimer: Delayed | undefined;
  private starting = false;
  private finishing: Promise<void> | undefined;
  private currentQuestion: QuestionView | undefined;
  private code = '';
  private shuttingDown = false;
  private result: BattleResult | undefined;
  private options!: ServerBattleOptions;
  private botRng = createRng('unused');

  async onCreate(rawOptions: unknown) {
    const options = this.options = ServerBattleOptions.parse(rawOptions);
    const { battle } = this.services.config;
    const seed = randomUUID();
    this.engine = new BattleEngine({
      battleId: randomUUID(),
      seed,
      mode: options.practice ? 'practice' : options.private ? 'private' : 'quick',
      subject: options.subject,
      rated: !options.practice,
      rounds: options.private && options.rounds ? options.rounds : battle.rounds,
      questionMs: battle.questionMs,
      minPlayers: 2,
      maxPlayers: options.match ? options.match.userIds.length : 8,
    });
    this.maxClients = options.practice ? 1 : this.engine.settings.maxPlayers;
    // Matchmade and practice battles are never found by joinOrCreate.
    if (options.private || options.match || options.practice) await this.setPrivate(true);
    this.code = await this.services.roomCodes.claim(this.roomName, this.roomId);
    this.setState(Object.assign(new BattleState(), {
      code: this.code, subject: options.subject, mode: this.engine.settings.mode, totalRounds: this.engine.settings.rounds,
    }));
    this.handleMessages({
      ready: on(READY, function (this: BattleRoom, client, msg) { this.onReady(client, msg.ready); }),
      answer: on(ANSWER, function (this: BattleRoom, client, msg) { this.onAnswer(client, msg.round, msg.choice); }),
      invite: on(INVITE, async function (this: BattleRoom, client, msg) { await this.onInvite(client, msg.username); }),
    });
    if (options.practice) {
      const botId = `bot:${randomUUID()}`;
      this.botRng = createRng(`${seed}:bot`);
      const name = `${options.practice.botName} (bot)`;
      this.engine.addPlayer(botId, name, true);
      this.state.players.set(botId, Object.assign(new BattlePlayerState(), { userId: botId, username: name, ready: true, isBot: true }));
    }
    if (options.match) {
      // Everyone matched must show up in time, or the match is called off and the others requeue.
      this.clock.setTimeout(() => this.cancelMatchIfIncomplete(), this.services.config.matchmaking.confirmMs);
    }
  }

  async onJoin(client: Client, _options: unknown, auth: Principal) {
    const invited = this.options.match?.userIds ?? (this.options.practice ? [this.options.practice.userId] : undefined);
    if (invited && !invited.includes(auth.userId)) throw new ServerError(JOIN_ERROR.FORBIDDEN, 'this battle was made for other players');
    try {
      this.engine.addPlayer(auth.userId, auth.username);
    } catch (e) {
      if (e instanceof RuleError) throw new ServerError(JOIN_ERROR.CONFLICT, e.message);
      throw e;
    }
    this.userBySession.set(client.sessionId, auth.userId);
    this.state.players.set(client.sessionId, Object.assign(new BattlePlayerState(), { userId: auth.userId, username: auth.username }));
    if (invited) {
      // Matched and practice players said "ready" by queueing.
      this.engine.setReady(auth.userId, true);
      this.seat(client).ready = true;
    }
    // Loaded on join, never in a handler: the grade steers question selection at the start.
    this.grades.set(auth.userId, (await this.services.accounts.me(auth.userId)).grade);
    this.evaluateStart();
  }

  onDrop(client: Client) {
    const userId = this.userBySession.get(client.sessionId);
    if (!userId || this.engine.phase === 'finished') return;
    this.engine.setConnected(userId, false);
    this.seat(client).connected = false;
    // Keeps the seat, score and streak; onLeave runs if they do not come back in time.
    this.allowReconnection(client, this.services.config.battle.reconnectMs / 1000).catch(() => {});
    if (this.engine.allAnswered()) this.closeRound();
  }

  onReconnect(client: Client) {
    const userId = this.userBySession.get(client.sessionId)!;
    this.engine.setConnected(userId, true);
    this.seat(client).connected = true;
    // Back after the end: the result they missed while away.
    if (this.result) return this.sendTo(client, 'battle_result', this.result);
    // Back mid-question: show it again, with the original deadline.
    if (this.engine.phase === 'question' && this.currentQuestion && !this.seat(client).answered) this.sendTo(client, 'question', this.currentQuestion);
  }

  onLeave(client: Client) {
    const userId = this.userBySession.get(client.sessionId);
    if (!userId) return;
    const waiting = this.engine.phase === 'waiting';
    this.engine.leave(userId);
    if (waiting) {
      this.state.players.delete(client.sessionId);
      this.userBySession.delete(client.sessionId);
      this.evaluateStart();
      return;
    }
    const seat = this.seat(client);
    seat.connected = false;
    if (this.engine.phase !== 'finished') seat.left = true;
    if (this.engine.shouldEndEarly()) void this.finishBattle();
    else if (this.engine.allAnswered()) this.closeRound();
  }

  async onDispose() {
    if (this.code) await this.services.roomCodes.release(this.code);
  }

  /** On SIGTERM a running battle may finish, bounded by SHUTDOWN_GRACE_MS; then it ends where it is. */
  onBeforeShutdown() {
    this.shuttingDown = true;
    if (this.engine.phase === 'waiting' || this.engine.phase === 'finished') return void this.disconnect(CloseCode.SERVER_SHUTDOWN);
    this.clock.setTimeout(() => { void this.finishBattle(); }, this.services.config.shutdownGraceMs);
  }

  /** A matchmade battle whose players did not all arrive is called off; the matchmaker requeues the others. */
  private cancelMatchIfIncomplete(): void {
    const match = this.options.match;
    if (!match || this.engine.phase !== 'waiting' || this.starting) return;
    const joined = match.userIds.filter((id) => this.engine.players.has(id));
    const missing = match.userIds.filter((id) => !this.engine.players.has(id));
    void this.presence.publish(matchChannel(match.matchId), { status: 'cancelled', joined, missing } satisfies MatchOutcome);
    this.broadcastAll('match_cancelled', { matchId: match.matchId, reason: 'not every matched player joined in time' });
    this.clock.setTimeout(() => { void this.disconnect(CloseCode.CONSENTED); }, 100);
  }

  private seat(client: Client): BattlePlayerState {
    return this.state.players.get(client.sessionId)!;
  }

  private onReady(client: Client, ready: boolean): void {
    if (this.starting) throw new RuleError('NOT_WAITING', 'The battle is starting.');
    this.engine.setReady(this.userBySession.get(client.sessionId)!, ready);
    this.seat(client).ready = ready;
    this.evaluateStart();
  }

  private onAnswer(client: Client, round: number, choice: number): void {
    const refusal = this.engine.tryAnswer(this.userBySession.get(client.sessionId)!, round, choice, Date.now());
    if (refusal) return this.sendError(client, 'answer', refusal.code, refusal.message);
    this.seat(client).answered = true;
    this.sendTo(client, 'answer_ack', { round });
    if (this.engine.allAnswered()) this.closeRound();
  }

  private async onInvite(client: Client, username: string): Promise<void> {
    const from = this.seat(client);
    if (this.engine.phase !== 'waiting') throw new RuleError('NOT_WAITING', 'Invitations are for battles that have not started.');
    if (username === from.username) throw new RuleError('INVALID_INVITE', 'You cannot invite yourself.');
    const sent = await this.services.notifications.notifyUsername(username, {
      kind: 'battle_invite',
      title: `${from.username} invites you to a quiz battle`,
      data: { code: this.code, roomId: this.roomId, subject: this.state.subject, from: from.username },
    });
    if (!sent) throw new RuleError('USER_NOT_FOUND', `There is no player called ${username}.`);
    this.sendTo(client, 'invite_sent', { username });
  }

  /**
   * Starts when at least two are seated and all are ready. A quick battle first waits BATTLE_FILL_WAIT_MS
   * for more players (up to 8); a private one starts at once.
   */
  private evaluateStart(): void {
    if (this.starting || this.engine.phase !== 'waiting') return;
    if (!this.engine.canStart()) {
      this.fillTimer?.clear();
      this.fillTimer = undefined;
      return;
    }
    // A matchmade battle waits for everyone it was made for (the confirm timer calls it off otherwise).
    if (this.options.match && this.engine.players.size < this.options.match.userIds.length) return;
    const full = this.engine.players.size >= this.engine.settings.maxPlayers;
    const fillWait = this.services.config.battle.fillWaitMs;
    const immediate = this.engine.settings.mode !== 'quick' || this.options.match !== undefined;
    if (immediate || full || fillWait === 0) return void this.start();
    this.fillTimer ??= this.clock.setTimeout(() => {
      this.fillTimer = undefined;
      if (this.engine.canStart()) void this.start();
    }, fillWait);
  }

  private async start(): Promise<void> {
    this.starting = true;
    this.fillTimer?.clear();
    this.fillTimer = undefined;
    await this.lock();
    try {
      const band = gradeBand([...this.engine.players.keys()].map((id) => this.grades.get(id)));
      const subject = this.engine.settings.subject as Parameters<typeof selectQuestions>[1]['subject'];
      const candidates = await this.services.questions.candidates({ subject, ...band, limit: 60 });
      const questions = selectQuestions(candidates, { subject, ...band, count: this.engine.settings.rounds }, createRng(this.engine.settings.seed));
      if (!this.engine.canStart()) throw new RuleError('CANNOT_START', 'a player left while the battle was starting');
      this.engine.start(questions, Date.now());
    } catch (e) {
      this.starting = false;
      if (!(e instanceof RuleError)) this.services.logger.error({ err: e, roomId: this.roomId }, 'battle could not start');
      await this.unlock();
      return;
    }
    this.starting = false;
    if (this.options.match) void this.presence.publish(matchChannel(this.options.match.matchId), { status: 'started' } satisfies MatchOutcome);
    const { countdownMs } = this.services.config.battle;
    this.state.phase = 'countdown';
    this.state.startsAt = Date.now() + countdownMs;
    this.timer = this.clock.setTimeout(() => this.nextRound(), countdownMs);
  }

  private nextRound(): void {
    if (this.engine.shouldEndEarly() || !(this.engine.phase === 'countdown' || this.engine.hasMoreRounds())) return void this.finishBattle();
    const question = this.engine.beginRound(Date.now());
    this.currentQuestion = question;
    this.state.phase = 'question';
    this.state.round = question.round;
    this.state.startsAt = 0;
    this.state.players.forEach((p) => { p.answered = false; });
    this.broadcastAll('question', question);
    this.timer = this.clock.setTimeout(() => this.closeRound(), question.durationMs);
    this.playBots(question);
  }

  /** Server-side bots answer like a child of the player's strength would (src/domain/bot.ts). */
  private playBots(question: QuestionView): void {
    for (const bot of this.engine.players.values()) {
      if (!bot.isBot || bot.forfeited) continue;
      const plan = botAnswer({ rating: this.options.practice?.rating ?? 1500, choices: question.choices.length, correctChoice: this.engine.answerKey(question.round), questionMs: question.durationMs }, this.botRng);
      this.clock.setTimeout(() => {
        if (this.engine.phase !== 'question' || this.engine.round !== question.round) return;
        this.engine.answer(bot.userId, question.round, plan.choice, Date.now());
        this.state.players.get(bot.userId)!.answered = true;
        if (this.engine.allAnswered()) this.closeRound();
      }, plan.delayMs);
    }
  }

  private closeRound(): void {
    if (this.engine.phase !== 'question') return;
    this.timer?.clear();
    const result: RoundResult = this.engine.closeRound();
    this.currentQuestion = undefined;
    const byUser = new Map([...this.engine.players.values()].map((p) => [p.userId, p]));
    this.state.players.forEach((seat) => {
      const p = byUser.get(seat.userId)!;
      seat.score = p.score;
      seat.streak = p.streak;
    });
    this.state.phase = 'reveal';
    this.broadcastAll('round_result', result);
    const last = !this.engine.hasMoreRounds() || this.engine.shouldEndEarly();
    this.timer = this.clock.setTimeout(() => (last ? void this.finishBattle() : this.nextRound()), this.services.config.battle.revealMs);
  }

  /** Ends the battle once: store (with retries), then announce, then linger so clients can read it. */
  private finishBattle(): Promise<void> {
    return (this.finishing ??= (async () => {
      this.timer?.clear();
      this.fillTimer?.clear();
      const record: BattleRecord = this.engine.finish(Date.now());
      this.state.players.forEach((seat) => {
        const p = this.engine.players.get(seat.userId)!;
        seat.score = p.score;
        seat.streak = p.streak;
      });
      let result: BattleResult;
      try {
        result = await withBackoff(() => this.services.battles.finish(record), {
          retries: 5, initialMs: 200, maxMs: 3000,
          onRetry: (err, n) => this.services.logger.warn({ err: String(err), battleId: record.battleId, attempt: n }, 'storing the battle failed; retrying'),
        });
      } catch (err) {
        this.services.logger.error({ err, battleId: record.battleId }, 'battle result could not be stored');
        this.state.phase = 'finished';
        this.clients.forEach((c) => this.sendError(c, 'battle_result', 'RESULT_NOT_SAVED', 'The result could not be saved; it was not counted.'));
        if (this.shuttingDown) void this.disconnect(CloseCode.SERVER_SHUTDOWN);
        return;
      }
      this.result = result;
      this.state.winnerUserId = result.winnerUserId;
      this.state.phase = 'finished';
      this.broadcastAll('battle_result', result, { afterNextPatch: true });
      // Clients may stay to read the result; on shutdown only long enough for it to go out.
      const linger = this.shuttingDown ? 500 : this.services.config.battle.finishedLingerMs;
      this.clock.setTimeout(() => { void this.disconnect(this.shuttingDown ? CloseCode.SERVER_SHUTDOWN : CloseCode.CONSENTED); }, linger);
    })());
  }
}
