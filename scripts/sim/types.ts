/**
 * What the simulator records while bots play, in plain data: the bots write it, the invariant checks
 * (invariants.ts, pure) read it, the report prints it. Message shapes follow docs/protocol.md.
 */

/** A standing of `battle_result` (and a participant of GET /battles/:id): the server's own type. */
import type { Standing } from '../../src/domain/battleRecord';
export type { Standing };

/** The `battle_result` message. */
export interface BattleResultMsg {
  battleId: string;
  winnerUserId: string;
  standings: Standing[];
}

/** The `round_result` message. */
export interface RoundResultMsg {
  round: number;
  correctChoice: number;
  results: Array<{ userId: string; correct: boolean; points: number; score: number }>;
}

/** One message as a bot received it; `@`-types are the bot's own notes (state snapshot, connection closed). */
export interface LoggedMessage {
  /** ms since the simulation started (one clock for every bot: they share the process). */
  t: number;
  type: string;
  payload: unknown;
}

/** Everything one bot received on one room (a battle keeps one log across a drop and reconnect). */
export interface ConnectionLog {
  bot: string;
  userId: string;
  roomName: string;
  roomId: string;
  messages: LoggedMessage[];
}

/** A battle result one bot saw, with what it saw on the way. */
export interface SeenBattle {
  bot: string;
  userId: string;
  roomId: string;
  practice: boolean;
  result: BattleResultMsg;
  roundResults: RoundResultMsg[];
  /** ms since start when battle_result arrived. */
  t: number;
}

/** An HTTP answer as the checks fetched it. */
export interface HttpAnswer<T = unknown> {
  status: number;
  body: T | undefined;
  error?: string;
}

/** One line of GET /me/battles: the server's own type. */
import type { BattleHistoryItem } from '../../src/services/BattleService';
export type HistoryItem = BattleHistoryItem;


/** The parts of GET /me the checks use. */
export interface MeBody {
  id: string;
  username: string;
  xp: number;
  coins: number;
  stats: { battles: number; wins: number };
}

/** A bot's account as read back at the end. */
export interface AccountReadback {
  bot: string;
  userId: string;
  me: HttpAnswer<MeBody>;
  /** Every history item over all pages; undefined when a page failed. */
  history: HistoryItem[] | undefined;
  historyError?: string;
  /** Battle ids this bot saw finish (battle_result). */
  seenBattleIds: string[];
}

/** A malformed message a bot sent on purpose, and what came back. */
export interface MalformedRecord {
  bot: string;
  roomName: string;
  roomId: string;
  kind: string;
  type: string;
  expectedCode: string;
  sentAt: number;
  answer?: { code: string; type: string; t: number };
}

/** An `"error"` message that did not answer one of the bot's malformed messages. */
export interface UnexplainedError {
  bot: string;
  roomName: string;
  roomId: string;
  code: string;
  type: string;
  message: string;
  t: number;
  /** True when it answers an answer the bot sent so close to the deadline that LATE_ANSWER is fair. */
  excused: boolean;
}

/** One deliberate drop and the reconnection that followed. */
export interface ReconnectRecord {
  bot: string;
  roomId: string;
  droppedAt: number;
  attemptedAt: number;
  ok: boolean;
  error?: string;
}

/** An HTTP request a bot or a check made, for latency and for the 5xx check. */
export interface HttpRecord {
  method: string;
  route: string;
  status: number;
  ms: number;
  t: number;
  error?: string;
}

/** A join (or reconnect) the server refused. */
export interface JoinFailure {
  bot: string;
  what: string;
  code: number | undefined;
  message: string;
  t: number;
}

/** A battle a bot was in that did not finish while the bot was connected and waiting. */
export interface StalledBattle {
  bot: string;
  roomId: string;
  lastMessageAt: number;
  waitedMs: number;
  phase: string;
}

/** Stored answer log and scores of a battle, read from PostgreSQL (only with --database-url). */
export interface StoredReplay {
  battleId: string;
  /** userId → score recomputed with replayScores from battle_answers + battles.questions. */
  replayed: Record<string, number>;
  /** userId → score stored in battle_participants (and the battle's bots). */
  stored: Record<string, number>;
}

/** A user's ledger as stored (only with --database-url). */
export interface StoredLedger {
  userId: string;
  username: string;
  userXp: number;
  userCoins: number;
  userBattles: number;
  ledgerXp: number;
  ledgerCoins: number;
  participations: number;
  duplicateLedgerLines: number;
}
