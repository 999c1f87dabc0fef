import assert from 'node:assert/strict';
import { runNamed } from '../../src/persistence/sql';
import { testArena, type TestArena } from '../helpers/arena';

/** Statements straight on TypeORM's pg pool (runNamed), on the embedded database and on PostgreSQL alike. */
describe('runNamed', () => {
  let t: TestArena;
  beforeEach(async () => { t = await testArena(); });

  it('answers a named statement again and again, and after a failed one the next answers are still its own', async () => {
    const db = t.arena.database.dataSource;
    const add = (a: number, b: number) => runNamed<{ sum: number }>(db, 'test_sql_add', 'SELECT $1::int + $2::int AS "sum"', [a, b]);
    for (let i = 0; i < 3; i++) assert.deepEqual(await add(i, 1), [{ sum: i + 1 }]);
    for (let i = 0; i < 3; i++) {
      await assert.rejects(add('x' as never, 1), (e: { code?: string }) => e.code === '22P02'); // invalid_text_representation
      await assert.rejects(runNamed(db, 'test_sql_broken', 'SELEC nonsense', []), (e: { code?: string }) => e.code === '42601');
      // A connection that kept a failed statement's reply would hand it to the next statement.
      assert.deepEqual(await add(10, i), [{ sum: 10 + i }]);
      assert.deepEqual(await db.query('SELECT $1::text AS "s"', [`typeorm ${i}`]), [{ s: `typeorm ${i}` }]);
    }
  });

  it('gives each of many statements in flight its own answer while some of them fail', async () => {
    const db = t.arena.database.dataSource;
    const results = await Promise.allSettled(Array.from({ length: 40 }, (_, i) =>
      runNamed<{ n: number }>(db, 'test_sql_echo', 'SELECT $1::int AS "n"', [i % 4 === 3 ? 'not a number' : i])));
    results.forEach((r, i) => {
      if (i % 4 === 3) assert.equal(r.status === 'rejected' && (r.reason as { code?: string }).code, '22P02', `statement ${i}`);
      else assert.deepEqual(r.status === 'fulfilled' && r.value, [{ n: i }], `statement ${i}`);
    });
  });
});
