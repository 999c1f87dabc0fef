import path from 'node:path';
import { z } from 'zod';

/**
 * The whole environment, read once at start, validated and typed. A bad value stops the start with a
 * message naming the variable and what it allows, rather than failing later in some corner.
 */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  dbPoolSize: number;
  redisUrl: string | undefined;
  /** host:port at which clients reach this process's rooms (several processes behind one world). */
  publicAddress: string | undefined;
  jwtSecret: string | undefined;
  jwtTtlSeconds: number;
  monitorPassword: string | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  httpBodyLimitBytes: number;
  wsMaxPayloadBytes: number;
  maxMessagesPerSecond: number;
  /** How long a user thrown out for flooding may not join any room. */
  floodCooldownMs: number;
  /** How long a barred user's join is held before its 429 (at most the rest of the bar): a flooder retrying at once costs less. */
  floodRefusalHoldMs: number;
  loginRateLimit: { perUsername: number; perAddress: number; windowMs: number };
  linkCodeTtlMs: number;
  shutdownGraceMs: number;
  battle: { countdownMs: number; questionMs: number; revealMs: number; rounds: number; fillWaitMs: number; reconnectMs: number; finishedLingerMs: number };
  matchmaking: { intervalMs: number; confirmMs: number; botAfterMs: number; baseRange: number; widenPerSecond: number; maxRange: number };
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const envSchema = z.object({
  PORT: int(1, 65535).default(2567),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z.preprocess(blankToUndefined, z.string().regex(/^postgres(ql)?:\/\/.+/, 'a postgres:// or postgresql:// URL').optional()),
  DB_POOL_SIZE: int(1, 200).default(10),
  PUBLIC_ADDRESS: z.preprocess(blankToUndefined, z.string().regex(/^[A-Za-z0-9.\-\[\]:]+:\d{1,5}(\/[\w\-/]*)?$/, 'host:port (no scheme), e.g. game1.example.com:2567').optional()),
  REDIS_URL: z.preprocess(blankToUndefined, z.string().regex(/^rediss?:\/\/.+/, 'a redis:// or rediss:// URL').optional()),
  JWT_SECRET: z.preprocess(blankToUndefined, z.string().min(32, 'at least 32 characters').optional()),
  JWT_TTL_SECONDS: int(60, 60 * 60 * 24 * 90).default(60 * 60 * 24 * 7),
  MONITOR_PASSWORD: z.preprocess(blankToUndefined, z.string().min(8, 'at least 8 characters').optional()),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HTTP_BODY_LIMIT_BYTES: int(1024, 10 * 1024 * 1024).default(16 * 1024),
  WS_MAX_PAYLOAD_BYTES: int(512, 1024 * 1024).default(4 * 1024),
  MAX_MESSAGES_PER_SECOND: int(1, 10_000).default(20),
  FLOOD_COOLDOWN_MS: int(0, 600_000).default(5000),
  FLOOD_REFUSAL_HOLD_MS: int(0, 10_000).default(1000),
  LOGIN_RATE_LIMIT_USERNAME: int(1, 10_000).default(5),
  LOGIN_RATE_LIMIT_ADDRESS: int(1, 100_000).default(20),
  LOGIN_RATE_LIMIT_WINDOW_MS: int(1000, 24 * 3600 * 1000).default(15 * 60 * 1000),
  LINK_CODE_TTL_MS: int(10_000, 7 * 24 * 3600 * 1000).default(15 * 60 * 1000),
  SHUTDOWN_GRACE_MS: int(0, 30 * 60 * 1000).default(30_000),
  BATTLE_COUNTDOWN_MS: int(0, 60_000).default(3000),
  BATTLE_QUESTION_MS: int(100, 120_000).default(15_000),
  BATTLE_REVEAL_MS: int(0, 60_000).default(3000),
  BATTLE_ROUNDS: int(1, 50).default(5),
  BATTLE_FILL_WAIT_MS: int(0, 120_000).default(5000),
  BATTLE_RECONNECT_MS: int(1000, 300_000).default(30_000),
  BATTLE_FINISHED_LINGER_MS: int(0, 600_000).default(60_000),
  MATCH_INTERVAL_MS: int(20, 10_000).default(300),
  MATCH_CONFIRM_MS: int(500, 14_000).default(10_000),
  MATCH_BOT_AFTER_MS: int(0, 600_000).default(20_000),
  MATCH_BASE_RANGE: int(0, 2000).default(100),
  MATCH_WIDEN_PER_SECOND: int(0, 2000).default(25),
  MATCH_MAX_RANGE: int(0, 4000).default(800),
});

/** Reads and validates the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '?');
      return `  ${name}=${JSON.stringify(env[name] ?? '')}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    dbPoolSize: e.DB_POOL_SIZE,
    redisUrl: e.REDIS_URL,
    // Several processes need each to tell clients where its rooms are; one process needs nothing.
    publicAddress: e.PUBLIC_ADDRESS ?? (e.REDIS_URL ? `localhost:${e.PORT}` : undefined),
    jwtSecret: e.JWT_SECRET,
    jwtTtlSeconds: e.JWT_TTL_SECONDS,
    monitorPassword: e.MONITOR_PASSWORD,
    logLevel: e.LOG_LEVEL,
    httpBodyLimitBytes: e.HTTP_BODY_LIMIT_BYTES,
    wsMaxPayloadBytes: e.WS_MAX_PAYLOAD_BYTES,
    maxMessagesPerSecond: e.MAX_MESSAGES_PER_SECOND,
    floodCooldownMs: e.FLOOD_COOLDOWN_MS,
    floodRefusalHoldMs: e.FLOOD_REFUSAL_HOLD_MS,
    loginRateLimit: {
      perUsername: e.LOGIN_RATE_LIMIT_USERNAME,
      perAddress: e.LOGIN_RATE_LIMIT_ADDRESS,
      windowMs: e.LOGIN_RATE_LIMIT_WINDOW_MS,
    },
    linkCodeTtlMs: e.LINK_CODE_TTL_MS,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    battle: {
      countdownMs: e.BATTLE_COUNTDOWN_MS,
      questionMs: e.BATTLE_QUESTION_MS,
      revealMs: e.BATTLE_REVEAL_MS,
      rounds: e.BATTLE_ROUNDS,
      fillWaitMs: e.BATTLE_FILL_WAIT_MS,
      reconnectMs: e.BATTLE_RECONNECT_MS,
      finishedLingerMs: e.BATTLE_FINISHED_LINGER_MS,
    },
    matchmaking: {
      intervalMs: e.MATCH_INTERVAL_MS,
      confirmMs: e.MATCH_CONFIRM_MS,
      botAfterMs: e.MATCH_BOT_AFTER_MS,
      baseRange: e.MATCH_BASE_RANGE,
      widenPerSecond: e.MATCH_WIDEN_PER_SECOND,
      maxRange: Math.max(e.MATCH_MAX_RANGE, e.MATCH_BASE_RANGE),
    },
  };
}
