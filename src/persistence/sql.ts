import type { Pool, QueryResultRow } from 'pg';
import type { DataSource } from 'typeorm';

/** Anything that runs parameterised SQL: a DataSource, an EntityManager or a migration's QueryRunner. */
export interface SqlRunner {
  query(sql: string, parameters?: unknown[]): Promise<any>;
}

/**
 * `($1, $2::jsonb), ($3, $4::jsonb), …` for a multi-row INSERT of `rowCount` rows; `casts[i]` (e.g.
 * 'jsonb') is appended to column i. One statement per batch keeps round trips few inside transactions.
 */
export function valuesList(rowCount: number, casts: ReadonlyArray<string | undefined>): string {
  const rows: string[] = [];
  let n = 0;
  for (let r = 0; r < rowCount; r++) {
    rows.push(`(${casts.map((c) => `$${++n}${c ? `::${c}` : ''}`).join(', ')})`);
  }
  return rows.join(', ');
}

/** Splits `items` into batches of at most `size` (PostgreSQL allows 65535 parameters per statement). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The pg pool under `db`: TypeORM's postgres driver keeps it as `driver.master`, for PGlite's adapter as for PostgreSQL. */
export function poolOf(db: DataSource): Pool {
  return (db.driver as unknown as { master: Pool }).master;
}

/**
 * One statement straight on that pool, as a named prepared statement (parsed once per connection), for
 * what a busy server runs per message or per join: TypeORM's QueryRunner around a query allocated about
 * 15 KB against 9 KB on the pool alone, and the database's parse of each statement was a third of its
 * wall time (the mark_read UPDATE, 4 at a time: 0.27 against 0.19 ms a statement). Same pool and limits
 * (PGlite's single connection too); errors are pg's own, not wrapped in TypeORM's QueryFailedError. The
 * client goes back to the pool without an error even when the statement failed, as TypeORM's do: pg-pool's
 * own `pool.query()` would discard it, and the embedded database's adapter shares one connection between
 * clients (a broken connection is discarded by pg-pool all the same). `name` must be unique to `text`:
 * a connection keeps the first text it saw under a name.
 */
export async function runNamed<R extends QueryResultRow>(db: DataSource, name: string, text: string, values: unknown[]): Promise<R[]> {
  const client = await poolOf(db).connect();
  try {
    return (await client.query<R>({ name, text, values })).rows;
  } finally {
    client.release();
  }
}
