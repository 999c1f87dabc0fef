import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, startServer, waitHealthy, type ServerProcess } from '../../test/helpers/process';

/** The server the simulator started: where it listens, its output, how to stop it. */
export interface OwnServer {
  url: string;
  process: ServerProcess;
  dataDir: string;
  env: Record<string, string>;
  /** Set as soon as the process exits, however it exits. */
  exit: { code: number | null; at: number } | undefined;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with a description of anything unclean. */
  stop(graceMs?: number): Promise<string[]>;
}

/**
 * Game timings short enough for a simulation, the rest as in production. The login limit per address
 * is raised because every bot logs in from this one address: a QA run is not a credential-stuffing attack.
 */
export const SIM_SERVER_ENV: Record<string, string> = {
  LOG_LEVEL: 'warn',
  HOST: '127.0.0.1',
  BATTLE_COUNTDOWN_MS: '200',
  BATTLE_QUESTION_MS: '3000',
  BATTLE_REVEAL_MS: '300',
  BATTLE_ROUNDS: '3',
  BATTLE_FILL_WAIT_MS: '300',
  BATTLE_RECONNECT_MS: '10000',
  MATCH_BOT_AFTER_MS: '4000',
  MATCH_CONFIRM_MS: '3000',
  MAX_MESSAGES_PER_SECOND: '30',
  LOGIN_RATE_LIMIT_ADDRESS: '100000',
};

/** Starts arena.config.ts in a child process on a free port and a temp DATA_DIR, and waits until it is healthy. */
export async function startOwnServer(opts: { databaseUrl?: string; now: () => number }): Promise<OwnServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qa-sim-'));
  const port = await freePort();
  const env: Record<string, string> = {
    ...SIM_SERVER_ENV,
    PORT: String(port),
    DATA_DIR: dataDir,
    JWT_SECRET: randomBytes(32).toString('hex'),
    ...(opts.databaseUrl ? { DATABASE_URL: opts.databaseUrl } : {}),
  };
  const proc = startServer(env);
  const own: OwnServer = {
    url: `http://127.0.0.1:${port}`,
    process: proc,
    dataDir,
    env: { ...env, JWT_SECRET: '[generated]' },
    exit: undefined,
    async stop(graceMs = 20_000) {
      const problems: string[] = [];
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) return problems;
      proc.child.kill('SIGTERM');
      const timer = setTimeout(() => {
        problems.push(`did not stop within ${graceMs} ms of SIGTERM; killed`);
        proc.child.kill('SIGKILL');
      }, graceMs);
      const code = await proc.exited;
      clearTimeout(timer);
      if (code !== 0 && problems.length === 0) problems.push(`exited with code ${code} after SIGTERM (expected 0)`);
      return problems;
    },
  };
  proc.exited.then((code) => { own.exit = { code, at: opts.now() }; });
  // A stray child must not outlive the simulator, whatever way it ends.
  process.on('exit', () => { if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL'); });
  try {
    await waitHealthy(proc, 90_000);
  } catch (e) {
    await own.stop(5000);
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  return own;
}
