import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { BattleRecord } from '../../src/domain/battleRecord';
import { testArena, type TestArena } from '../helpers/arena';
import { battleRecord } from '../helpers/battles';
import { api, parentWithChild, registerUser, type TestUser } from '../helpers/factories';

describe('battles over HTTP', () => {
  let t: TestArena;
  beforeEach(async () => { t = await testArena(); });

  /** A two-player battle ended `minutesAgo` minutes ago; `first` wins. */
  async function finished(first: TestUser, second: TestUser, minutesAgo: number, overrides: Partial<BattleRecord> = {}): Promise<BattleRecord> {
    const record = battleRecord([
      { userId: first.user.id, username: first.user.username, score: 2000, correct: 2 },
      { userId: second.user.id, username: second.user.username, score: 900, correct: 1 },
    ], { endedAt: new Date(Date.now() - minutesAgo * 60_000), ...overrides });
    await t.arena.services.battles.finish(record);
    return record;
  }

  describe('GET /me/battles', () => {
    it('pages the caller’s battles newest first with limit and before', async () => {
      const me = await registerUser(t);
      const other = await registerUser(t);
      const records: BattleRecord[] = [];
      for (let i = 0; i < 5; i++) records.push(await finished(i % 2 === 0 ? me : other, i % 2 === 0 ? other : me, 50 - i * 10));
      const newestFirst = records.map((r) => r.battleId).reverse();

      const all = await api(t, 'GET', '/me/battles', { token: me.token });
      assert.equal(all.status, 200);
      assert.deepEqual(Object.keys(all.body), ['items']);
      assert.deepEqual(all.body.items.map((i: any) => i.battleId), newestFirst);

      const page1 = await api(t, 'GET', '/me/battles?limit=2', { token: me.token });
      assert.deepEqual(page1.body.items.map((i: any) => i.battleId), newestFirst.slice(0, 2));
      const page2 = await api(t, 'GET', `/me/battles?limit=2&before=${encodeURIComponent(page1.body.items[1].endedAt)}`, { token: me.token });
      assert.deepEqual(page2.body.items.map((i: any) => i.battleId), newestFirst.slice(2, 4));
      const page3 = await api(t, 'GET', `/me/battles?limit=2&before=${encodeURIComponent(page2.body.items[1].endedAt)}`, { token: me.token });
      assert.deepEqual(page3.body.items.map((i: any) => i.battleId), newestFirst.slice(4));
      const page4 = await api(t, 'GET', `/me/battles?limit=2&before=${encodeURIComponent(page3.body.items[0].endedAt)}`, { token: me.token });
      assert.deepEqual(page4.body.items, []);

      // The newest battle (index 4) was won by `me`, the one before it (index 3) lost.
      const [won, lost] = all.body.items;
      assert.deepEqual(Object.keys(won).sort(), ['battleId', 'coins', 'endedAt', 'placement', 'ratingDelta', 'score', 'xp']);
      assert.equal(won.endedAt, records[4].endedAt.toISOString());
      assert.deepEqual([won.placement, won.score, won.xp, won.coins], [1, 2000, 20 + 20 + 50, 20 + 30]);
      assert.ok(won.ratingDelta > 0);
      assert.deepEqual([lost.placement, lost.score, lost.xp, lost.coins], [2, 900, 30, 20]);
      assert.ok(lost.ratingDelta < 0);
    });

    it('shows only the caller’s battles, and an empty list to a parent', async () => {
      const x = await registerUser(t);
      const y = await registerUser(t);
      const z = await registerUser(t);
      await finished(x, y, 1);
      assert.equal((await api(t, 'GET', '/me/battles', { token: z.token })).body.items.length, 0);
      assert.equal((await api(t, 'GET', '/me/battles', { token: y.token })).body.items.length, 1);
      const parent = await registerUser(t, { role: 'parent' });
      assert.deepEqual((await api(t, 'GET', '/me/battles', { token: parent.token })).body, { items: [] });
    });

    it('defaults to 20 items', async () => {
      const me = await registerUser(t);
      const other = await registerUser(t);
      for (let i = 0; i < 21; i++) await finished(me, other, 100 - i);
      assert.equal((await api(t, 'GET', '/me/battles', { token: me.token })).body.items.length, 20);
      assert.equal((await api(t, 'GET', '/me/battles?limit=50', { token: me.token })).body.items.length, 21);
    });

    it('answers 400 VALIDATION_FAILED for a bad limit or before, and 401 without a token', async () => {
      const me = await registerUser(t);
      for (const query of ['limit=0', 'limit=51', 'limit=abc', 'limit=2.5', 'before=yesterday', 'before=2025-13-01T00:00:00Z', 'limit=1&limit=2', 'page=2']) {
        const res = await api(t, 'GET', `/me/battles?${query}`, { token: me.token });
        assert.equal(res.status, 400, query);
        assert.equal(res.body.error.code, 'VALIDATION_FAILED', query);
      }
      assert.equal((await api(t, 'GET', '/me/battles')).status, 401);
    });
  });

  describe('GET /battles/:id', () => {
    it('shows a battle to its participants in the contract shape', async () => {
      const winner = await registerUser(t);
      const loser = await registerUser(t);
      const record = await finished(winner, loser, 3, { mode: 'private', subject: 'science' });
      for (const viewer of [winner, loser]) {
        const res = await api(t, 'GET', `/battles/${record.battleId}`, { token: viewer.token });
        assert.equal(res.status, 200);
        assert.deepEqual(Object.keys(res.body).sort(), ['endedAt', 'id', 'mode', 'participants', 'rounds', 'startedAt', 'subject']);
        assert.equal(res.body.id, record.battleId);
        assert.equal(res.body.mode, 'private');
        assert.equal(res.body.subject, 'science');
        assert.equal(res.body.rounds, 3);
        assert.equal(res.body.startedAt, record.startedAt.toISOString());
        assert.equal(res.body.endedAt, record.endedAt.toISOString());
        assert.equal(res.body.participants.length, 2);
        const [p1, p2] = res.body.participants;
        assert.deepEqual(Object.keys(p1).sort(), ['coins', 'placement', 'ratingAfter', 'ratingBefore', 'score', 'userId', 'username', 'xp']);
        assert.deepEqual([p1.userId, p1.username, p1.score, p1.placement, p1.ratingBefore, p1.xp, p1.coins], [winner.user.id, winner.user.username, 2000, 1, 1500, 90, 50]);
        assert.deepEqual([p2.userId, p2.placement, p2.ratingBefore], [loser.user.id, 2, 1500]);
        assert.ok(p1.ratingAfter > 1500 && p2.ratingAfter < 1500);
        assert.ok(Number.isInteger(p1.ratingAfter));
      }
    });

    it('shows a battle to a parent linked to a participant, and to no other parent or student', async () => {
      const { parent, child } = await parentWithChild(t);
      const rival = await registerUser(t);
      const record = await finished(rival, child, 2);
      assert.equal((await api(t, 'GET', `/battles/${record.battleId}`, { token: parent.token })).status, 200);

      const stranger = await registerUser(t);
      const other = await parentWithChild(t);
      for (const viewer of [stranger, other.parent, other.child]) {
        const res = await api(t, 'GET', `/battles/${record.battleId}`, { token: viewer.token });
        assert.equal(res.status, 403);
        assert.equal(res.body.error.code, 'FORBIDDEN');
      }
    });

    it('answers 404 BATTLE_NOT_FOUND for an unknown id and 400 for a malformed one', async () => {
      const me = await registerUser(t);
      const missing = await api(t, 'GET', `/battles/${randomUUID()}`, { token: me.token });
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.code, 'BATTLE_NOT_FOUND');
      const bad = await api(t, 'GET', '/battles/not-a-uuid', { token: me.token });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'VALIDATION_FAILED');
      assert.equal((await api(t, 'GET', `/battles/${randomUUID()}`)).status, 401);
    });
  });
});
