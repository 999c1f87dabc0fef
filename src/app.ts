import http from 'node:http';
import { defineRoom, defineServer, LocalPresence, matchMaker, type Presence, type RegisteredHandler, type Server } from '@colyseus/core';
import type { EmbeddedDatabase } from './persistence/embedded';
import { BattleRoom } from '../rooms/BattleRoom';
import { LeaderboardRoom } from '../rooms/LeaderboardRoom';
import { MatchmakingRoom } from '../rooms/MatchmakingRoom';
import { PersonalRoom } from '../rooms/PersonalRoom';
import { resolveJwtSecret } from './auth/tokens';
import type { Config } from './config';
import { mountHttp } from './http';
import { CoalescingWebSocketTransport } from './realtime/coalesce';
import type { Logger } from './logger';
import { openDatabase, type Database } from './persistence/database';
import { IndexedLocalDriver } from './realtime/drivers/IndexedLocalDriver';
import { IndexedRedisDriver } from './realtime/drivers/IndexedRedisDriver';
import type { KeyedRooms } from './realtime/drivers/listing';
import { limitMatchmakeBodies, mapMatchmakingErrors } from './realtime/joinErrors';
import { bindRoom, refuseBarredJoins } from './realtime/roomKit';
import { buildServices, type Services } from './services';

/** A built, not yet listening, Quest Arena server and the way to stop it cleanly. */
export interface Arena {
  server: Server;
  services: Services;
  database: Database;
  /** Stops taking joins, lets rooms store what they owe, closes presence and the database. */
  shutdown(): Promise<void>;
}

export interface ArenaOptions {
  /** A shared embedded database (tests); otherwise opened from config. */
  embedded?: EmbeddedDatabase;
  /** The clock services read (tests). */
  now?: () => Date;
}

/** Room types that exist once per key: a user's personal room (PersonalRoom refuses a second one). */
const KEYED_ROOMS: KeyedRooms = { personal: 'userId' };

/**
 * The rooms of each type open in this process, for the `arena_rooms` gauge: counted as the matchmaker
 * creates and disposes them (each type's handler emits both). Asking the listing instead meant, over
 * Redis, fetching and parsing every process's listings at each scrape: with 10,000 rooms on two
 * processes, 27% of an idle server's busy time (cpu profile while the load bench held them).
 */
function countOpenRooms(handlers: Record<string, RegisteredHandler>): () => Record<string, number> {
  const open: Record<string, number> = {};
  for (const [name, handler] of Object.entries(handlers)) {
    open[name] = 0;
    handler.on('create', () => { open[name]++; });
    handler.on('dispose', () => { open[name]--; });
  }
  return () => ({ ...open });
}

/**
 * Presence and the room listing: in memory for one process, on Redis for several. The listing drivers
 * (src/realtime/drivers) index rooms by name and personal rooms by user: Colyseus' own look at every room
 * on each join, which made a personal room's join cost grow with the number of users online.
 */
async function createPresence(config: Config): Promise<{ presence: Presence; driver: matchMaker.MatchMakerDriver }> {
  if (!config.redisUrl) return { presence: new LocalPresence(), driver: new IndexedLocalDriver(KEYED_ROOMS) };
  const { RedisPresence } = await import('@colyseus/redis-presence');
  return { presence: new RedisPresence(config.redisUrl), driver: new IndexedRedisDriver(config.redisUrl, KEYED_ROOMS) };
}

/**
 * The wiring: opens (and migrates) the database before anything can listen, builds presence and the
 * services, registers every room with its services bound, and mounts the HTTP routes.
 */
export async function createArena(config: Config, logger: Logger, options: ArenaOptions = {}): Promise<Arena> {
  const database = await openDatabase(config, logger, { embedded: options.embedded });
  try {
    const { presence, driver } = await createPresence(config);
    const jwtSecret = resolveJwtSecret(config.jwtSecret, config.dataDir);
    const services = buildServices({ config, logger, db: database.dataSource, presence, jwtSecret, now: options.now });
    await services.rateLimits.listen();
    const rooms = {
      personal: defineRoom(bindRoom(PersonalRoom, services)).filterBy(['userId']),
      battle: defineRoom(bindRoom(BattleRoom, services)).filterBy(['subject']),
      leaderboard: defineRoom(bindRoom(LeaderboardRoom, services)).filterBy(['board']),
      matchmaking: defineRoom(bindRoom(MatchmakingRoom, services)),
    };
    services.metrics.trackRooms({ connections: () => matchMaker.stats.local.ccu, roomsByType: countOpenRooms(rooms) });

    const httpServer = http.createServer();
    limitMatchmakeBodies(httpServer);
    refuseBarredJoins(httpServer, services);
    const transport = new CoalescingWebSocketTransport({ server: httpServer, maxPayload: config.wsMaxPayloadBytes });
    const server = defineServer({
      rooms,
      transport,
      presence,
      driver,
      publicAddress: config.publicAddress,
      greet: false,
      gracefullyShutdown: false, // signals are handled by arena.config.ts, which owns the process
      express: (app) => mountHttp(app, services),
    });

    mapMatchmakingErrors();

    // Housekeeping: finished weekly boards are dropped, before serving and then every hour (any process
    // may run it). Awaited here so that it never races whatever the caller does next with the database.
    const prune = () => services.leaderboards.pruneWeeklyBoards()
      .then((n) => { if (n > 0) logger.info({ entries: n }, 'old weekly leaderboards pruned'); })
      .catch((err) => logger.warn({ err: String(err) }, 'pruning old weekly leaderboards failed; will retry'));
    await prune();
    const housekeeping = setInterval(() => void prune(), 60 * 60 * 1000);
    housekeeping.unref();

    let shuttingDown: Promise<void> | undefined;
    const shutdown = () => (shuttingDown ??= (async () => {
      clearInterval(housekeeping);
      logger.info('shutting down: no new joins; rooms finish and store their results');
      await server.gracefullyShutdown(false);
      await database.close();
      logger.info('shutdown complete');
    })());
    return { server, services, database, shutdown };
  } catch (e) {
    await database.close();
    throw e;
  }
}
