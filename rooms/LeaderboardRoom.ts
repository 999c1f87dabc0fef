import type { Client, Delayed } from '@colyseus/core';
import { z } from 'zod';
import type { Principal } from '../src/auth/tokens';
import { BOARDS, boardSpec, type BoardName } from '../src/domain/leaderboards';
import { DomainError } from '../src/errors';
import { ArenaRoom } from '../src/realtime/roomKit';
import { LEADERBOARD_CHANGED_CHANNEL, MAX_BOARD_LIMIT, type BoardView, type LeaderboardChanged, type RankView } from '../src/services/LeaderboardService';
import { LeaderboardState } from '../schema/LeaderboardState';

/** Options of `joinOrCreate("leaderboard", {board, limit?})`; anything else is ignored, a bad value refused with 422. */
export const LeaderboardOptions = z.object({
  board: z.string().refine((b) => boardSpec(b) !== undefined, { message: `board must be one of ${BOARDS.map((b) => b.name).join(', ')}` })
    .transform((b) => b as BoardName),
  limit: z.number().int().min(1).max(MAX_BOARD_LIMIT).default(10),
}).strip();

/**
 * At most one refresh per this many ms per room: a burst of finished battles costs one recomputation, and
 * an update still reaches viewers well within a second.
 */
export const REFRESH_INTERVAL_MS = 300;

/** Viewers per room; joinOrCreate opens another room for the same board beyond it, so one refresh stays cheap. */
const MAX_VIEWERS = 200;

interface Viewer {
  userId: string;
  student: boolean;
  limit: number;
  /** What was last sent, to send only what changed for this viewer. */
  sentPage?: string;
  sentRank?: string;
}

/**
 * `leaderboard`: live view of one board (the wiring filters rooms by board). On join a viewer gets the top
 * `limit` entries and, for a student, their own rank; afterwards, whenever BattleService announces that
 * the board changed, the room recomputes the page and every viewer's rank once (through
 * LeaderboardService, never per message) and sends each viewer only what changed for them.
 */
export class LeaderboardRoom extends ArenaRoom<LeaderboardState> {
  /** Validates options before matchmaking and normalises them, so rooms are matched by the board's canonical name. */
  static onAuthorized(_principal: Principal, options: Record<string, unknown>): void {
    const parsed = LeaderboardOptions.safeParse(options);
    if (!parsed.success) throw new DomainError('VALIDATION_FAILED', `invalid leaderboard options: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ')}`);
    options.board = parsed.data.board;
    options.limit = parsed.data.limit;
  }

  private board!: BoardName;
  private readonly viewers = new Map<string, Viewer>();
  private top: BoardView | undefined;
  private topLimit = 0;
  private refreshTimer: Delayed | undefined;
  private resetTimer: Delayed | undefined;
  private refreshing = false;
  private dirty = false;
  private lastRefreshAt = 0;
  private readonly listener = (event: LeaderboardChanged) => {
    if (event.boards.includes(this.board)) this.requestRefresh();
  };

  async onCreate(options: unknown) {
    this.board = LeaderboardOptions.parse(options).board;
    this.maxClients = MAX_VIEWERS;
    this.setState(Object.assign(new LeaderboardState(), { board: this.board }));
    await this.presence.subscribe(LEADERBOARD_CHANGED_CHANNEL, this.listener);
    this.handleMessages({}); // nothing to send: every message is UNKNOWN_MESSAGE
    this.scheduleWeeklyReset();
  }

  async onJoin(client: Client, options: unknown, auth: Principal) {
    const viewer: Viewer = { userId: auth.userId, student: auth.role === 'student', limit: LeaderboardOptions.parse(options).limit };
    this.viewers.set(client.sessionId, viewer);
    this.state.viewers = this.viewers.size;
    // Loaded on join: the page (when this viewer wants more than the room holds) and the viewer's rank.
    if (!this.top || viewer.limit > this.topLimit) await this.loadTop(Math.max(viewer.limit, this.topLimit));
    const rank = viewer.student ? (await this.services.leaderboards.ranksOf(this.board, [viewer.userId])).get(viewer.userId) : undefined;
    this.sendChanges(client, viewer, rank);
  }

  onLeave(client: Client) {
    this.viewers.delete(client.sessionId);
    this.state.viewers = this.viewers.size;
  }

  async onDispose() {
    await this.presence.unsubscribe(LEADERBOARD_CHANGED_CHANNEL, this.listener);
  }

  /** Coalesces announcements: one refresh now, or one at the end of the current interval, never more. */
  private requestRefresh(): void {
    if (this.refreshTimer) return; // the scheduled refresh will read this change too
    if (this.refreshing) {
      this.dirty = true; // it may have read the board before this change: go again when it is done
      return;
    }
    const wait = Math.max(0, this.lastRefreshAt + REFRESH_INTERVAL_MS - Date.now());
    this.refreshTimer = this.clock.setTimeout(() => void this.refresh(), wait);
  }

  private async refresh(): Promise<void> {
    this.refreshTimer = undefined;
    this.refreshing = true;
    this.dirty = false;
    this.lastRefreshAt = Date.now();
    try {
      if (this.viewers.size === 0) return;
      await this.loadTop(Math.max(...[...this.viewers.values()].map((v) => v.limit)));
      const students = [...this.viewers.values()].filter((v) => v.student).map((v) => v.userId);
      const ranks = await this.services.leaderboards.ranksOf(this.board, students);
      for (const client of this.clients) {
        const viewer = this.viewers.get(client.sessionId);
        if (viewer) this.sendChanges(client, viewer, ranks.get(viewer.userId));
      }
    } catch (err) {
      this.services.logger.error({ err, roomId: this.roomId, board: this.board }, 'leaderboard refresh failed');
    } finally {
      this.refreshing = false;
      if (this.dirty) this.requestRefresh();
    }
  }

  private async loadTop(limit: number): Promise<void> {
    this.top = await this.services.leaderboards.top(this.board, limit);
    this.topLimit = limit;
    this.state.resetsAt = this.top.resetsAt ? Date.parse(this.top.resetsAt) : 0;
  }

  /** Sends a viewer their page and rank, each only when it differs from what they last got. */
  private sendChanges(client: Client, viewer: Viewer, rank: RankView | undefined): void {
    if (this.top) {
      const page: BoardView = { ...this.top, entries: this.top.entries.slice(0, viewer.limit) };
      const key = JSON.stringify(page);
      if (key !== viewer.sentPage) {
        viewer.sentPage = key;
        this.sendTo(client, 'leaderboard', page);
      }
    }
    if (rank) {
      const message = { board: this.board, rank: rank.rank, value: rank.value };
      const key = JSON.stringify(message);
      if (key !== viewer.sentRank) {
        viewer.sentRank = key;
        this.sendTo(client, 'my_rank', message);
      }
    }
  }

  /** The weekly board empties at its reset with no battle to announce it: refresh then, and plan the next. */
  private scheduleWeeklyReset(): void {
    const resetsAt = this.services.leaderboards.resetsAt(this.board);
    if (!resetsAt) return;
    this.resetTimer?.clear();
    this.resetTimer = this.clock.setTimeout(() => {
      this.requestRefresh();
      this.scheduleWeeklyReset();
    }, Math.max(0, resetsAt.getTime() - this.services.now().getTime()) + 10);
  }
}
