import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config';

/**
 * Which database the database-touching suites run on: embedded PGlite (default) or the PostgreSQL server
 * named by TEST_DATABASE_URL (CI runs the suites once on each). A unique database is created per test
 * process on that server and dropped at the end.
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;

/** A configuration for tests: fast game timings, a fixed secret, quiet logs, a private DATA_DIR. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    DATA_DIR: path.join(os.tmpdir(), `quest-arena-test-${process.pid}`),
    JWT_SECRET: 'test-secret-test-secret-test-secret-0123456789',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    BATTLE_COUNTDOWN_MS: '50',
    BATTLE_QUESTION_MS: '800',
    BATTLE_REVEAL_MS: '50',
    BATTLE_ROUNDS: '3',
    BATTLE_FILL_WAIT_MS: '100',
    BATTLE_RECONNECT_MS: '1500',
    BATTLE_FINISHED_LINGER_MS: '2000',
    MATCH_INTERVAL_MS: '50',
    MATCH_CONFIRM_MS: '1500',
    MATCH_BOT_AFTER_MS: '1000',
    FLOOD_COOLDOWN_MS: '1000',
    FLOOD_REFUSAL_HOLD_MS: '100',
    MONITOR_PASSWORD: 'monitor-test-password',
    ...overrides,
  });
}
