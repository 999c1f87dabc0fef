import assert from 'node:assert/strict';
import { testArena } from '../helpers/arena';
import { registerUser } from '../helpers/factories';

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

  it('numbers the notifications stored before the sequence in the order they were shown, and new ones after them', async () => {
    const t = await testArena();
    const ds = t.arena.database.dataSource;
    const alice = await registerUser(t);
    assert.equal(ds.migrations.at(-1)!.name, 'NotificationSequence1764892800000');
    await ds.undoLastMigration({ transaction: 'each' });
    try {
      // Ids in the opposite order of their times, and two at the same instant (ordered by id until now).
      const rows: Array<[string, string]> = [
        ['ffffffff-0000-4000-8000-000000000001', '2026-01-01T10:00:00Z'],
        ['eeeeeeee-0000-4000-8000-000000000002', '2026-01-01T10:00:01Z'],
        ['cccccccc-0000-4000-8000-000000000004', '2026-01-01T10:00:02Z'],
        ['dddddddd-0000-4000-8000-000000000003', '2026-01-01T10:00:02Z'],
      ];
      for (const [id, at] of rows) {
        await ds.query(`INSERT INTO "notifications" ("id", "user_id", "kind", "title", "created_at") VALUES ($1, $2, 'reward', $3, $4)`, [id, alice.user.id, `made at ${at}`, at]);
      }
    } finally {
      await ds.runMigrations({ transaction: 'each' });
    }
    const numbered: Array<{ id: string; seq: string }> = await ds.query(`SELECT "id", "seq" FROM "notifications" ORDER BY "seq"`);
    assert.deepEqual(numbered.map((r) => [r.id.slice(0, 8), Number(r.seq)]), [['ffffffff', 1], ['eeeeeeee', 2], ['cccccccc', 3], ['dddddddd', 4]]);
    const [next] = await t.arena.services.notifications.store(ds.manager, [{ userId: alice.user.id, kind: 'reward', title: 'new' }]);
    const [row]: Array<{ seq: string }> = await ds.query(`SELECT "seq" FROM "notifications" WHERE "id" = $1`, [next.id]);
    assert.equal(Number(row.seq), 5);
    await assert.rejects(ds.query(`INSERT INTO "notifications" ("id", "user_id", "kind", "title", "seq") VALUES (gen_random_uuid(), $1, 'reward', 'x', 99)`, [alice.user.id]), /seq/, 'the database alone numbers them');
    assert.deepEqual((await ds.driver.createSchemaBuilder().log()).upQueries, []);
  });
});
