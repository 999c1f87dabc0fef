/**
 * A Quest Arena server inside the bench's own process (bench/battle, bench/matchmaking): a temporary
 * DATA_DIR, the embedded database or BENCH_DATABASE_URL, quiet logs, a free port. Plus accounts written
 * straight into the database: registering hundreds through scrypt would measure the KDF, not the game.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { createArena, type Arena } from '../../src/app';
import { hashPassword } from '../../src/auth/passwords';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/logger';
import { User } from '../../src/persistence/entities';
import { freePort } from '../../test/helpers/process';

export interface InProcessArena {
  arena: Arena;
  config: Config;
  /** The WebSocket/HTTP base for SDK clients. */
  url: string;
  /** Shuts the server down and removes its DATA_DIR. */
  stop(): Promise<void>;
}

/** Starts the server with `env` over the bench defaults. */
export async function startInProcessArena(env: Record<string, string> = {}): Promise<InProcessArena> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qa-bench-'));
  const config = loadConfig({
    ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'error', JWT_SECRET: 'bench-secret-bench-secret-bench-secret-00',
    DATABASE_URL: process.env.BENCH_DATABASE_URL ?? '', MAX_MESSAGES_PER_SECOND: '50', ...env,
  });
  const arena = await createArena(config, createLogger('error'));
  const port = await freePort();
  await arena.server.listen(port, '127.0.0.1');
  return {
    arena, config, url: `ws://127.0.0.1:${port}`,
    stop: async () => {
      await arena.shutdown();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Students inserted in one statement (one shared password hash); answers their tokens, in order. */
export async function insertStudents(arena: Arena, students: Array<{ username: string; grade: number; rating?: number }>): Promise<string[]> {
  const passwordHash = await hashPassword('bench-password');
  const users = students.map((s) => ({ id: randomUUID(), role: 'student' as const, displayName: s.username, passwordHash, ...s }));
  await arena.services.db.getRepository(User).insert(users as never);
  return users.map((u) => arena.services.tokens.issue(u));
}
