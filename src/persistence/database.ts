import fs from 'node:fs';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { createDataSource, pgliteDir } from '../../ormconfig';
import { EmbeddedDatabase } from './embedded';

/** An open, migrated database and the way to close it (and release the directory lock). */
export interface Database {
  dataSource: DataSource;
  kind: 'postgres' | 'pglite';
  close(): Promise<void>;
}

export class DataDirLockedError extends Error {
  constructor(dir: string, pid: number) {
    super(`DATA_DIR ${dir} is in use by another Quest Arena process (pid ${pid}). ` +
      'Stop it first, or point DATA_DIR elsewhere; two processes on one embedded database would corrupt it.');
    this.name = 'DataDirLockedError';
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes an exclusive lock on DATA_DIR: PGlite has none of its own, and two writers corrupt its files.
 * The lock file holds the owner's pid; a lock left behind by a dead process is taken over.
 */
export function acquireDirLock(dir: string): () => void {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, '.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          if (fs.readFileSync(file, 'utf8') === String(process.pid)) fs.unlinkSync(file);
        } catch { /* already gone */ }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number.parseInt(fs.readFileSync(file, 'utf8'), 10);
      if (Number.isInteger(owner) && owner !== process.pid && pidAlive(owner)) throw new DataDirLockedError(dir, owner);
      fs.rmSync(file, { force: true }); // stale: its owner is gone
    }
  }
  throw new Error(`could not take the lock ${file}`);
}

/** Runs `attempt` until it succeeds, waiting longer after each failure (TypeORM has no connect retry). */
export async function withBackoff<T>(
  attempt: () => Promise<T>,
  opts: { retries: number; initialMs: number; maxMs: number; onRetry?: (err: unknown, n: number, waitMs: number) => void },
): Promise<T> {
  let wait = opts.initialMs;
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (n > opts.retries) throw err;
      opts.onRetry?.(err, n, wait);
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(opts.maxMs, wait * 2);
    }
  }
}

/** Advisory-lock key serialising migrations across processes (any constant unique to this app). */
const MIGRATION_LOCK_KEY = 7_204_613_991;

/**
 * Applies pending migrations. On a PostgreSQL server several processes may start at once (a cluster):
 * they queue on an advisory lock so one migrates and the others then find nothing to do. PGlite needs no
 * such lock (the DATA_DIR lock already keeps it to one process) and could not take it anyway: its single
 * connection is the one the migrations need.
 */
async function migrate(dataSource: DataSource, shared: boolean) {
  if (!shared) return dataSource.runMigrations({ transaction: 'each' });
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    return await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
    await runner.release();
  }
}

/**
 * Opens the configured database, waits for it (with backoff), and applies pending migrations.
 * `embedded` lets tests share one in-memory embedded instance per process.
 */
export async function openDatabase(
  config: Pick<Config, 'databaseUrl' | 'dbPoolSize' | 'dataDir'>,
  logger: Logger,
  options: { embedded?: EmbeddedDatabase; retries?: number; migrate?: boolean } = {},
): Promise<Database> {
  let release = (): void => {};
  let ownEmbedded: EmbeddedDatabase | undefined;
  let embedded = options.embedded;
  if (!config.databaseUrl && !embedded) {
    release = acquireDirLock(config.dataDir);
    try {
      ownEmbedded = embedded = new EmbeddedDatabase(pgliteDir(config.dataDir));
      await embedded.waitReady;
    } catch (e) {
      await ownEmbedded?.close().catch(() => {});
      release();
      throw e;
    }
  }
  const dataSource = createDataSource(config, embedded);
  try {
    await withBackoff(() => dataSource.initialize(), {
      retries: options.retries ?? 8,
      initialMs: 250,
      maxMs: 5000,
      onRetry: (err, n, waitMs) => logger.warn({ err: String(err), attempt: n, waitMs }, 'database not reachable yet; retrying'),
    });
    const applied = options.migrate === false ? [] : await migrate(dataSource, Boolean(config.databaseUrl));
    if (applied.length > 0) logger.info({ migrations: applied.map((m) => m.name) }, 'migrations applied');
  } catch (e) {
    if (dataSource.isInitialized) await dataSource.destroy().catch(() => {});
    await ownEmbedded?.close().catch(() => {});
    release();
    throw e;
  }
  return {
    dataSource,
    kind: config.databaseUrl ? 'postgres' : 'pglite',
    async close() {
      if (dataSource.isInitialized) await dataSource.destroy();
      await ownEmbedded?.close();
      release();
    },
  };
}
