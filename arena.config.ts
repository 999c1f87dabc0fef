import 'reflect-metadata';
import v8 from 'node:v8';
import { createArena, type Arena } from './src/app';
import { ConfigError, loadConfig } from './src/config';
import { createLogger } from './src/logger';
import { DataDirLockedError } from './src/persistence/database';

/**
 * The server definition: `npm start` runs this file. It reads the configuration once, builds the arena
 * (database first, awaited, then rooms and routes), listens on PORT, and owns the process signals.
 */
export async function main(): Promise<Arena> {
  tuneCollector();
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const arena = await createArena(config, logger);
  await arena.server.listen(config.port, config.host);
  logger.info({ port: config.port, database: arena.database.kind, presence: config.redisUrl ? 'redis' : 'local', monitor: Boolean(config.monitorPassword) },
    `Quest Arena listening on http://localhost:${config.port}`);
  if (!config.monitorPassword) logger.info('monitor not mounted: set MONITOR_PASSWORD to enable /colyseus');

  let exiting = false;
  const stop = (signal: string) => {
    if (exiting) return;
    exiting = true;
    logger.info({ signal }, 'signal received');
    const hardStop = setTimeout(() => {
      logger.error({ graceMs: config.shutdownGraceMs }, 'shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownGraceMs + 10_000);
    hardStop.unref();
    arena.shutdown().then(() => process.exit(0), (err) => {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return arena;
}

/**
 * V8's memory reducer, once a busy process goes quiet, runs a full collection that "reduces the memory
 * footprint": it compacts every page and gives the freed memory back at once. On this project's 2-core
 * machine that one collection held the event loop 172 ms after a load peak, where every other full
 * collection took at most 34 ms (docs/benchmarks.md, 2026-12-04): a stall that every player in a
 * battle feels just when the traffic drops. With this flag the reducer still collects when the process
 * goes quiet, as an ordinary full collection (19 ms there), and the heap still shrinks, less at once
 * (its committed size 559 -> 271 MB there, against 547 -> 124 MB with the reducing collection). V8 reads
 * the flag at each collection, so setting it here, before the arena starts, covers every way the server
 * is started (npm start, the cluster, tests, benchmarks).
 */
function tuneCollector(): void {
  v8.setFlagsFromString('--no-memory-reducer-favors-memory');
}

if (require.main === module) {
  main().catch((err) => {
    if (err instanceof ConfigError || err instanceof DataDirLockedError) {
      process.stderr.write(`Quest Arena cannot start: ${err.message}\n`);
    } else {
      process.stderr.write(`Quest Arena failed to start: ${err?.stack ?? err}\n`);
    }
    process.exit(1);
  });
}
