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
