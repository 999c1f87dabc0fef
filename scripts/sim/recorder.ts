import type {
  ConnectionLog, HttpAnswer, HttpRecord, JoinFailure, MalformedRecord, ReconnectRecord, SeenBattle, StalledBattle, UnexplainedError,
} from './types';

/** Counters shown in the progress line and the summary. */
export interface Counters {
  journeysStarted: number;
  journeysRunning: number;
  journeysPlayed: number;
  journeysUnmatched: number;
  journeysFailed: number;
  registrations: number;
  logins: number;
  loginsRateLimited: number;
  /** Bot-battle participations that ended with battle_result. */
  participations: number;
  practiceParticipations: number;
  practiceOffers: number;
  practiceAccepted: number;
  matchesCancelled: number;
  questions: number;
  answersSent: number;
  answersAcked: number;
  silentRounds: number;
  drops: number;
  reconnectsOk: number;
  reconnectsFailed: number;
  /** Reconnected into a battle that had finished meanwhile: its battle_result went out while away. */
  resultsMissedAway: number;
  malformedSent: number;
  malformedAnswered: number;
  notifications: number;
}

/** A journey that failed on the bot's side (join refused, timeout, …), kept for the report. */
export interface BotFailure {
  bot: string;
  stage: string;
  message: string;
  t: number;
}

/**
 * Everything a run records, shared by all bots of the process. Times are ms since the run started
 * (`now()`), one clock for all, so that logs of different bots can be compared.
 */
export class Recorder {
  private t0 = performance.now();
  readonly counters: Counters = {
    journeysStarted: 0, journeysRunning: 0, journeysPlayed: 0, journeysUnmatched: 0, journeysFailed: 0, registrations: 0, logins: 0,
    loginsRateLimited: 0, participations: 0, practiceParticipations: 0, practiceOffers: 0, practiceAccepted: 0, matchesCancelled: 0,
    questions: 0, answersSent: 0, answersAcked: 0, silentRounds: 0, drops: 0, reconnectsOk: 0, reconnectsFailed: 0, resultsMissedAway: 0, malformedSent: 0,
    malformedAnswered: 0, notifications: 0,
  };
  readonly latency = {
    answerAck: [] as number[],
    register: [] as number[],
    login: [] as number[],
    joinPersonal: [] as number[],
    joinMatchmaking: [] as number[],
    joinBattle: [] as number[],
    reconnect: [] as number[],
  };
  readonly http: HttpRecord[] = [];
  readonly logs: ConnectionLog[] = [];
  readonly seen: SeenBattle[] = [];
  readonly malformed: MalformedRecord[] = [];
  readonly unexplained: UnexplainedError[] = [];
  readonly reconnects: ReconnectRecord[] = [];
  readonly joinFailures: JoinFailure[] = [];
  readonly stalled: StalledBattle[] = [];
  readonly failures: BotFailure[] = [];
  /** battleId → ms since start when a bot first saw it finish. */
  readonly finishedAt = new Map<string, number>();
  /** battleIds of practice battles. */
  readonly practiceBattles = new Set<string>();

  /** Starts the run's clock again (when the bots start: the server's start-up is not part of the run). */
  restart(): void {
    this.t0 = performance.now();
  }

  /** ms since the run started. */
  now(): number {
    return performance.now() - this.t0;
  }

  /** Distinct battles seen finished. */
  battlesFinished(): number {
    return this.finishedAt.size;
  }

  /** Failures the bots themselves count: journeys that failed plus unexplained room errors. */
  errorCount(): number {
    return this.counters.journeysFailed + this.unexplained.filter((e) => !e.excused).length;
  }
}

/** A JSON HTTP call with timing: every call is recorded (route pattern, status, latency) for the checks. */
export async function httpJson<T>(
  rec: Recorder, base: string, method: string, path: string,
  opts: { route: string; token?: string; body?: unknown; timeoutMs?: number },
): Promise<HttpAnswer<T> & { ms: number }> {
  const start = performance.now();
  const t = rec.now();
  try {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}), ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}) },
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
    });
    const text = await res.text();
    const ms = performance.now() - start;
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    const error = res.status >= 400 ? (body as { error?: { code?: string; message?: string } } | undefined)?.error : undefined;
    const errorText = error ? `${error.code}: ${error.message}` : res.status >= 400 ? text.slice(0, 200) : undefined;
    rec.http.push({ method, route: opts.route, status: res.status, ms, t, error: errorText });
    return { status: res.status, body: body as T, ms, error: errorText };
  } catch (e) {
    const ms = performance.now() - start;
    const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    // Status 0: no answer at all (refused, reset, timed out). Not a 5xx, but the journey fails.
    rec.http.push({ method, route: opts.route, status: 0, ms, t, error: message });
    return { status: 0, body: undefined, ms, error: message };
  }
}
