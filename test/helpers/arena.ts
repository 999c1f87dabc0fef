import type { Presence } from '@colyseus/core';
import { boot, type ColyseusTestServer } from '@colyseus/testing';
import { createArena, type Arena } from '../../src/app';
import { createLogger } from '../../src/logger';
import { testDatabase, resetDatabase } from './db';
import { testConfig } from './env';
import { FakeClock } from './clock';

/** The one booted server of a test process, with its services and clock. */
export interface TestArena {
  arena: Arena;
  colyseus: ColyseusTestServer;
  clock: FakeClock;
  baseUrl: string;
  wsUrl: string;
}

/** Forgets login rate-limit counters (in-process presence keeps them in `keys`). */
function clearRateLimits(presence: Presence): void {
  const keys = (presence as unknown as { keys?: Record<string, unknown> }).keys ?? {};
  for (const k of Object.keys(keys)) if (k.startsWith('ratelimit:')) presence.del(k);
}

let booted: Promise<TestArena> | undefined;

async function start(): Promise<TestArena> {
  const db = await testDatabase();
  const config = testConfig(db.databaseUrl ? { DATABASE_URL: db.databaseUrl } : {});
  const clock = new FakeClock();
  const arena = await createArena(config, createLogger(config.logLevel), { embedded: db.embedded, now: () => clock.now() });
  const colyseus = await boot(arena.server);
  const port = (arena.server as unknown as { port: number }).port;
  return { arena, colyseus, clock, baseUrl: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}` };
}

/**
 * Boots the server once per process (Colyseus' matchmaker is process-wide) and, for each test, resets
 * rooms, the database and the clock.
 */
export async function testArena(): Promise<TestArena> {
  const t = await (booted ??= start());
  await t.colyseus.cleanup();
  await resetDatabase(t.arena.database.dataSource);
  clearRateLimits(t.arena.services.presence);
  t.clock.reset();
  return t;
}

/** Shuts the booted server down, if any (root afterAll hook). */
export async function shutdownTestArena(): Promise<void> {
  if (!booted) return;
  const t = await booted;
  booted = undefined;
  await t.arena.shutdown();
}
