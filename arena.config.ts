import 'reflect-metadata';
import { createArena, type Arena } from './src/app';
import { ConfigError, loadConfig } from './src/config';
import { createLogger } from './src/logger';
import { DataDirLockedError } from './src/persistence/database';

/**
 * The server definition: `npm start` runs this file. It reads the configuration once, builds the arena
 * (database first, awaited, then rooms and routes), listens on PORT, and owns the process signals.
 */
export async function main(): Promise<Arena> {
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
