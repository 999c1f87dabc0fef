import { randomUUID } from 'node:crypto';
import { matchMaker, ServerError, type Client, type Delayed } from '@colyseus/core';
import { z } from 'zod';
import type { Principal } from '../src/auth/tokens';
import { BOT_NAMES } from '../src/domain/bot';
import { pairQueue, type QueueEntry } from '../src/domain/pairing';
import { SUBJECTS } from '../src/domain/questionPack';
import { createRng } from '../src/domain/random';
import { DomainError, RuleError } from '../src/errors';
import { ArenaRoom, JOIN_ERROR, on } from '../src/realtime/roomKit';
import { matchChannel, type MatchOutcome } from './BattleRoom';
import { MatchmakingState } from '../schema/MatchmakingState';

/** What a player asks the queue for. */
export const QueueOptions = z.object({
  subject: z.enum([...SUBJECTS, 'mixed']).default('mixed'),
  grade: z.number().int().min(1).max(8).optional(),
  size: z.union([z.literal(2), z.literal(3), z.literal(4)]).default(2),
}).strip();

interface Ticket extends QueueEntry {
  sessionId: string;
  username: string;
  principal: Principal;
  /** Set once a match was made for this ticket: it waits, out of the queue, for the battle to start. */
  matchId?: string;
  practiceOffered: boolean;
}

/** Recent opponents remembered per user, newest first, to avoid immediate rematches. */
const REMEMBERED_OPPONENTS = 3;

/** Built once for every room. */
const ACCEPT_PRACTICE = z.strictObject({});

/**
 * `matchmaking`: the queue. One room serves every subject and size (joinOrCreate's lock keeps it to one,
 * across processes with Redis). Every MATCH_INTERVAL_MS it runs the pure pairing function over the queue
 * (src/domain/pairing.ts), creates a battle for each group through the matchmaker API and hands each
 * player a seat reservation. A match whose players do not all arrive is called off by the battle, and the
 * ones still here go back to the queue with their waiting time intact.
 */
export class MatchmakingRoom extends ArenaRoom<MatchmakingState> {
  static roles = ['student'] as const;

  static onAuthorized(_principal: Principal, options: Record<string, unknown>): void {
    const parsed = QueueOptions.safeParse(options);
    if (!parsed.success) throw new DomainError('VALIDATION_FAILED', `invalid queue options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    // One queue room for all: nothing to filter by.
    for (const key of Object.keys(options)) delete options[key];
    Object.assign(options, { queue: parsed.data });
  }

  private readonly tickets = new Map<string, Ticket>();
  private readonly recentOpponents = new Map<string, string[]>();
  private readonly listeners = new Map<string, (outcome: MatchOutcome) => void>();
  private wave: Delayed | undefined;
  private waveRunning = false;
  private readonly rng = createRng(randomUUID());

  onCreate() {
    this.maxClients = 10_000;
    this.autoDispose = true;
    this.setState(new MatchmakingState());
    this.handleMessages({
      accept_practice: on(ACCEPT_PRACTICE, async function (this: MatchmakingRoom, client) { await this.startPractice(client); }),
    });
    this.wave = this.clock.setInterval(() => {
      if (this.waveRunning) return; // a slow wave (room creation) never overlaps the next
      this.waveRunning = true;
      this.runWave().catch((err) => this.services.logger.error({ err }, 'matchmaking wave failed')).finally(() => { this.waveRunning = false; });
    }, this.services.config.matchmaking.intervalMs);
  }

  async onJoin(client: Client, options: { queue: z.output<typeof QueueOptions> }, auth: Principal) {
    const q = options.queue;
    // One ticket per user: a second tab would let one child land in two battles at once.
    if ([...this.tickets.values()].some((t) => t.userId === auth.userId)) throw new ServerError(JOIN_ERROR.CONFLICT, 'you are already in the queue or in a match being made');
    // Loaded once on join: the subject's rating steers pairing.
    const profile = await this.services.accounts.me(auth.userId);
    // The subject's rating (the overall one for mixed, or before a first rated battle in the subject).
    const rating = await this.services.ratings.ratingFor(auth.userId, q.subject);
    const ticket: Ticket = {
      id: client.sessionId, sessionId: client.sessionId, userId: auth.userId, username: auth.username, principal: auth,
      rating: rating.rating, deviation: rating.deviation, grade: q.grade ?? profile.grade ?? null, subject: q.subject, size: q.size,
      joinedAt: Date.now(), recentOpponents: this.recentOpponents.get(auth.userId) ?? [], practiceOffered: false,
    };
    this.tickets.set(client.sessionId, ticket);
    this.state.queued = this.queued().length;
    this.sendTo(client, 'queued', { subject: q.subject, size: q.size, rating: Math.round(rating.rating) });
  }

  /** Leaving the queue takes effect at once; a ticket already matched waits for its battle's outcome. */
  onLeave(client: Client) {
    const ticket = this.tickets.get(client.sessionId);
    if (ticket && !ticket.matchId) this.tickets.delete(client.sessionId);
    this.state.queued = this.queued().length;
  }

  async onDispose() {
    this.wave?.clear();
    for (const [matchId, listener] of this.listeners) await this.presence.unsubscribe(matchChannel(matchId), listener);
  }

  private queued(): Ticket[] {
    return [...this.tickets.values()].filter((t) => !t.matchId);
  }

  private clientOf(ticket: Ticket): Client | undefined {
    return this.clients.getById(ticket.sessionId);
  }

  /** One pairing wave: pure pairing, then a battle and reservations for each group. */
  private async runWave(): Promise<void> {
    const { matchmaking } = this.services.config;
    const queue = this.queued();
    if (queue.length === 0) return;
    const { groups, waiting } = pairQueue(queue, {
      now: Date.now(), baseRange: matchmaking.baseRange, widenPerSecond: matchmaking.widenPerSecond, maxRange: matchmaking.maxRange,
      gradeBandTolerance: 1, rematchCooldown: 1,
    });
    for (const group of groups) await this.createMatch(group as Ticket[]);
    for (const ticket of waiting as Ticket[]) {
      if (!ticket.practiceOffered && Date.now() - ticket.joinedAt >= matchmaking.botAfterMs) {
        ticket.practiceOffered = true;
        const client = this.clientOf(ticket);
        if (client) this.sendTo(client, 'practice_offer', { waitedMs: Date.now() - ticket.joinedAt, rated: false, opponent: 'bot' });
      }
    }
    this.state.queued = this.queued().length;
  }

  private async createMatch(group: Ticket[]): Promise<void> {
    const matchId = randomUUID();
    for (const t of group) t.matchId = matchId;
    const listener = (outcome: MatchOutcome) => this.onMatchOutcome(matchId, outcome);
    this.listeners.set(matchId, listener);
    await this.presence.subscribe(matchChannel(matchId), listener);
    try {
      const battle = await matchMaker.createRoom('battle', { subject: group[0].subject, match: { matchId, userIds: group.map((t) => t.userId) } });
      for (const t of group) {
        const reservation = await matchMaker.reserveSeatFor(battle, {}, t.principal);
        const client = this.clientOf(t);
        const opponents = group.filter((o) => o !== t).map((o) => ({ username: o.username, rating: Math.round(o.rating) }));
        if (client) this.sendTo(client, 'match_found', { reservation, matchId, opponents });
        this.remember(t.userId, group.filter((o) => o !== t).map((o) => o.userId));
      }
    } catch (err) {
      this.services.logger.error({ err, matchId }, 'could not create a matched battle; requeueing its players');
      this.release(matchId, group.map((t) => t.userId));
    }
  }

  /** The battle started (its tickets are done) or was called off (those who came back requeue). */
  private onMatchOutcome(matchId: string, outcome: MatchOutcome): void {
    const tickets = [...this.tickets.values()].filter((t) => t.matchId === matchId);
    if (outcome.status === 'started') {
      for (const t of tickets) {
        this.tickets.delete(t.sessionId);
        const client = this.clientOf(t);
        if (client) this.sendTo(client, 'match_started', { matchId });
      }
    } else {
      // Those who did not consume their reservation leave the queue; the others wait on with their time.
      for (const t of tickets) if (outcome.missing.includes(t.userId)) this.tickets.delete(t.sessionId);
      this.release(matchId, outcome.joined);
    }
    const listener = this.listeners.get(matchId);
    this.listeners.delete(matchId);
    if (listener) void this.presence.unsubscribe(matchChannel(matchId), listener);
    this.state.queued = this.queued().length;
  }

  /** Puts the tickets of `userIds` in `matchId` back in the queue, if their players are still here. */
  private release(matchId: string, userIds: string[]): void {
    for (const t of this.tickets.values()) {
      if (t.matchId !== matchId || !userIds.includes(t.userId)) continue;
      const client = this.clientOf(t);
      if (!client) {
        this.tickets.delete(t.sessionId);
        continue;
      }
      t.matchId = undefined;
      this.sendTo(client, 'requeued', { matchId, reason: 'an opponent did not join in time' });
    }
  }

  private remember(userId: string, opponents: string[]): void {
    const list = [...opponents, ...(this.recentOpponents.get(userId) ?? [])].slice(0, REMEMBERED_OPPONENTS);
    this.recentOpponents.set(userId, list);
  }

  /** Accepts the practice offer: an unrated battle against a server-side bot of the player's strength. */
  private async startPractice(client: Client): Promise<void> {
    const ticket = this.tickets.get(client.sessionId);
    if (!ticket || ticket.matchId) throw new RuleError('NOT_QUEUED', 'You are not waiting in the queue.');
    if (!ticket.practiceOffered) throw new RuleError('NO_PRACTICE_OFFER', 'A practice match is offered only after waiting a while.');
    const matchId = randomUUID();
    ticket.matchId = matchId;
    const battle = await matchMaker.createRoom('battle', {
      subject: ticket.subject, practice: { userId: ticket.userId, rating: ticket.rating, botName: this.rng.pick(BOT_NAMES) },
    });
    const reservation = await matchMaker.reserveSeatFor(battle, {}, ticket.principal);
    this.tickets.delete(client.sessionId);
    this.state.queued = this.queued().length;
    this.sendTo(client, 'match_found', { reservation, matchId, practice: true, opponents: [{ username: 'bot', rating: Math.round(ticket.rating) }] });
  }
}

