import { Client } from 'pg';
import { replayScores } from '../../src/domain/battleEngine';
import type { AnswerLogEntry, PlayedQuestion } from '../../src/domain/battleRecord';
import type { StoredLedger, StoredReplay } from './types';

/**
 * Direct reads of the server's PostgreSQL (only with --database-url): the stored answer log replayed
 * through the scoring rules, and each bot's reward ledger against its account. Read-only.
 */
export async function readStored(databaseUrl: string, battleIds: string[], userIds: string[]): Promise<{ replays: StoredReplay[]; ledgers: StoredLedger[] }> {
  const db = new Client({ connectionString: databaseUrl, statement_timeout: 30_000 });
  await db.connect();
  try {
    const battles = (await db.query<{ id: string; questions: PlayedQuestion[]; question_ms: number; bots: Array<{ userId: string; score: number }> }>(
      `SELECT "id", "questions", "question_ms", "bots" FROM "battles" WHERE "id" = ANY($1::uuid[])`, [battleIds])).rows;
    const participants = (await db.query<{ battle_id: string; user_id: string; score: number }>(
      `SELECT "battle_id", "user_id", "score" FROM "battle_participants" WHERE "battle_id" = ANY($1::uuid[])`, [battleIds])).rows;
    const answers = (await db.query<{ battle_id: string; round: number; user_id: string; choice: number; correct: boolean; elapsed_ms: number; points: number }>(
      `SELECT "battle_id", "round", "user_id", "choice", "correct", "elapsed_ms", "points" FROM "battle_answers"
        WHERE "battle_id" = ANY($1::uuid[]) ORDER BY "battle_id", "round", "elapsed_ms"`, [battleIds])).rows;
    const replays: StoredReplay[] = battles.map((b) => {
      const stored: Record<string, number> = {};
      for (const p of participants) if (p.battle_id === b.id) stored[p.user_id] = p.score;
      for (const bot of b.bots) stored[bot.userId] = bot.score;
      const log: AnswerLogEntry[] = answers.filter((a) => a.battle_id === b.id).map((a) => ({
        round: a.round, userId: a.user_id, choice: a.choice, correct: a.correct, elapsedMs: a.elapsed_ms, points: a.points,
      }));
      const replayed = replayScores({ questions: b.questions, answers: log, questionMs: b.question_ms, userIds: Object.keys(stored) });
      return { battleId: b.id, stored, replayed: Object.fromEntries(replayed) };
    });
    const ledgers = (await db.query<{
      id: string; username: string; xp: number; coins: number; battles: number; ledger_xp: string; ledger_coins: string; participations: string; duplicates: string;
    }>(
      `SELECT u."id", u."username", u."xp", u."coins", u."battles",
              COALESCE((SELECT SUM(l."xp") FROM "reward_ledger" l WHERE l."user_id" = u."id"), 0) AS "ledger_xp",
              COALESCE((SELECT SUM(l."coins") FROM "reward_ledger" l WHERE l."user_id" = u."id"), 0) AS "ledger_coins",
              (SELECT COUNT(*) FROM "battle_participants" p WHERE p."user_id" = u."id") AS "participations",
              (SELECT COUNT(*) - COUNT(DISTINCT (l."battle_id", l."kind")) FROM "reward_ledger" l WHERE l."user_id" = u."id") AS "duplicates"
         FROM "users" u WHERE u."id" = ANY($1::uuid[])`, [userIds])).rows;
    return {
      replays,
      ledgers: ledgers.map((l) => ({
        userId: l.id, username: l.username, userXp: Number(l.xp), userCoins: Number(l.coins), userBattles: Number(l.battles),
        ledgerXp: Number(l.ledger_xp), ledgerCoins: Number(l.ledger_coins), participations: Number(l.participations), duplicateLedgerLines: Number(l.duplicates),
      })),
    };
  } finally {
    await db.end();
  }
}
