import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { Principal } from '../auth/tokens';
import { DomainError } from '../errors';
import type { AnswerLogEntry, BattleMode, BattleRecord, BattleResult, ParticipantResult, PlayedQuestion, Standing } from '../domain/battleRecord';
import { winnerOf } from '../domain/scoring';
import { publicBoardName, subjectBoardKey, weeklyBoardKey, weekStartDate } from '../domain/leaderboards';
import {
  BOT_SHOWN_RATING, checkBattleRecord, isSubject, isUuid, settleBattle, shownRating, sortStandings, type BattleSettlement, type PlayerProfile,
} from '../domain/settlement';
import type { Logger } from '../logger';
import type { Role, StoredBot } from '../persistence/entities';
import { chunks, valuesList } from '../persistence/sql';
import type { EntryChange, LeaderboardChanged, LeaderboardService } from './LeaderboardService';
import type { NewNotification, NotificationService, NotificationView } from './NotificationService';

/** One line of GET /me/battles (contract). */
export interface BattleHistoryItem {
  battleId: string;
  endedAt: string;
  placement: number;
  score: number;
  ratingDelta: number;
  xp: number;
  coins: number;
}

/** GET /battles/:id (contract); participants in standings order, bots included. */
export interface BattleView {
  id: string;
  mode: BattleMode;
  subject: string;
  startedAt: string;
  endedAt: string;
  rounds: number;
  participants: Standing[];
}

/** Options of `history`: a page of at most `limit` (1..50, default 20) battles ended strictly before `before`. */
export interface HistoryOptions {
  limit?: number;
  before?: string | Date;
}

interface BattleRow {
  id: string;
  mode: BattleMode;
  subject: string;
  rated: boolean;
  seed: string;
  rounds: number;
  question_ms: number;
  questions: PlayedQuestion[];
  bots: StoredBot[];
  started_at: Date | string;
  ended_at: Date | string;
}

interface ParticipantRow {
  battle_id: string;
  user_id: string;
  username: string;
  score: number;
  placement: number;
  correct_answers: number;
  forfeited: boolean;
  rating_before: number;
  rating_after: number;
  xp: number;
  coins: number;
  ended_at: Date | string;
}

type Announcement = { userId: string; notification: NotificationView };

/** What a finished battle announces after commit: notifications, and which leaderboards moved. */
interface Applied {
  announce: Announcement[];
  boards: LeaderboardChanged;
}

interface LockedPlayer {
  id: string;
  username: string;
  role: Role;
  xp: number;
  rating: number;
  rating_deviation: number;
  rating_volatility: number;
  rated_at: Date | null;
}

const iso = (d: Date | string): string => new Date(d).toISOString();

function standingOf(p: ParticipantRow): Standing {
  return {
    userId: p.user_id, username: p.username, score: p.score, placement: p.placement,
    ratingBefore: shownRating(p.rating_before), ratingAfter: shownRating(p.rating_after), xp: p.xp, coins: p.coins,
  };
}

function botStanding(b: StoredBot): Standing {
  return { userId: b.userId, username: b.username, score: b.score, placement: b.placement, ratingBefore: BOT_SHOWN_RATING, ratingAfter: BOT_SHOWN_RATING, xp: 0, coins: 0 };
}

/**
 * Stores finished battles and everything they bring — rewards, ratings, levels, stats, notifications —
 * in one transaction per battle, exactly once; and reads battles back for history, detail and replay.
 */
export class BattleService {
  constructor(
    private readonly db: DataSource,
    private readonly notifications: NotificationService,
    private readonly logger: Logger,
    private readonly leaderboards: LeaderboardService,
  ) {}

  /**
   * Stores a finished battle and applies its rewards and ratings, all or nothing, exactly once: a battle
   * id that is already stored applies nothing and answers the stored result (so a room may retry freely).
   * Ratings (overall, and the subject's for a subject battle), their history, weekly XP and the leaderboards
   * move in the same transaction. Notifications and the `leaderboard:changed` announcement are published
   * only after it commits.
   */
  async finish(record: BattleRecord): Promise<BattleResult> {
    checkBattleRecord(record);
    const { result, announce, boards } = await this.db.transaction(async (m) => {
      const applied = await this.apply(m, record);
      return { result: await this.readResult(m, record.battleId), ...applied };
    });
    if (announce.length > 0) {
      // Stored already: a failed publish only delays them to the user's next visit to their personal room.
      await this.notifications.publish(announce).catch((err) => this.logger.warn({ err: String(err), battleId: record.battleId }, 'battle notifications not published live'));
    }
    // Stored already too: a lost announcement only delays open leaderboard rooms until the next change.
    await this.leaderboards.publishChanged(boards).catch((err) => this.logger.warn({ err: String(err), battleId: record.battleId }, 'leaderboard change not published'));
    return result;
  }

  /** The battle's writes; empty (and nothing written) when the battle was stored before. */
  private async apply(m: EntityManager, record: BattleRecord): Promise<Applied> {
    const humans = record.participants.filter((p) => !p.isBot);
    const bots: StoredBot[] = record.participants.filter((p) => p.isBot).map(({ isBot: _bot, ...rest }) => rest);
    const winner = winnerOf(record.participants);

    // Lock the players first, in id order, before any statement whose foreign-key checks take key-share
    // locks on their rows: two battles sharing players then queue on the first lock instead of
    // deadlocking. FOR NO KEY UPDATE is the lock our UPDATE needs, and it leaves other transactions' FK
    // checks (say a notification for one of these players) unblocked.
    //
    // Every other row this unit of work writes for a player (subject rating, weekly XP, board entries) is
    // written only under this lock, so these locks alone order all battles that share players. The one
    // shared resource, the rank histogram, is written last in a globally sorted order (LeaderboardService).
    const ids = humans.map((h) => h.userId).sort();
    const locked: LockedPlayer[] = await m.query(
      `SELECT "id", "username", "role", "xp", "rating", "rating_deviation", "rating_volatility", "rated_at"
         FROM "users" WHERE "id" = ANY($1::uuid[]) ORDER BY "id" FOR NO KEY UPDATE`, [ids]);

    // The insert is the idempotency gate: a second finish of the same battle (after the first committed,
    // or waiting above until it did) finds the row and applies nothing.
    const inserted: unknown[] = await m.query(
      `INSERT INTO "battles" ("id", "mode", "subject", "rated", "seed", "rounds", "question_ms", "questions", "bots", "winner_user_id", "started_at", "ended_at")
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10, $11, $12)
       ON CONFLICT ("id") DO NOTHING RETURNING "id"`,
      [record.battleId, record.mode, record.subject, record.rated, record.seed, record.rounds, record.questionMs,
        JSON.stringify(record.questions), JSON.stringify(bots), winner && !winner.isBot ? winner.userId : null, record.startedAt, record.endedAt],
    );
    if (inserted.length === 0) return { announce: [], boards: { boards: [], userIds: [] } };

    const subjectRows: Array<{ user_id: string; rating: number; deviation: number; volatility: number; rated_at: Date }> =
      record.rated && isSubject(record.subject)
        ? await m.query(
          `SELECT "user_id", "rating", "deviation", "volatility", "rated_at" FROM "subject_ratings"
            WHERE "user_id" = ANY($1::uuid[]) AND "subject" = $2 ORDER BY "user_id" FOR NO KEY UPDATE`, [ids, record.subject])
        : [];
    const subjectOf = new Map(subjectRows.map((s) => [s.user_id, {
      rating: { rating: s.rating, deviation: s.deviation, volatility: s.volatility }, ratedAt: new Date(s.rated_at),
    }]));
    const profiles = new Map<string, PlayerProfile>(locked.map((u) => [u.id, {
      xp: u.xp,
      rating: { rating: u.rating, deviation: u.rating_deviation, volatility: u.rating_volatility },
      ratedAt: u.rated_at ? new Date(u.rated_at) : null,
      subjectRating: subjectOf.get(u.id) ?? null,
    }]));
    const missing = ids.filter((id) => !profiles.has(id));
    if (missing.length > 0) throw new DomainError('USER_NOT_FOUND', `battle ${record.battleId}: no account for participant(s) ${missing.join(', ')}`);

    // Each battle is its own Glicko-2 rating period. Battles are short and children expect to see their
    // rating move right after one; pooling battles into daily periods would delay that and make a result
    // depend on which other battles happened to share its period. Per-battle periods shrink deviation
    // faster, which the minimum deviation in glicko2.ts bounds. Time between battles still counts: before
    // rating, settleBattle grows each deviation for every idle day since the rating last moved
    // (src/domain/ratingPeriods.ts), measured to the battle's end so that a retried finish settles the same.
    const settled = settleBattle(record, profiles);
    await this.insertParticipants(m, record, settled);
    await this.insertAnswers(m, record.battleId, record.answers);
    await this.insertLedger(m, record.battleId, settled);
    for (const p of settled.players) {
      await m.query(
        `UPDATE "users" SET "xp" = $2, "coins" = "coins" + $3, "level" = $4, "battles" = "battles" + 1, "wins" = "wins" + $5,
           "rating" = $6, "rating_deviation" = $7, "rating_volatility" = $8, "rated_at" = GREATEST("rated_at", $9::timestamptz), "updated_at" = now()
         WHERE "id" = $1`,
        [p.participant.userId, p.xpAfter, p.rewards.coins, p.levelAfter, p.won ? 1 : 0,
          p.ratingAfter.rating, p.ratingAfter.deviation, p.ratingAfter.volatility, settled.ratingsApplied ? record.endedAt : null],
      );
    }
    await this.upsertSubjectRatings(m, record, settled);
    await this.insertRatingHistory(m, record, settled);
    const weekly = await this.addWeeklyXp(m, record, settled);
    const items = this.notificationsFor(record.battleId, settled);
    const stored = await this.notifications.store(m, items);

    // Boards last: the rank histogram rows they end with are shared by every battle, so they are held for
    // the shortest time. Only students are on boards.
    const students = new Map(locked.filter((u) => u.role === 'student').map((u) => [u.id, u.username]));
    const changes = this.boardChanges(settled, weekly, students);
    await this.leaderboards.applyChanges(m, changes);
    return {
      announce: stored.map((notification, i) => ({ userId: items[i].userId, notification })),
      boards: { boards: [...new Set(changes.map((c) => publicBoardName(c.board)))], userIds: [...new Set(changes.map((c) => c.userId))] },
    };
  }

  /** A subject battle moves the players' subject ratings too; a first one creates the row. */
  private async upsertSubjectRatings(m: EntityManager, record: BattleRecord, settled: BattleSettlement): Promise<void> {
    if (!settled.ratedSubject) return;
    const params = settled.players.flatMap((p) => [
      p.participant.userId, settled.ratedSubject, p.subjectAfter!.rating, p.subjectAfter!.deviation, p.subjectAfter!.volatility, record.endedAt, 1,
    ]);
    await m.query(
      `INSERT INTO "subject_ratings" ("user_id", "subject", "rating", "deviation", "volatility", "rated_at", "battles")
       VALUES ${valuesList(settled.players.length, new Array(7).fill(undefined))}
       ON CONFLICT ("user_id", "subject") DO UPDATE SET "rating" = EXCLUDED."rating", "deviation" = EXCLUDED."deviation",
         "volatility" = EXCLUDED."volatility", "rated_at" = GREATEST("subject_ratings"."rated_at", EXCLUDED."rated_at"),
         "battles" = "subject_ratings"."battles" + 1`,
      params);
  }

  /** One history line per player and rating scope that moved, stamped with the battle's end. */
  private async insertRatingHistory(m: EntityManager, record: BattleRecord, settled: BattleSettlement): Promise<void> {
    if (!settled.ratingsApplied) return;
    const lines = settled.players.flatMap((p) => [
      { userId: p.participant.userId, scope: 'overall', before: p.ratingBefore, after: p.ratingAfter },
      ...(settled.ratedSubject ? [{ userId: p.participant.userId, scope: settled.ratedSubject, before: p.subjectBefore!, after: p.subjectAfter! }] : []),
    ]);
    await m.query(
      `INSERT INTO "rating_history" ("id", "user_id", "scope", "battle_id", "rating_before", "rating_after", "deviation_before", "deviation_after", "created_at")
       VALUES ${valuesList(lines.length, new Array(9).fill(undefined))}`,
      lines.flatMap((l) => [randomUUID(), l.userId, l.scope, record.battleId, l.before.rating, l.after.rating, l.before.deviation, l.after.deviation, record.endedAt]));
  }

  /** Adds the battle's XP to each player's total for the week the battle ended in; returns the new totals. */
  private async addWeeklyXp(m: EntityManager, record: BattleRecord, settled: BattleSettlement): Promise<{ week: string; totals: Map<string, number> }> {
    const week = weekStartDate(record.endedAt);
    const earners = settled.players.filter((p) => p.rewards.xp > 0);
    if (earners.length === 0) return { week, totals: new Map() };
    const rows: Array<{ user_id: string; xp: number }> = await m.query(
      `INSERT INTO "weekly_xp" ("week_start", "user_id", "xp") VALUES ${valuesList(earners.length, ['date', undefined, undefined])}
       ON CONFLICT ("week_start", "user_id") DO UPDATE SET "xp" = "weekly_xp"."xp" + EXCLUDED."xp"
       RETURNING "user_id", "xp"`,
      earners.flatMap((p) => [week, p.participant.userId, p.rewards.xp]));
    return { week, totals: new Map(rows.map((r) => [r.user_id, r.xp])) };
  }

  /** The board values this battle sets for its students (ratings as shown, XP totals). */
  private boardChanges(settled: BattleSettlement, weekly: { week: string; totals: Map<string, number> }, students: Map<string, string>): EntryChange[] {
    const changes: EntryChange[] = [];
    for (const p of settled.players) {
      const userId = p.participant.userId;
      const username = students.get(userId);
      if (username === undefined) continue;
      if (p.xpAfter > 0) changes.push({ board: 'xp', userId, username, value: p.xpAfter });
      const weekXp = weekly.totals.get(userId);
      if (weekXp !== undefined && weekXp > 0) changes.push({ board: weeklyBoardKey(weekly.week), userId, username, value: weekXp });
      if (settled.ratingsApplied) changes.push({ board: 'rating', userId, username, value: shownRating(p.ratingAfter.rating) });
      if (settled.ratedSubject) changes.push({ board: subjectBoardKey(settled.ratedSubject), userId, username, value: shownRating(p.subjectAfter!.rating) });
    }
    return changes;
  }

  private async insertParticipants(m: EntityManager, record: BattleRecord, settled: BattleSettlement): Promise<void> {
    if (settled.players.length === 0) return;
    const params = settled.players.flatMap((p) => [
      record.battleId, p.participant.userId, p.participant.username, p.participant.score, p.participant.placement,
      p.participant.correctAnswers, p.participant.forfeited, p.ratingBefore.rating, p.ratingAfter.rating,
      p.ratingBefore.deviation, p.ratingAfter.deviation, p.rewards.xp, p.rewards.coins, record.endedAt,
    ]);
    await m.query(
      `INSERT INTO "battle_participants" ("battle_id", "user_id", "username", "score", "placement", "correct_answers", "forfeited",
         "rating_before", "rating_after", "deviation_before", "deviation_after", "xp", "coins", "ended_at")
       VALUES ${valuesList(settled.players.length, new Array(14).fill(undefined))}`, params);
  }

  private async insertAnswers(m: EntityManager, battleId: string, answers: AnswerLogEntry[]): Promise<void> {
    for (const batch of chunks(answers, 1000)) {
      const params = batch.flatMap((a) => [battleId, a.round, a.userId, a.choice, a.correct, a.elapsedMs, a.points]);
      await m.query(
        `INSERT INTO "battle_answers" ("battle_id", "round", "user_id", "choice", "correct", "elapsed_ms", "points")
         VALUES ${valuesList(batch.length, new Array(7).fill(undefined))}`, params);
    }
  }

  /** One ledger line per reward item; the unique (battle, user, kind) key refuses a second payment. */
  private async insertLedger(m: EntityManager, battleId: string, settled: BattleSettlement): Promise<void> {
    const lines = settled.players.flatMap((p) => p.rewards.items.map((item) => ({ userId: p.participant.userId, ...item })));
    if (lines.length === 0) return;
    const params = lines.flatMap((l) => [randomUUID(), l.userId, battleId, l.kind, l.xp, l.coins]);
    await m.query(
      `INSERT INTO "reward_ledger" ("id", "user_id", "battle_id", "kind", "xp", "coins") VALUES ${valuesList(lines.length, new Array(6).fill(undefined))}`,
      params);
  }

  private notificationsFor(battleId: string, settled: BattleSettlement): Array<NewNotification & { userId: string }> {
    const out: Array<NewNotification & { userId: string }> = [];
    for (const p of settled.players) {
      const userId = p.participant.userId;
      out.push({
        userId, kind: 'reward', title: `You earned ${p.rewards.xp} XP and ${p.rewards.coins} coins`,
        data: { battleId, xp: p.rewards.xp, coins: p.rewards.coins, placement: p.participant.placement },
      });
      for (const level of p.levelsGained) out.push({ userId, kind: 'level_up', title: `You reached level ${level}!`, data: { level } });
      if (settled.ratingsApplied) {
        const before = shownRating(p.ratingBefore.rating);
        const after = shownRating(p.ratingAfter.rating);
        const delta = after - before;
        const title = delta === 0 ? `Your rating stays at ${after}` : `Your rating went ${delta > 0 ? 'up' : 'down'} by ${Math.abs(delta)} to ${after}`;
        out.push({ userId, kind: 'rating_change', title, data: { battleId, before, after, delta } });
      }
    }
    return out;
  }

  /** The contract's battle_result of a stored battle, read back so that every call answers the same. */
  private async readResult(m: EntityManager, battleId: string): Promise<BattleResult> {
    const [battle]: Array<Pick<BattleRow, 'bots'>> = await m.query(`SELECT "bots" FROM "battles" WHERE "id" = $1`, [battleId]);
    if (!battle) throw new DomainError('BATTLE_NOT_FOUND');
    const participants = await this.participantRows(m, battleId);
    const standings = sortStandings([...participants.map(standingOf), ...battle.bots.map(botStanding)]);
    const first = standings.filter((s) => s.placement === 1);
    return { battleId, winnerUserId: first.length === 1 ? first[0].userId : '', standings };
  }

  private participantRows(m: EntityManager | DataSource, battleId: string): Promise<ParticipantRow[]> {
    return m.query(`SELECT * FROM "battle_participants" WHERE "battle_id" = $1`, [battleId]);
  }

  /** A user's battles, newest first; `before` pages by end time, strictly earlier. */
  async history(userId: string, options: HistoryOptions = {}): Promise<{ items: BattleHistoryItem[] }> {
    const limit = options.limit ?? 20;
    if (!Number.isInteger(limit) || limit < 1 || limit > 50) throw new DomainError('VALIDATION_FAILED', `limit must be an integer from 1 to 50, got ${limit}`);
    const before = options.before === undefined ? null : new Date(options.before);
    if (before && Number.isNaN(before.getTime())) throw new DomainError('VALIDATION_FAILED', `before must be an ISO 8601 date, got ${String(options.before)}`);
    const rows: ParticipantRow[] = await this.db.query(
      `SELECT * FROM "battle_participants" WHERE "user_id" = $1 AND ($2::timestamptz IS NULL OR "ended_at" < $2::timestamptz)
        ORDER BY "ended_at" DESC, "battle_id" DESC LIMIT $3`, [userId, before, limit]);
    return {
      items: rows.map((r) => ({
        battleId: r.battle_id, endedAt: iso(r.ended_at), placement: r.placement, score: r.score,
        ratingDelta: shownRating(r.rating_after) - shownRating(r.rating_before), xp: r.xp, coins: r.coins,
      })),
    };
  }

  /**
   * One stored battle, for its participants and for parents linked to one of them; FORBIDDEN for anyone
   * else, BATTLE_NOT_FOUND for an unknown id.
   */
  async get(battleId: string, viewer: Principal): Promise<BattleView> {
    const battle = await this.battleRow(battleId);
    const participants = await this.participantRows(this.db, battleId);
    const ids = participants.map((p) => p.user_id);
    if (!ids.includes(viewer.userId)) {
      const linked: unknown[] = await this.db.query(
        `SELECT 1 FROM "parent_children" WHERE "parent_id" = $1 AND "child_id" = ANY($2::uuid[]) LIMIT 1`, [viewer.userId, ids]);
      if (linked.length === 0) throw new DomainError('FORBIDDEN', 'Only the players of a battle and their parents can see it.');
    }
    return {
      id: battle.id,
      mode: battle.mode,
      subject: battle.subject,
      startedAt: iso(battle.started_at),
      endedAt: iso(battle.ended_at),
      rounds: battle.rounds,
      participants: sortStandings([...participants.map(standingOf), ...battle.bots.map(botStanding)]),
    };
  }

  /**
   * Everything a replay needs, as a BattleRecord rebuilt from storage: seed, question timing, the questions
   * as played, every answer (ordered by round, then time, then user) and every participant, bots included
   * (in standings order). Replaying it must reproduce the stored scores.
   */
  async replayInput(battleId: string): Promise<BattleRecord> {
    const battle = await this.battleRow(battleId);
    const participants = await this.participantRows(this.db, battleId);
    const answers: Array<{ round: number; user_id: string; choice: number; correct: boolean; elapsed_ms: number; points: number }> = await this.db.query(
      `SELECT "round", "user_id", "choice", "correct", "elapsed_ms", "points" FROM "battle_answers" WHERE "battle_id" = $1
        ORDER BY "round", "elapsed_ms", "user_id" COLLATE "C"`, [battleId]);
    const people: ParticipantResult[] = [
      ...participants.map((p) => ({
        userId: p.user_id, username: p.username, score: p.score, placement: p.placement, correctAnswers: p.correct_answers, forfeited: p.forfeited, isBot: false,
      })),
      ...battle.bots.map((b) => ({ ...b, isBot: true })),
    ].sort((a, b) => a.placement - b.placement || (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
    return {
      battleId: battle.id,
      mode: battle.mode,
      subject: battle.subject,
      rated: battle.rated,
      seed: battle.seed,
      rounds: battle.rounds,
      questionMs: battle.question_ms,
      startedAt: new Date(battle.started_at),
      endedAt: new Date(battle.ended_at),
      questions: battle.questions,
      answers: answers.map((a) => ({ round: a.round, userId: a.user_id, choice: a.choice, elapsedMs: a.elapsed_ms, correct: a.correct, points: a.points })),
      participants: people,
    };
  }

  private async battleRow(battleId: string): Promise<BattleRow> {
    // A malformed id cannot name a battle; checking here keeps it from reaching SQL as a uuid cast error.
    if (!isUuid(battleId)) throw new DomainError('BATTLE_NOT_FOUND');
    const [row]: BattleRow[] = await this.db.query(`SELECT * FROM "battles" WHERE "id" = $1`, [battleId]);
    if (!row) throw new DomainError('BATTLE_NOT_FOUND');
    return row;
  }
}
