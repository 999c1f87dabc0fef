import assert from 'node:assert/strict';
import { testArena } from '../helpers/arena';

describe('database schema', () => {
  it('entities and migrations agree: the schema builder finds nothing to change', async () => {
    const t = await testArena();
    const ds = t.arena.database.dataSource;
    const pending = await ds.driver.createSchemaBuilder().log();
    assert.deepEqual(pending.upQueries.map((q) => q.query), []);
  });

  it('has every migration applied and none pending', async () => {
    const t = await testArena();
    const ds = t.arena.database.dataSource;
    assert.equal(await ds.showMigrations(), false);
    const rows: Array<{ name: string }> = await ds.query('SELECT name FROM migrations ORDER BY id');
    assert.deepEqual(rows.map((r) => r.name), ds.migrations.map((m) => m.name));
  });

  it('reverts and re-applies the migrations cleanly', async () => {
    const t = await testArena();
    const ds = t.arena.database.dataSource;
    for (let i = 0; i < ds.migrations.length; i++) await ds.undoLastMigration({ transaction: 'each' });
    const left: Array<{ n: number }> = await ds.query(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name <> 'migrations'`);
    assert.equal(left[0].n, 0);
    await ds.runMigrations({ transaction: 'each' });
    assert.deepEqual((await ds.driver.createSchemaBuilder().log()).upQueries, []);
  });
});
