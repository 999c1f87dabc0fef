import assert from 'node:assert/strict';
import { Client as PgClient } from 'pg';
import { testArena, type TestArena } from '../helpers/arena';
import { registerUser, type TestUser } from '../helpers/factories';

describe('NotificationService', () => {
  let t: TestArena;
  let alice: TestUser;
  beforeEach(async () => {
    t = await testArena();
    alice = await registerUser(t);
  });

  describe('inbox (what a personal room reads when a tab joins)', () => {
    /** Five notifications, oldest first: delivered+unread, undelivered+read, undelivered+unread, delivered+read, undelivered+unread. */
    async function fiveOfAlice() {
      const s = t.arena.services.notifications;
      const n = [];
      for (const title of ['one', 'two', 'three', 'four', 'five']) {
        // One after the other, often in the same millisecond of the embedded database's clock: the order is
        // the order they were stored in all the same.
        n.push(await s.notify(alice.user.id, { kind: 'reward', title, data: { title } }));
      }
      await s.markDelivered(alice.user.id, [n[0].id, n[3].id]);
      await s.markRead(alice.user.id, [n[1].id, n[3].id]);
      return n;
    }

    it('reads the undelivered ones oldest first with their read flags, and the unread ids oldest first, in one statement', async () => {
      const n = await fiveOfAlice();
      const bob = await registerUser(t);
      await t.arena.services.notifications.notify(bob.user.id, { kind: 'reward', title: 'not alice\'s' });
      const statements: string[] = [];
      // Counted where every statement goes, TypeORM's and runNamed's alike: pg's Client.
      const clientQuery = PgClient.prototype.query;
      PgClient.prototype.query = function (this: PgClient, ...args: unknown[]) {
        statements.push(typeof args[0] === 'string' ? args[0] : (args[0] as { text: string }).text);
        return (clientQuery as (...a: unknown[]) => unknown).apply(this, args);
      } as typeof clientQuery;
      try {
        const inbox = await t.arena.services.notifications.inbox(alice.user.id, 100, 1000);
        assert.equal(statements.length, 1);
        assert.deepEqual(inbox.undelivered.map((v) => [v.title, v.read]), [['two', true], ['three', false], ['five', false]]);
        assert.deepEqual(inbox.undelivered[1], { ...n[2], read: false }, 'the same view as delivered live');
        assert.deepEqual(inbox.unreadIds, [n[0].id, n[2].id, n[4].id]);
      } finally {
        PgClient.prototype.query = clientQuery;
      }
    });

    it('keeps to its limits: the oldest undelivered, the newest unread', async () => {
      const n = await fiveOfAlice();
      const s = t.arena.services.notifications;
      const capped = await s.inbox(alice.user.id, 2, 2);
      assert.deepEqual(capped.undelivered.map((v) => v.title), ['two', 'three']);
      assert.deepEqual(capped.unreadIds, [n[2].id, n[4].id]);
      const undeliveredOnly = await s.inbox(alice.user.id, 100, 0);
      assert.deepEqual(undeliveredOnly.unreadIds, []);
      assert.deepEqual(await s.undelivered(alice.user.id), undeliveredOnly.undelivered);
      assert.deepEqual(await s.inbox(alice.user.id, 0, 0), { undelivered: [], unreadIds: [] });
    });
  });

  describe('order', () => {
    it('keeps the notifications of one transaction in the order they were stored: oldest first on join, newest first in the list', async () => {
      const s = t.arena.services.notifications;
      const titles = ['result', 'reward', 'achievement', 'level_up', 'rating', 'quest'];
      const stored = await t.arena.database.dataSource.transaction((m) => s.store(m, titles.map((title) => ({ userId: alice.user.id, kind: 'reward', title }))));
      // One transaction: one instant for all of them (PostgreSQL's now() is the transaction's start).
      assert.equal(new Set(stored.map((v) => v.createdAt)).size, 1);
      const inbox = await s.inbox(alice.user.id, 100, 1000);
      assert.deepEqual(inbox.undelivered.map((v) => v.title), titles);
      assert.deepEqual(inbox.unreadIds, stored.map((v) => v.id));
      const capped = await s.inbox(alice.user.id, 2, 2);
      assert.deepEqual(capped.undelivered.map((v) => v.title), ['result', 'reward']);
      assert.deepEqual(capped.unreadIds, [stored[4].id, stored[5].id]);
      assert.deepEqual((await s.recent(alice.user.id)).map((v) => v.title), [...titles].reverse());
      assert.deepEqual((await s.recent(alice.user.id, 2)).map((v) => v.title), ['quest', 'rating']);
    });
  });
});
