/**
 * `npm run simulate`: a QA simulation. Bot players make complete journeys through the real SDK (register,
 * log in, personal room, matchmaking, battle; with drops and reconnects, practice offers and malformed
 * messages) against a server this script starts in a child process (or `--url`), then the run is checked
 * against the game's invariants (scripts/sim/invariants.ts). Exit code 0 only when every invariant held;
 * 1 when one broke; 2 on a bad command line, a server that would not start, or the hard timeout.
 *
 *   npm run simulate -- --bots 30 --duration-s 40
 *   npm run simulate -- --help
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs, USAGE, UsageError, type SimOptions } from './sim/args';
import { Bot, type BotContext } from './sim/bot';
import { readStored } from './sim/database';
import {
  checkNoEarlyAnswerKey, checkNoServerErrors, checkProtocol, checkRewardsOnce, checkScoreReplay, checkStoredResults,
  type BattleView, type InvariantResult,
} from './sim/invariants';
import { startProgress } from './sim/progress';
import { readBack } from './sim/readback';
import { Recorder } from './sim/recorder';
import { buildReport, redactUrl, summaryText, writeReport, type ExitReason, type SimReport } from './sim/report';
import { startOwnServer, type OwnServer } from './sim/server';
import type { AccountReadback, HttpAnswer, StoredLedger, StoredReplay } from './sim/types';

const EXIT: Record<ExitReason, number> = { ok: 0, 'invariants-broken': 1, 'hard-timeout': 2, interrupted: 130, fatal: 2 };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The SDK prints to the console (reconnection attempts, unexpected closes); a quiet run keeps those lines
 * for the report instead of scattering them over the progress line.
 */
function captureConsole(): string[] {
  const lines: string[] = [];
  const keep = (...args: unknown[]) => { if (lines.length < 1000) lines.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ')); };
  console.log = keep;
  console.info = keep;
  console.warn = keep;
  console.error = keep;
  console.debug = keep;
  return lines;
}

/** Everything a run has gathered so far: the final report is built from it, complete or not. */
interface RunState {
  opts: SimOptions;
  rec: Recorder;
  bots: Bot[];
  own: OwnServer | undefined;
  url: string;
  stopping: boolean;
  serverProblems: string[];
  notes: string[];
  battles: Map<string, HttpAnswer<BattleView>>;
  accounts: AccountReadback[];
  stored: { replays: StoredReplay[]; ledgers: StoredLedger[] } | undefined;
  storedError: string | undefined;
  consoleLines: string[];
}

function invariantsOf(s: RunState, serverOutput: string | undefined): InvariantResult[] {
  const { rec } = s;
  const replay = checkScoreReplay(rec.seen, s.battles, s.stored?.replays);
  const rewards = checkRewardsOnce(s.accounts, s.stored?.ledgers);
  if (s.storedError) {
    replay.breaks.push(`the database given with --database-url could not be read: ${s.storedError}`);
    replay.ok = false;
  }
  return [
    checkStoredResults(rec.seen, s.battles),
    rewards,
    replay,
    checkNoEarlyAnswerKey(rec.logs),
    checkNoServerErrors({ logs: rec.logs, http: rec.http, joinFailures: rec.joinFailures, serverOutput, serverProblems: s.serverProblems, stalled: rec.stalled }),
    checkProtocol({ malformed: rec.malformed, unexplained: rec.unexplained, reconnects: rec.reconnects, logs: rec.logs, seen: rec.seen, joinFailures: rec.joinFailures }),
  ];
}

let finalizing: Promise<never> | undefined;

/** Stops the server, checks, writes the report, prints the summary and exits; runs once, whoever calls first. */
function finalize(s: RunState, reason: ExitReason): Promise<never> {
  return (finalizing ??= (async () => {
    // However the end goes, the process does not outlive this by much.
    setTimeout(() => process.exit(EXIT[reason] || 2), 60_000).unref();
    s.stopping = true;
    let serverOutput: string | undefined;
    if (s.own) {
      s.serverProblems.push(...(await s.own.stop()));
      serverOutput = s.own.process.output();
    }
    if (reason === 'hard-timeout') s.notes.push(`hard timeout after ${s.opts.durationS + 120} s: the run was cut short; the checks cover what was collected`);
    if (reason === 'interrupted') s.notes.push('interrupted (SIGINT): the checks cover what was collected');
    if (s.consoleLines.length > 0) s.notes.push(`${s.consoleLines.length} SDK console line(s), e.g. ${s.consoleLines[0].slice(0, 200)}`);
    const invariants = invariantsOf(s, serverOutput);
    const finalReason: ExitReason = reason !== 'ok' ? reason : invariants.every((i) => i.ok) ? 'ok' : 'invariants-broken';
    const report: SimReport = buildReport({
      opts: s.opts, rec: s.rec, invariants, exitReason: finalReason, elapsedS: s.rec.now() / 1000, notes: s.notes,
      server: {
        url: s.url,
        startedBySimulator: Boolean(s.own),
        database: s.opts.databaseUrl ? `PostgreSQL ${redactUrl(s.opts.databaseUrl)}` : s.own ? 'embedded PGlite in a temp DATA_DIR' : 'unknown (no --database-url)',
        env: s.own?.env,
      },
    });
    try {
      writeReport(s.opts.out, report);
      // Every message every bot received, for digging into a break (battle and room ids are in the breaks).
      fs.writeFileSync(path.join(s.opts.out, 'messages.json'), JSON.stringify(s.rec.logs));
    } catch (e) {
      process.stderr.write(`could not write the report to ${s.opts.out}: ${(e as Error).message}\n`);
    }
    process.stdout.write(`${summaryText(report, s.opts.out)}\n`);
    if (s.own) fs.rmSync(s.own.dataDir, { recursive: true, force: true });
    process.exit(EXIT[finalReason]);
  })());
}

async function main(): Promise<void> {
  let opts: SimOptions;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`simulate: ${e.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (opts.help) {
    process.stdout.write(USAGE);
    return;
  }
  const rec = new Recorder();
  const s: RunState = {
    opts, rec, bots: [], own: undefined, url: opts.url ?? '', stopping: false, serverProblems: [], notes: [],
    battles: new Map(), accounts: [], stored: undefined, storedError: undefined, consoleLines: [],
  };
  const abort = { aborted: false };

  if (!opts.url) {
    process.stderr.write('simulate: starting a server…\n');
    try {
      s.own = await startOwnServer({ databaseUrl: opts.databaseUrl, now: () => rec.now() });
    } catch (e) {
      process.stderr.write(`simulate: the server did not start: ${(e as Error).message}\n`);
      process.exit(EXIT.fatal);
    }
    s.url = s.own.url;
    void s.own.process.exited.then((code) => {
      if (s.stopping) return;
      s.serverProblems.push(`exited with code ${code} at ${Math.round(rec.now() / 1000)} s, during the run`);
      abort.aborted = true;
    });
  } else {
    const health = await fetch(`${opts.url}/health`, { signal: AbortSignal.timeout(10_000) }).then((r) => r.status, (e: Error) => e.message);
    if (health !== 200) {
      process.stderr.write(`simulate: ${opts.url}/health answered ${health}\n`);
      process.exit(EXIT.fatal);
    }
    if (!opts.databaseUrl) s.notes.push('database checks skipped: the server was given with --url and no --database-url (its embedded database cannot be opened while it runs)');
  }
  // Everything the SDK prints from here on is kept for the report.
  s.consoleLines = captureConsole();

  const hard = setTimeout(() => { abort.aborted = true; void finalize(s, 'hard-timeout'); }, (opts.durationS + 120) * 1000);
  hard.unref();
  process.once('SIGINT', () => { abort.aborted = true; void finalize(s, 'interrupted'); });

  rec.restart();
  const ctx: BotContext = {
    opts, rec, abort, httpBase: s.url, wsBase: s.url.replace(/^http/, 'ws'),
    endAt: rec.now() + opts.durationS * 1000, runTag: randomBytes(3).toString('hex'),
  };
  const progress = startProgress(rec, opts.durationS);
  // Staggered over up to 3 s: registering is an scrypt hash each, and real players do not arrive in one tick.
  const stagger = Math.min(100, 3000 / opts.bots);
  s.bots = Array.from({ length: opts.bots }, (_, i) => new Bot(i, ctx));
  await Promise.all(s.bots.map(async (bot, i) => {
    await sleep(i * stagger);
    try {
      await bot.run();
    } catch (e) {
      bot.fail('bot', (e as Error)?.stack ?? String(e));
    }
  }));
  progress.stop();
  if (abort.aborted) return void (await finalize(s, finalizing ? 'hard-timeout' : 'fatal'));

  process.stderr.write('simulate: reading results back…\n');
  const back = await readBack(rec, s.url, s.bots);
  s.battles = back.battles;
  s.accounts = back.accounts;
  if (opts.databaseUrl) {
    try {
      s.stored = await readStored(opts.databaseUrl, [...rec.finishedAt.keys()], s.bots.filter((b) => b.account).map((b) => b.account!.userId));
    } catch (e) {
      s.storedError = (e as Error).message;
    }
  }
  await finalize(s, 'ok');
}

main().catch((e) => {
  process.stderr.write(`simulate failed: ${e?.stack ?? e}\n`);
  process.exit(2);
});
