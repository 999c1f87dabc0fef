import 'reflect-metadata';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import type { EmbeddedDatabase } from './src/persistence/embedded';
import type { Config } from './src/config';
import { ENTITIES } from './src/persistence/entities';
import { MIGRATIONS } from './src/persistence/migrations';

/**
 * The one DataSource definition, shared by the server, the migration CLI (src/cli/migrate.ts) and the
 * tests. PostgreSQL when DATABASE_URL is set; otherwise embedded PGlite (PostgreSQL compiled to WASM)
 * through its node-postgres adapter, so the same migrations and SQL serve both.
 *
 * `pglite` is the already-open embedded instance (the caller owns its lifetime and the directory lock:
 * see src/persistence/database.ts); it is required when DATABASE_URL is unset.
 */
export function createDataSource(config: Pick<Config, 'databaseUrl' | 'dbPoolSize'>, embedded?: EmbeddedDatabase): DataSource {
  const common = {
    type: 'postgres' as const,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    logging: ['error' as const],
  };
  if (config.databaseUrl) {
    return new DataSource({
      ...common,
      url: config.databaseUrl,
      poolSize: config.dbPoolSize,
      extra: { connectionTimeoutMillis: 5000, idleTimeoutMillis: 30_000, application_name: 'quest-arena' },
    });
  }
  if (!embedded) throw new Error('createDataSource: an embedded database is required when DATABASE_URL is unset');
  const pg = createPgConfig(embedded.asPGlite());
  // PGlite is single-connection: one pooled client, reused.
  return new DataSource({ ...common, poolSize: 1, extra: { connection: pg.connection, max: 1 } });
}

/** Where the embedded database keeps its files inside DATA_DIR. */
export function pgliteDir(dataDir: string): string {
  return path.join(dataDir, 'pglite');
}
