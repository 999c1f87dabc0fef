import assert from 'node:assert/strict';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { Pool, type PoolConfig } from 'pg';
import { EmbeddedDatabase } from '../../src/persistence/embedded';
import { TEST_DATABASE_URL } from '../helpers/env';

/**
 * The embedded database on its own thread (src/persistence/embedded.ts), spoken to through node-postgres
 * exactly as TypeORM does. About the embedded database only: the PostgreSQL pass skips it.
 */
(TEST_DATABASE_URL ? describe.skip : describe)('the embedded database thread', function () {
  this.timeout(60_000);
  let db: EmbeddedDatabase;
  let pool: Pool;

  before(async () => {
    db = new EmbeddedDatabase();
    await db.waitReady;
    pool = new Pool({ ...createPgConfig(db.asPGlite()), max: 1 } as unknown as PoolConfig);
  });
  after(async () => {
    await pool?.end().catch(() => {});
    await db?.close();
  });

  it('answers simple and parameterised statements, and keeps a transaction together or not at all', async () => {
    assert.deepEqual((await pool.query('SELECT 1 + 1 AS two')).rows, [{ two: 2 }]);
    assert.deepEqual((await pool.query('SELECT $1::text || $2::text AS s', ['quest', 'arena'])).rows, [{ s: 'questarena' }]);
    await pool.query('CREATE TABLE kids (id int PRIMARY KEY, name text NOT NULL)');
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('INSERT INTO kids VALUES (1, $1)', ['ada']);
      await client.query('ROLLBACK');
      await client.query('BEGIN');
      await client.query('INSERT INTO kids VALUES (2, $1)', ['bo']);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    assert.deepEqual((await pool.query('SELECT id, name FROM kids ORDER BY id')).rows, [{ id: 2, name: 'bo' }]);
  });

  it('reports a failed statement as a PostgreSQL error with its SQLSTATE, and the connection stays usable', async () => {
    // Through a checked-out client released without an error, as TypeORM does: pg-pool's own pool.query()
    // discards a client after any failed statement, which PGlite's single shared connection cannot survive.
    const client = await pool.connect();
    try {
      await assert.rejects(client.query('INSERT INTO kids VALUES (2, $1)', ['again']), (e: { code?: string; message: string }) => {
        assert.equal(e.code, '23505'); // unique_violation
        assert.match(e.message, /duplicate key/);
        return true;
      });
      await assert.rejects(client.query('SELEC nonsense'), (e: { code?: string }) => e.code === '42601'); // syntax_error
      await assert.rejects(client.query('SELECT $1::int', ['x']), (e: { code?: string }) => e.code === '22P02'); // invalid_text_representation
      assert.deepEqual((await client.query('SELECT count(*)::int AS n FROM kids')).rows, [{ n: 1 }]);
    } finally {
      client.release();
    }
  });

  it('leaves the caller thread free while a statement runs (a timer set during a long query fires before it ends)', async () => {
    let ticked = false;
    const query = pool.query('SELECT count(*)::int AS n FROM generate_series(1, 3000000)');
    setTimeout(() => { ticked = true; }, 0);
    const { rows } = await query;
    assert.equal(rows[0].n, 3_000_000);
    // In the caller's thread the statement would run to its end first, and its reply would resolve in
    // microtasks ahead of any timer.
    assert.equal(ticked, true);
  });

  it('fails pending and later statements with a clear error when its thread stops, instead of hanging', async () => {
    const other = new EmbeddedDatabase();
    await other.waitReady;
    const otherPool = new Pool({ ...createPgConfig(other.asPGlite()), max: 1 } as unknown as PoolConfig);
    otherPool.on('error', () => {});
    try {
      const pending = otherPool.query('SELECT count(*) FROM generate_series(1, 3000000)');
      await (other as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
      await assert.rejects(pending, /embedded database thread stopped/);
      await assert.rejects(other.execProtocolStream(new Uint8Array([81, 0, 0, 0, 13, 83, 69, 76, 69, 67, 84, 32, 49, 0])), /embedded database thread stopped/);
    } finally {
      await otherPool.end().catch(() => {});
      await other.close();
      await other.close(); // twice is fine
    }
  });
});
