import type { Presence } from '@colyseus/core';
import type { DataSource } from 'typeorm';
import { TokenService } from '../auth/tokens';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { Metrics } from '../metrics';
import { AccountService } from './AccountService';
import { BattleService } from './BattleService';
import { LeaderboardService } from './LeaderboardService';
import { NotificationService } from './NotificationService';
import { QuestionService } from './QuestionService';
import { RateLimiter } from './RateLimiter';
import { RatingService } from './RatingService';
import { RoomCodes } from './RoomCodes';

/** Everything rooms and routes need, built once in the wiring (src/app.ts) and passed in. */
export interface Services {
  config: Config;
  logger: Logger;
  db: DataSource;
  presence: Presence;
  metrics: Metrics;
  tokens: TokenService;
  accounts: AccountService;
  notifications: NotificationService;
  questions: QuestionService;
  battles: BattleService;
  ratings: RatingService;
  leaderboards: LeaderboardService;
  roomCodes: RoomCodes;
  /** Rate limits and bars kept in presence (login attempts, flooders). */
  rateLimits: RateLimiter;
  /** The clock every service reads; tests replace it. */
  now: () => Date;
}

/** Builds the service graph over an open database and a presence. */
export function buildServices(deps: {
  config: Config; logger: Logger; db: DataSource; presence: Presence; jwtSecret: string; now?: () => Date;
}): Services {
  const now = deps.now ?? (() => new Date());
  const tokens = new TokenService(deps.jwtSecret, deps.config.jwtTtlSeconds);
  const limiter = new RateLimiter(deps.presence, deps.config.loginRateLimit.windowMs, () => now().getTime());
  const notifications = new NotificationService(deps.db, deps.presence);
  const leaderboards = new LeaderboardService(deps.db, deps.presence, now);
  return {
    config: deps.config,
    logger: deps.logger,
    db: deps.db,
    presence: deps.presence,
    metrics: new Metrics(),
    tokens,
    accounts: new AccountService(deps.db, tokens, limiter, deps.config.loginRateLimit, deps.config.linkCodeTtlMs, now, notifications),
    notifications,
    questions: new QuestionService(deps.db),
    battles: new BattleService(deps.db, notifications, deps.logger, leaderboards),
    ratings: new RatingService(deps.db, now),
    leaderboards,
    roomCodes: new RoomCodes(deps.presence),
    rateLimits: limiter,
    now,
  };
}
