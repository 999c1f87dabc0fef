/**
 * The simulation's invariants as pure functions over what was recorded and read back: no I/O, no clock,
 * so test/unit/simInvariants.test.ts can feed each one hand-made data that breaks it.
 */
import type {
  AccountReadback, ConnectionLog, HttpAnswer, HttpRecord, JoinFailure, MalformedRecord, ReconnectRecord,
  RoundResultMsg, SeenBattle, StalledBattle, Standing, StoredLedger, StoredReplay, UnexplainedError,
} from './types';

/** One invariant's verdict: what it covers, how much it looked at, and each break with its details. */
export interface InvariantResult {
  id: number;
  key: string;
  title: string;
  ok: boolean;
  /** How many items (battles, accounts, messages, …) were checked. */
  checked: number;
  breaks: string[];
  notes: string[];
}

/** GET /battles/:id as the checks use it. */
export interface BattleView {
  id: string;
  mode: string;
  rounds: number;
  participants: Standing[];
}

function result(id: number, key: string, title: string, checked: number, breaks: string[], notes: string[] = []): InvariantResult {
  return { id, key, title, ok: breaks.length === 0, checked, breaks, notes };
}

/** The fields of a standing the server promises to answer identically everywhere. */
const STANDING_FIELDS = ['userId', 'username', 'score', 'placement', 'ratingBefore', 'ratingAfter', 'xp', 'coins'] as const;

function diffStandings(a: Standing[], b: Standing[]): string | undefined {
  if (a.length !== b.length) return `${a.length} vs ${b.length} entries`;
  for (let i = 0; i < a.length; i++) {
    for (const f of STANDING_FIELDS) {
      if (a[i][f] !== b[i][f]) return `entry ${i} (${a[i].userId}): ${f} ${JSON.stringify(a[i][f])} vs ${JSON.stringify(b[i][f])}`;
    }
  }
  return undefined;
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/**
 * 1. Every battle a bot saw finish is stored: GET /battles/:id answers 200 to a participant, and its
 * participants equal the battle_result standings (same order, same scores, placements, rewards, ratings).
 * Every bot that saw the same battle must also have seen the same standings.
 */
export function checkStoredResults(seen: readonly SeenBattle[], stored: ReadonlyMap<string, HttpAnswer<BattleView>>): InvariantResult {
  const breaks: string[] = [];
  const byBattle = groupBy(seen, (s) => s.result.battleId);
  for (const [battleId, copies] of byBattle) {
    const first = copies[0].result;
    for (const other of copies.slice(1)) {
      const d = diffStandings(first.standings, other.result.standings);
      if (d) breaks.push(`battle ${battleId}: ${copies[0].bot} and ${other.bot} were sent different battle_result standings (${d})`);
    }
    const answer = stored.get(battleId);
    if (!answer) {
      breaks.push(`battle ${battleId}: not read back`);
      continue;
    }
    if (answer.status !== 200 || !answer.body) {
      breaks.push(`battle ${battleId}: GET /battles/${battleId} as ${copies[0].bot} answered ${answer.status}${answer.error ? ` (${answer.error})` : ''}`);
      continue;
    }
    const d = diffStandings(first.standings, answer.body.participants);
    if (d) breaks.push(`battle ${battleId}: stored participants differ from battle_result standings (${d})`);
    if (answer.body.id !== battleId) breaks.push(`battle ${battleId}: GET answered battle ${answer.body.id}`);
  }
  return result(1, 'results-stored', 'every finished battle has a stored result equal to its battle_result', byBattle.size, breaks);
}

/**
 * 2. No reward applied twice: for each bot, GET /me xp and coins equal the sums over its GET /me/battles
 * items, stats.battles equals their number, no battle is listed twice, every battle it saw finish is
 * listed, and it has no more wins than first places. With the database, the reward ledger agrees too.
 */
export function checkRewardsOnce(accounts: readonly AccountReadback[], ledgers?: readonly StoredLedger[]): InvariantResult {
  const breaks: string[] = [];
  const notes: string[] = [];
  for (const a of accounts) {
    const me = a.me.body;
    if (a.me.status !== 200 || !me) {
      breaks.push(`${a.bot}: GET /me answered ${a.me.status}${a.me.error ? ` (${a.me.error})` : ''}`);
      continue;
    }
    if (!a.history) {
      breaks.push(`${a.bot}: GET /me/battles failed: ${a.historyError ?? 'unknown error'}`);
      continue;
    }
    const xp = a.history.reduce((s, h) => s + h.xp, 0);
    const coins = a.history.reduce((s, h) => s + h.coins, 0);
    if (me.xp !== xp) breaks.push(`${a.bot}: /me xp ${me.xp} but its ${a.history.length} battles add up to ${xp} XP`);
    if (me.coins !== coins) breaks.push(`${a.bot}: /me coins ${me.coins} but its ${a.history.length} battles add up to ${coins} coins`);
    if (me.stats.battles !== a.history.length) breaks.push(`${a.bot}: /me stats.battles ${me.stats.battles} but /me/battles lists ${a.history.length}`);
    const firsts = a.history.filter((h) => h.placement === 1).length;
    if (me.stats.wins > firsts) breaks.push(`${a.bot}: /me stats.wins ${me.stats.wins} but only ${firsts} first places`);
    const counts = new Map<string, number>();
    for (const h of a.history) counts.set(h.battleId, (counts.get(h.battleId) ?? 0) + 1);
    for (const [id, n] of counts) if (n > 1) breaks.push(`${a.bot}: battle ${id} listed ${n} times in /me/battles`);
    for (const id of new Set(a.seenBattleIds)) if (!counts.has(id)) breaks.push(`${a.bot}: saw battle ${id} finish but it is not in /me/battles`);
  }
  for (const l of ledgers ?? []) {
    if (l.userXp !== l.ledgerXp) breaks.push(`${l.username}: users.xp ${l.userXp} but reward_ledger XP sums to ${l.ledgerXp}`);
    if (l.userCoins !== l.ledgerCoins) breaks.push(`${l.username}: users.coins ${l.userCoins} but reward_ledger coins sum to ${l.ledgerCoins}`);
    if (l.userBattles !== l.participations) breaks.push(`${l.username}: users.battles ${l.userBattles} but ${l.participations} battle_participants rows`);
    if (l.duplicateLedgerLines > 0) breaks.push(`${l.username}: ${l.duplicateLedgerLines} duplicate (battle, kind) reward_ledger lines`);
  }
  if (ledgers === undefined) notes.push('reward_ledger not read (no --database-url)');
  return result(2, 'rewards-once', 'no reward applied twice (/me equals the sum of /me/battles)', accounts.length + (ledgers?.length ?? 0), breaks, notes);
}

function sameRoundResult(a: RoundResultMsg, b: RoundResultMsg): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * 3. Scores replay. From what clients legitimately saw: the round_result messages of a battle (every bot's
 * copy of a round must be identical; together they must cover every round) summed per user equal the
 * battle_result scores, and each result's running `score` equals the sum so far. With the database:
 * replayScores over the stored answer log equals the stored and the announced scores.
 */
export function checkScoreReplay(
  seen: readonly SeenBattle[],
  stored: ReadonlyMap<string, HttpAnswer<BattleView>>,
  replays?: readonly StoredReplay[],
): InvariantResult {
  const breaks: string[] = [];
  const notes: string[] = [];
  let unverifiable = 0;
  const byBattle = groupBy(seen, (s) => s.result.battleId);
  for (const [battleId, copies] of byBattle) {
    const union = new Map<number, RoundResultMsg>();
    for (const copy of copies) {
      for (const rr of copy.roundResults) {
        const prev = union.get(rr.round);
        if (!prev) union.set(rr.round, rr);
        else if (!sameRoundResult(prev, rr)) breaks.push(`battle ${battleId}: bots were sent different round_result for round ${rr.round}`);
      }
    }
    const storedRounds = stored.get(battleId)?.body?.rounds;
    const rounds = storedRounds ?? Math.max(0, ...union.keys());
    const missing: number[] = [];
    for (let r = 1; r <= rounds; r++) if (!union.has(r)) missing.push(r);
    const extra = [...union.keys()].filter((r) => r < 1 || r > rounds);
    if (extra.length > 0) breaks.push(`battle ${battleId}: round_result for round(s) ${extra.join(', ')} but the battle has ${rounds} rounds`);
    if (missing.length > 0) {
      // A round every participant missed (all were reconnecting) cannot be re-scored from the client side.
      unverifiable += 1;
      notes.push(`battle ${battleId}: no bot saw round_result for round(s) ${missing.join(', ')}; client-side replay skipped`);
      continue;
    }
    const sums = new Map<string, number>();
    for (let r = 1; r <= rounds; r++) {
      for (const res of union.get(r)!.results) {
        const sum = (sums.get(res.userId) ?? 0) + res.points;
        sums.set(res.userId, sum);
        if (res.score !== sum) breaks.push(`battle ${battleId}: round ${r} says ${res.userId} has ${res.score} but the points so far add up to ${sum}`);
      }
    }
    const standings = copies[0].result.standings;
    for (const s of standings) {
      const sum = sums.get(s.userId) ?? 0;
      if (sum !== s.score) breaks.push(`battle ${battleId}: ${s.username} scored ${s.score} in battle_result but round results add up to ${sum}`);
    }
    for (const userId of sums.keys()) {
      if (!standings.some((s) => s.userId === userId)) breaks.push(`battle ${battleId}: ${userId} scored in round results but is not in the standings`);
    }
  }
  if (replays) {
    for (const rp of replays) {
      const announced = byBattle.get(rp.battleId)?.[0].result.standings;
      for (const [userId, score] of Object.entries(rp.stored)) {
        const again = rp.replayed[userId];
        if (again !== score) breaks.push(`battle ${rp.battleId}: stored score of ${userId} is ${score} but replayScores over the answer log gives ${again}`);
        const shown = announced?.find((s) => s.userId === userId)?.score;
        if (announced && shown !== score) breaks.push(`battle ${rp.battleId}: stored score of ${userId} is ${score} but battle_result said ${shown}`);
      }
    }
  } else {
    notes.push('stored answer log not replayed (no --database-url)');
  }
  if (unverifiable > 0) notes.unshift(`${unverifiable} battle(s) not verifiable from round results`);
  return result(3, 'scores-replay', 'every battle re-scores to its standings (round results; answer log with the database)',
    byBattle.size + (replays?.length ?? 0), breaks, notes);
}

/** Field names that would carry an answer key. */
export const ANSWER_KEY_FIELDS = ['correctchoice', 'correct', 'answer', 'answerkey', 'correctanswer', 'iscorrect', 'solution'];

/** Paths of every field in `value` whose name is an answer-key name (case-insensitive). */
export function answerKeyPaths(value: unknown, path = '', depth = 0): string[] {
  if (depth > 12 || value === null || typeof value !== 'object') return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const p = path ? `${path}.${k}` : k;
    if (ANSWER_KEY_FIELDS.includes(k.toLowerCase())) out.push(p);
    out.push(...answerKeyPaths(v, p, depth + 1));
  }
  return out;
}

/** The fields docs/protocol.md gives a `question`. */
const QUESTION_FIELDS = new Set(['round', 'questionId', 'prompt', 'choices', 'deadline', 'durationMs']);

/**
 * 4. No client received an answer key early. In each bot's battle log, in order: only a round_result may
 * carry answer-key fields (and only for its own round), nothing else may carry one at all (questions,
 * acks, errors, state snapshots); a round_result never precedes its round's question, and rounds are
 * revealed in order.
 */
export function checkNoEarlyAnswerKey(logs: readonly ConnectionLog[]): InvariantResult {
  const breaks: string[] = [];
  const notes: string[] = [];
  let checked = 0;
  const oddFields = new Set<string>();
  for (const log of logs) {
    if (log.roomName !== 'battle') continue;
    let lastRevealed = 0;
    log.messages.forEach((m, index) => {
      if (m.type.startsWith('@') && m.type !== '@state') return;
      checked += 1;
      const where = `${log.bot} in ${log.roomId}, message #${index} "${m.type}" at ${m.t.toFixed(0)} ms`;
      const p = m.payload as Record<string, unknown> | undefined;
      if (m.type === 'round_result') {
        const round = Number(p?.round);
        // A round_result whose question this bot never got (it was reconnecting) is fine; a question that
        // comes after its round_result is caught in the question branch below.
        if (round <= lastRevealed) breaks.push(`${where}: round_result for round ${round} after round ${lastRevealed} was revealed`);
        lastRevealed = Math.max(lastRevealed, round);
        return;
      }
      if (m.type === 'question') {
        const round = Number(p?.round);
        if (round <= lastRevealed) breaks.push(`${where}: question for round ${round} arrived after its round_result`);
        for (const k of Object.keys(p ?? {})) if (!QUESTION_FIELDS.has(k)) oddFields.add(k);
      }
      const keys = answerKeyPaths(p);
      if (keys.length > 0) breaks.push(`${where}: carries answer-key field(s) ${keys.join(', ')} before round ${lastRevealed + 1}'s round_result`);
    });
  }
  if (oddFields.size > 0) notes.push(`question messages carry fields the protocol does not list: ${[...oddFields].join(', ')}`);
  return result(4, 'no-early-answer-key', 'no client received an answer key before its round_result', checked, breaks, notes);
}

/** Codes of in-room errors that mean the server itself failed. */
export const SERVER_FAULT_CODES = ['INTERNAL', 'RESULT_NOT_SAVED'];

/** Reads pino JSON lines (and anything else) from server output: errors (level >= 50) and warnings. */
export function scanServerOutput(output: string): { errors: string[]; warnings: string[]; other: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  const other: string[] = [];
  for (const line of output.split('\n')) {
    const text = line.trim();
    if (!text) continue;
    let parsed: { level?: unknown; msg?: unknown } | undefined;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (parsed && typeof parsed === 'object' && typeof parsed.level === 'number') {
      if (parsed.level >= 50) errors.push(text);
      else if (parsed.level >= 40) warnings.push(text);
      continue;
    }
    // Not pino: a crash, an uncaught error or a runtime warning printed by Node itself.
    if (/error|exception|unhandled|fatal|panic/i.test(text)) errors.push(text);
    else other.push(text);
  }
  return { errors, warnings, other };
}

/** A pino line made readable: level, message and error first, the rest after, long stacks cut. */
export function digestLogLine(line: string): string {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(line);
  } catch {
    return line.length > 600 ? `${line.slice(0, 600)}…` : line;
  }
  const { level, msg, err, time: _time, pid: _pid, ...rest } = parsed as { level?: number; msg?: string; err?: { type?: string; message?: string; stack?: string }; time?: unknown; pid?: unknown };
  const where = err?.stack?.split('\n').slice(1, 3).map((l) => l.trim()).join(' < ');
  const context = JSON.stringify(rest);
  return `[level ${level}] ${msg ?? '(no msg)'}${err ? ` | ${err.type ?? 'Error'}: ${err.message ?? ''}${where ? ` (${where})` : ''}` : ''}${context !== '{}' ? ` | ${context.slice(0, 300)}` : ''}`;
}

/** Input of check 5. */
export interface ServerHealthInput {
  logs: readonly ConnectionLog[];
  http: readonly HttpRecord[];
  joinFailures: readonly JoinFailure[];
  /** The server process's stdout+stderr; undefined when the simulator did not start the server. */
  serverOutput: string | undefined;
  /** What went wrong with the server process itself (exited during the run, unclean shutdown). */
  serverProblems: readonly string[];
  stalled: readonly StalledBattle[];
}

/**
 * 5. No server error: no in-room error INTERNAL or RESULT_NOT_SAVED, no HTTP 5xx, no join refused with a
 * 5xx code, no battle that stopped progressing while its player waited, no early exit of the server and
 * no server log line at level 50 (error) or above.
 */
export function checkNoServerErrors(input: ServerHealthInput): InvariantResult {
  const breaks: string[] = [];
  const notes: string[] = [];
  let checked = input.http.length + input.joinFailures.length;
  for (const log of input.logs) {
    for (const m of log.messages) {
      if (m.type !== 'error') continue;
      checked += 1;
      const e = m.payload as { code?: string; type?: string; message?: string };
      if (e && SERVER_FAULT_CODES.includes(String(e.code))) {
        breaks.push(`${log.bot} in ${log.roomName} ${log.roomId}: error ${e.code} for "${e.type}": ${e.message}`);
      }
    }
  }
  for (const h of input.http) if (h.status >= 500) breaks.push(`HTTP ${h.method} ${h.route} answered ${h.status}${h.error ? `: ${h.error}` : ''}`);
  for (const j of input.joinFailures) {
    if (j.code !== undefined && j.code >= 500 && j.code < 600) breaks.push(`${j.bot}: ${j.what} refused with ${j.code}: ${j.message}`);
  }
  for (const s of input.stalled) {
    breaks.push(s.phase.startsWith('closed')
      ? `${s.bot}: battle ${s.roomId} ${s.phase} before battle_result (last message at ${Math.round(s.lastMessageAt)} ms)`
      : `${s.bot}: battle ${s.roomId} stopped in phase "${s.phase}": nothing for ${Math.round(s.waitedMs / 1000)} s after its last message (at ${Math.round(s.lastMessageAt)} ms)`);
  }
  for (const p of input.serverProblems) breaks.push(`server process: ${p}`);
  if (input.serverOutput === undefined) {
    notes.push('server log not checked (not started by the simulator)');
  } else {
    const scan = scanServerOutput(input.serverOutput);
    checked += scan.errors.length + scan.warnings.length + scan.other.length;
    for (const line of scan.errors) breaks.push(`server log: ${digestLogLine(line)}`);
    if (scan.warnings.length > 0) notes.push(`${scan.warnings.length} warning line(s) in the server log, e.g. ${scan.warnings[0].slice(0, 300)}`);
    if (scan.other.length > 0) notes.push(`${scan.other.length} other line(s) in the server output, e.g. ${scan.other[0].slice(0, 200)}`);
  }
  return result(5, 'no-server-error', 'no server error (in-room INTERNAL/RESULT_NOT_SAVED, HTTP 5xx, log level >= 50)', checked, breaks, notes);
}

/** Input of check 6. */
export interface ProtocolInput {
  malformed: readonly MalformedRecord[];
  unexplained: readonly UnexplainedError[];
  reconnects: readonly ReconnectRecord[];
  logs: readonly ConnectionLog[];
  seen: readonly SeenBattle[];
  /** Joins the server refused; a refused seat reservation (what = "battle") breaks the protocol. */
  joinFailures: readonly JoinFailure[];
}

/**
 * 6. The room protocol under misbehaviour: each malformed message got, to its sender, an `"error"` with
 * the offending type and the expected code, and the room carried on (the sender kept receiving messages,
 * or left on its own); no legitimate message was refused (except an answer sent at the very deadline);
 * every deliberate drop reconnected, unless the battle had ended before the attempt; and every seat
 * reservation a match_found handed out was honoured (the bots consume it at once).
 */
export function checkProtocol(input: ProtocolInput): InvariantResult {
  const breaks: string[] = [];
  const notes: string[] = [];
  const logOf = new Map(input.logs.map((l) => [`${l.bot}|${l.roomId}`, l]));
  for (const m of input.malformed) {
    const what = `${m.bot}: malformed "${m.kind}" (${m.type}) in ${m.roomName} ${m.roomId} at ${m.sentAt.toFixed(0)} ms`;
    if (!m.answer) {
      breaks.push(`${what}: no "error" came back`);
      continue;
    }
    if (m.answer.type !== m.type) breaks.push(`${what}: error type "${m.answer.type}", expected "${m.type}"`);
    if (m.answer.code !== m.expectedCode) breaks.push(`${what}: error code ${m.answer.code}, expected ${m.expectedCode}`);
    const log = logOf.get(`${m.bot}|${m.roomId}`);
    const after = log?.messages.filter((x) => x.t > m.answer!.t) ?? [];
    const carriedOn = after.some((x) => !x.type.startsWith('@') && x.type !== 'error')
      || after.some((x) => x.type === '@closed' && (x.payload as { byClient?: boolean })?.byClient === true);
    if (!carriedOn) breaks.push(`${what}: the room did not carry on for the sender after the error`);
  }
  for (const e of input.unexplained) {
    if (e.excused) continue;
    breaks.push(`${e.bot}: unexpected error ${e.code} for "${e.type}" in ${e.roomName} ${e.roomId} at ${e.t.toFixed(0)} ms: ${e.message}`);
  }
  const excused = input.unexplained.filter((e) => e.excused).length;
  if (excused > 0) notes.push(`${excused} answer(s) sent at the deadline were refused as late (expected)`);
  const endedAt = new Map<string, number>();
  for (const s of input.seen) endedAt.set(s.roomId, Math.min(endedAt.get(s.roomId) ?? Infinity, s.t));
  for (const r of input.reconnects) {
    if (r.ok) continue;
    const end = endedAt.get(r.roomId);
    if (end !== undefined && end <= r.attemptedAt) {
      notes.push(`${r.bot}: reconnect to ${r.roomId} refused after its battle had ended (fine): ${r.error}`);
      continue;
    }
    breaks.push(`${r.bot}: reconnect to battle ${r.roomId} ${Math.round(r.attemptedAt - r.droppedAt)} ms after the drop failed: ${r.error}`);
  }
  for (const j of input.joinFailures) {
    if (j.what === 'battle') breaks.push(`${j.bot}: the seat reservation from match_found was refused at ${Math.round(j.t)} ms: ${j.code ?? ''} ${j.message}`.replace(/\s+/g, ' '));
  }
  return result(6, 'protocol', 'malformed messages answered with the right error, the room carried on; drops reconnected; seats honoured',
    input.malformed.length + input.unexplained.length + input.reconnects.length + input.joinFailures.length, breaks, notes);
}
