import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** A server started the way `npm start` does, in a child process. */
export interface ServerProcess {
  child: ChildProcess;
  port: number;
  output(): string;
  exited: Promise<number | null>;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts arena.config.ts with the given environment (no inherited DATABASE_URL/REDIS_URL unless given). */
export function startServer(env: Record<string, string>): ServerProcess {
  const port = Number(env.PORT);
  const base = { ...process.env };
  for (const k of ['DATABASE_URL', 'REDIS_URL', 'MONITOR_PASSWORD', 'JWT_SECRET', 'DATA_DIR']) delete base[k];
  const child = spawn(process.execPath, [...(process.env.QA_SERVER_NODE_ARGS ? process.env.QA_SERVER_NODE_ARGS.split(' ') : []), '--require', 'tsx/cjs', 'arena.config.ts'], {
    cwd: ROOT, env: { ...base, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  // Diagnostics: QA_SERVER_OUTPUT=/tmp/arena keeps each server's whole stdout (e.g. --trace-gc) in /tmp/arena.<port>.
  if (process.env.QA_SERVER_OUTPUT) child.stdout!.pipe(fs.createWriteStream(`${process.env.QA_SERVER_OUTPUT}.${port}`));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child, port, exited, output: () => out,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Waits until GET /health answers 200, or the process exits, or `ms` pass. */
export async function waitHealthy(p: ServerProcess, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  let exited = false;
  p.exited.then(() => { exited = true; });
  while (Date.now() < until && !exited) {
    try {
      const res = await fetch(`http://127.0.0.1:${p.port}/health`);
      if (res.status === 200) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server on ${p.port} did not become healthy:\n${p.output()}`);
}
