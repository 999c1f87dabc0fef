/**
 * `npm run start:cluster -- N [--base-port P]`: N server processes on consecutive ports, one game world.
 * They share Redis (REDIS_URL: presence and the matchmaking driver) and PostgreSQL (DATABASE_URL: an
 * embedded database cannot be shared between processes). Each process tells clients where its rooms
 * are (PUBLIC_ADDRESS = PUBLIC_HOST:port). SIGTERM/SIGINT go to every process; each finishes its battles
 * (bounded by SHUTDOWN_GRACE_MS) and exits; this supervisor exits when all have.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

function fail(message: string): never {
  process.stderr.write(`start:cluster: ${message}\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
const count = Number(args[0] ?? '2');
const basePortArg = args.indexOf('--base-port');
const basePort = basePortArg >= 0 ? Number(args[basePortArg + 1]) : Number(process.env.PORT ?? 2567);
if (!Number.isInteger(count) || count < 1 || count > 64) fail(`N must be a whole number from 1 to 64, got ${JSON.stringify(args[0])}`);
if (!Number.isInteger(basePort) || basePort < 1 || basePort + count - 1 > 65535) fail(`bad base port ${basePort}`);
if (!process.env.REDIS_URL) fail('REDIS_URL is required: it makes the processes one world (presence and matchmaking)');
if (!process.env.DATABASE_URL) fail('DATABASE_URL is required: processes cannot share the embedded database');
const publicHost = process.env.PUBLIC_HOST ?? 'localhost';

const root = path.resolve(__dirname, '..');
const children: ChildProcess[] = [];
let stopping = false;

for (let i = 0; i < count; i++) {
  const port = basePort + i;
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'arena.config.ts'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), PUBLIC_ADDRESS: `${publicHost}:${port}` },
    stdio: 'inherit',
  });
  child.on('exit', (code, signal) => {
    process.stderr.write(`start:cluster: process ${i} (port ${port}) exited with ${signal ?? code}\n`);
    if (!stopping && code !== 0) stop('SIGTERM'); // one crashed: bring the rest down cleanly rather than limp on
    if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(children.some((c) => c.exitCode !== 0) ? 1 : 0);
  });
  children.push(child);
}

function stop(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill(signal);
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
