import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { openDatabase } from '../persistence/database';

/**
 * Migration CLI over the one DataSource definition: `run` applies pending migrations (the server also
 * does this at start), `revert` undoes the last one, `show` lists pending ones. Uses DATABASE_URL or the
 * embedded database in DATA_DIR (taking its lock, so never while a server runs on it).
 */
async function main(command: string | undefined): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const db = await openDatabase(config, logger, { migrate: command === 'run' });
  try {
    const ds = db.dataSource;
    if (command === 'revert') {
      await ds.undoLastMigration({ transaction: 'each' });
      logger.info('last migration reverted');
    } else if (command === 'show') {
      const rows: Array<{ name: string }> = (await ds.query(`SELECT to_regclass('migrations') AS t`))[0].t
        ? await ds.query('SELECT name FROM migrations ORDER BY id') : [];
      for (const r of rows) process.stdout.write(`[X] ${r.name}\n`);
      for (const m of ds.migrations.filter((m) => !rows.some((r) => r.name === m.name))) process.stdout.write(`[ ] ${m.name}\n`);
    } else if (command !== 'run') {
      throw new Error(`unknown command ${JSON.stringify(command)}: use run, revert or show`);
    }
  } finally {
    await db.close();
  }
}

main(process.argv[2]).catch((err) => {
  process.stderr.write(`migrate: ${err?.message ?? err}\n`);
  process.exit(1);
});
