import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { BattleRecord, BattleResult } from '../../src/domain/battleRecord';
import { initialRating, rateBattle } from '../../src/domain/glicko2';
import { levelForXp } from '../../src/domain/levels';
import { computeRewards } from '../../src/domain/rewards';
import { isDomainError } from '../../src/errors';
import { notificationChannel, type NotificationView } from '../../src/services/NotificationService';
import { testArena, type TestArena } from '../helpers/arena';
import { battleRecord } from '../helpers/battles';
import { registerUser, type TestUser } from '../helpers/factories';

interface UserRow {
  xp: number; coins: number; level: number; battles: number; wins: number;
  rating: number; rating_deviation: number; rating_volatility: number; rated_at: Date | null;
}

describe('BattleService', () => {
  let t: TestArena;
  let a: TestUser;
  let b: TestUser;
  let c: TestUser;

  const q = (sql: string, params: unknown[] = []) => t.arena.database.dataSource.query(sql, params);
  const count = async (table: string, where = 'true', params: unknown[] = []): Promise<number> =>
    (await q(`SELECT count(*)::int AS n FROM "${table}" WHERE ${where}`, params))[0].n;
  const userRow = async (u: TestUser): Promise<UserRow> =>
    (await q(`SELECT "xp", "coins", "level", "battles", "wins", "rating", "rating_deviation", "rating_volatility", "rated_at" FROM "users" WHERE "id" = $1`, [u.user.id]))[0];
  const notificationsOf = async (u: TestUser): Promise<Array<{ kind: string; data: any }>> =>
    q(`SELECT "kind", "data" FROM "notifications" WHERE "user_id" = $1 ORDER BY "kind", "created_at"`, [u.user.id]);

  /** A: 3/3 right and first; B: 2/3, second; C: 0/3, third. */
  const threePlayers = (overrides: Partial<BattleRecord> = {}) => battleRecord([
    { userId: a.user.id, username: a.user.username, score: 3300, correct: 3 },
    { userId: b.user.id, username: b.user.username, score: 2100, correct: 2 },
    { userId: c.user.id, username: c.user.username, score: 0, correct: 0 },
  ], overrides);

  beforeEach(async () => {
    t = await testArena();
    [a, b, c] = await Promise.all([registerUser(t), registerUser(t), registerUser(t)]);
  });

  describe('finish', () => {
    it('stores the battle, its participants, its answer log and the reward ledger', async () => {
      const record = threePlayers();
      await t.arena.services.battles.finish(record);

      const [battle] = await q(`SELECT * FROM "battles" WHERE "id" = $1`, [record.battleId]);
      assert.equal(battle.mode, 'quick');
      assert.equal(battle.subject, 'math');
      assert.equal(battle.rated, true);
      assert.equal(battle.seed, record.seed);
      assert.equal(battle.rounds, 3);
      assert.equal(battle.question_ms, 15_000);
      assert.deepEqual(battle.questions, record.questions);
      assert.deepEqual(battle.bots, []);
      assert.equal(battle.winner_user_id, a.user.id);
      assert.equal(new Date(battle.started_at).getTime(), record.startedAt.getTime());
      assert.equal(new Date(battle.ended_at).getTime(), record.endedAt.getTime());

      const parts = await q(`SELECT "user_id", "username", "score", "placement", "correct_answers", "forfeited", "xp", "coins" FROM "battle_participants" WHERE "battle_id" = $1 ORDER BY "placement"`, [record.battleId]);
      assert.deepEqual(parts.map((p: any) => [p.user_id, p.username, p.score, p.placement, p.correct_answers, p.forfeited]), [
        [a.user.id, a.user.username, 3300, 1, 3, false],
        [b.user.id, b.user.username, 2100, 2, 2, false],
        [c.user.id, c.user.username, 0, 3, 0, false],
      ]);

      assert.equal(await count('battle_answers', '"battle_id" = $1', [record.battleId]), 9);
      const answer = (await q(`SELECT * FROM "battle_answers" WHERE "battle_id" = $1 AND "user_id" = $2 AND "round" = 3`, [record.battleId, b.user.id]))[0];
      assert.deepEqual([answer.choice, answer.correct, answer.elapsed_ms, answer.points], [0, false, 1030, 0]);

      const ledger = await q(`SELECT "user_id", "kind", "xp", "coins" FROM "reward_ledger" WHERE "battle_id" = $1`, [record.battleId]);
      for (const p of record.participants) {
        const expected = computeRewards({ placement: p.placement, playerCount: 3, correctAnswers: p.correctAnswers, rounds: 3, won: p.placement === 1, rated: true });
        const lines = ledger.filter((l: any) => l.user_id === p.userId).map((l: any) => ({ kind: l.kind, xp: l.xp, coins: l.coins }));
        assert.deepEqual(lines.sort((x: any, y: any) => x.kind.localeCompare(y.kind)), expected.items.slice().sort((x, y) => x.kind.localeCompare(y.kind)));
      }
      // Literal spot check: the perfect winner gets participation 20 + 3×10 + win 50 + perfect 25 XP, and 20 + 30 + 10 coins.
      assert.deepEqual(parts[0].xp, 125);
      assert.deepEqual(parts[0].coins, 60);
    });

    it("applies XP, coins, level, stats and Glicko-2 ratings as the pure rules compute them", async () => {
      const record = threePlayers();
      const result = await t.arena.services.battles.finish(record);

      const rated = rateBattle(record.participants.map((p) => ({ id: p.userId, placement: p.placement, rating: initialRating() })));
      const users = [a, b, c];
      for (const [i, u] of users.entries()) {
        const p = record.participants.find((x) => x.userId === u.user.id)!;
        const rewards = computeRewards({ placement: p.placement, playerCount: 3, correctAnswers: p.correctAnswers, rounds: 3, won: i === 0, rated: true });
        const row = await userRow(u);
        const r = rated.get(u.user.id)!;
        assert.equal(row.xp, rewards.xp, `xp of player ${i}`);
        assert.equal(row.coins, rewards.coins, `coins of player ${i}`);
        assert.equal(row.level, levelForXp(rewards.xp));
        assert.equal(row.battles, 1);
        assert.equal(row.wins, i === 0 ? 1 : 0);
        assert.ok(Math.abs(row.rating - r.rating) < 1e-9, `rating of player ${i}: ${row.rating} vs ${r.rating}`);
        assert.ok(Math.abs(row.rating_deviation - r.deviation) < 1e-9);
        assert.ok(Math.abs(row.rating_volatility - r.volatility) < 1e-12);
        assert.equal(new Date(row.rated_at!).getTime(), record.endedAt.getTime());
        const standing = result.standings[i];
        assert.deepEqual(standing, {
          userId: u.user.id, username: u.user.username, score: p.score, placement: i + 1,
          ratingBefore: 1500, ratingAfter: Math.round(r.rating), xp: rewards.xp, coins: rewards.coins,
        });
      }
      // Literal spot checks: 125 XP reaches level 2; the middle player beat one equal and lost to another,
      // so their rating does not move while the winner's rises and the last one's falls symmetrically.
      const [ra, rb, rc] = [await userRow(a), await userRow(b), await userRow(c)];
      assert.equal(ra.level, 2);
      assert.equal(Math.round(rb.rating), 1500);
      assert.ok(ra.rating > 1600 && rc.rating < 1400, `${ra.rating} / ${rc.rating}`);
      assert.ok(Math.abs((ra.rating - 1500) + (rc.rating - 1500)) < 1e-6);
      assert.equal(result.winnerUserId, a.user.id);
      assert.equal(result.battleId, record.battleId);

      const me = await t.arena.services.accounts.me(a.user.id);
      assert.deepEqual({ level: me.level, xp: me.xp, coins: me.coins, stats: me.stats }, { level: 2, xp: 125, coins: 60, stats: { battles: 1, wins: 1 } });
    });

    it('rates from the players’ current ratings, not the defaults', async () => {
      await q(`UPDATE "users" SET "rating" = 1800, "rating_deviation" = 60, "rating_volatility" = 0.05 WHERE "id" = $1`, [c.user.id]);
      const record = threePlayers();
      const result = await t.arena.services.battles.finish(record);
      const expected = rateBattle([
        { id: a.user.id, placement: 1, rating: initialRating() },
        { id: b.user.id, placement: 2, rating: initialRating() },
        { id: c.user.id, placement: 3, rating: { rating: 1800, deviation: 60, volatility: 0.05 } },
      ]);
      assert.ok(Math.abs((await userRow(c)).rating - expected.get(c.user.id)!.rating) < 1e-9);
      assert.ok(Math.abs((await userRow(a)).rating - expected.get(a.user.id)!.rating) < 1e-9);
      assert.equal(result.standings[2].ratingBefore, 1800);
    });

    it('applies a battle once when finished twice in a row, and answers the same result', async () => {
      const record = threePlayers();
      const first = await t.arena.services.battles.finish(record);
      const after = await Promise.all([a, b, c].map(userRow));
      const second = await t.arena.services.battles.finish(record);
      assert.deepEqual(second, first);
      assert.deepEqual(await Promise.all([a, b, c].map(userRow)), after);
      assert.equal(await count('battles'), 1);
      assert.equal(await count('battle_participants'), 3);
      assert.equal(await count('battle_answers'), 9);
      assert.equal(await count('reward_ledger'), 5 + 3 + 2); // A: all five kinds; B: no win/perfect; C: no correct_answers either
      assert.equal(await count('notifications', `"kind" = 'reward'`), 3);
    });

    it('applies a battle once when finished concurrently', async () => {
      const record = threePlayers();
      const results: BattleResult[] = await Promise.all([1, 2, 3, 4].map(() => t.arena.services.battles.finish(record)));
      for (const r of results) assert.deepEqual(r, results[0]);
      const ra = await userRow(a);
      assert.equal(ra.xp, 125);
      assert.equal(ra.coins, 60);
      assert.equal(ra.battles, 1);
      assert.equal(ra.wins, 1);
      assert.equal(await count('battles'), 1);
      assert.equal(await count('reward_ledger', '"user_id" = $1', [a.user.id]), 5);
      assert.equal(await count('notifications', `"kind" = 'rating_change'`), 3);
    });

    it('applies different battles sharing players concurrently, each once, without deadlocking', async () => {
      // Overlapping pairs in every order: each finish locks its players in id order, so none waits in a cycle.
      const pair = (x: TestUser, y: TestUser) => battleRecord([
        { userId: x.user.id, username: x.user.username, score: 2000, correct: 2 },
        { userId: y.user.id, username: y.user.username, score: 1000, correct: 1 },
      ]);
      const records = [pair(a, b), pair(b, c), pair(c, a), pair(b, a), pair(c, b), pair(a, c), threePlayers(), threePlayers()];
      await Promise.all(records.map((r) => t.arena.services.battles.finish(r)));
      assert.equal(await count('battles'), 8);
      for (const u of [a, b, c]) {
        const row = await userRow(u);
        assert.equal(row.battles, 6);
        const [{ xp }] = await q(`SELECT sum("xp")::int AS xp FROM "reward_ledger" WHERE "user_id" = $1`, [u.user.id]);
        assert.equal(row.xp, xp, 'the users\' XP is the sum of their ledger lines');
      }
      assert.equal((await userRow(a)).wins, 2 + 2);
    });

    it('gives no winner and no win bonus on a tie for first', async () => {
      const record = battleRecord([
        { userId: a.user.id, username: a.user.username, score: 2000, correct: 2 },
        { userId: b.user.id, username: b.user.username, score: 2000, correct: 2 },
        { userId: c.user.id, username: c.user.username, score: 500, correct: 1 },
      ]);
      const result = await t.arena.services.battles.finish(record);
      assert.equal(result.winnerUserId, '');
      assert.deepEqual(result.standings.map((s) => s.placement), [1, 1, 3]);
      assert.equal(await count('reward_ledger', `"kind" = 'win'`), 0);
      const tied = computeRewards({ placement: 1, playerCount: 3, correctAnswers: 2, rounds: 3, won: false, rated: true });
      for (const u of [a, b]) {
        const row = await userRow(u);
        assert.equal(row.wins, 0);
        assert.equal(row.battles, 1);
        assert.equal(row.xp, tied.xp);
        assert.equal(row.coins, tied.coins);
      }
      assert.equal(tied.coins, 30); // placement coins only, no win coins
      const [battle] = await q(`SELECT "winner_user_id" FROM "battles" WHERE "id" = $1`, [record.battleId]);
      assert.equal(battle.winner_user_id, null);
      // The tied pair drew with each other: equal ratings before, equal after.
      assert.equal((await userRow(a)).rating, (await userRow(b)).rating);
    });

    it('leaves ratings unchanged for an unrated (practice) battle and pays practice rewards', async () => {
      const before = await Promise.all([a, b, c].map(userRow));
      const record = threePlayers({ mode: 'practice', rated: false });
      const result = await t.arena.services.battles.finish(record);
      for (const [i, u] of [a, b, c].entries()) {
        const row = await userRow(u);
        assert.equal(row.rating, before[i].rating);
        assert.equal(row.rating_deviation, before[i].rating_deviation);
        assert.equal(row.rating_volatility, before[i].rating_volatility);
        assert.equal(row.rated_at, null);
        assert.equal(row.coins, 0);
        assert.equal(result.standings[i].ratingBefore, result.standings[i].ratingAfter);
      }
      const practice = computeRewards({ placement: 1, playerCount: 3, correctAnswers: 3, rounds: 3, won: true, rated: false });
      assert.equal((await userRow(a)).xp, practice.xp);
      assert.equal(practice.xp, 62); // floor(half) of each line: 10 + 15 + 25 + 12
      assert.equal(await count('notifications', `"kind" = 'rating_change'`), 0);
      assert.equal(await count('notifications', `"kind" = 'reward'`), 3);
    });

    it('stores nothing at all when a participant has no account (the transaction rolls back)', async () => {
      const ghost = randomUUID();
      const record = battleRecord([
        { userId: a.user.id, username: a.user.username, score: 3000, correct: 3 },
        { userId: ghost, username: 'ghost_player', score: 100, correct: 0 },
      ]);
      await assert.rejects(t.arena.services.battles.finish(record), (e) => isDomainError(e, 'USER_NOT_FOUND'));
      for (const table of ['battles', 'battle_participants', 'battle_answers', 'reward_ledger', 'notifications']) {
        assert.equal(await count(table), 0, `${table} must be empty`);
      }
      const row = await userRow(a);
      assert.deepEqual([row.xp, row.coins, row.battles, row.wins, row.rating], [0, 0, 0, 0, 1500]);
    });

    it('stores nothing at all when the last step fails, and a retry then applies the battle once', async () => {
      const notifications = t.arena.services.notifications;
      const original = notifications.store;
      notifications.store = async () => { throw new Error('disk full'); };
      const record = threePlayers();
      try {
        await assert.rejects(t.arena.services.battles.finish(record), /disk full/);
      } finally {
        notifications.store = original;
      }
      for (const table of ['battles', 'battle_participants', 'battle_answers', 'reward_ledger', 'notifications']) {
        assert.equal(await count(table), 0, `${table} must be empty`);
      }
      for (const u of [a, b, c]) assert.deepEqual((await userRow(u)).xp, 0);
      // The battle id was not used up: the room's retry stores it.
      const result = await t.arena.services.battles.finish(record);
      assert.equal(result.winnerUserId, a.user.id);
      assert.equal((await userRow(a)).xp, 125);
    });

    it('refuses a malformed record before writing anything', async () => {
      const record = threePlayers();
      record.participants[1] = { ...record.participants[1], userId: a.user.id };
      await assert.rejects(t.arena.services.battles.finish(record), /appears twice/);
      await assert.rejects(t.arena.services.battles.finish(threePlayers({ battleId: 'not-a-uuid' })), /battleId must be a UUID/);
      assert.equal(await count('battles'), 0);
    });

    it('stores reward, level_up and rating_change notifications for the right users, and publishes them after commit', async () => {
      const live: NotificationView[] = [];
      const listener = (n: NotificationView) => live.push(n);
      await t.arena.services.presence.subscribe(notificationChannel(a.user.id), listener);
      try {
        const record = threePlayers();
        const result = await t.arena.services.battles.finish(record);
        const na = await notificationsOf(a);
        assert.deepEqual(na.map((n) => n.kind), ['level_up', 'rating_change', 'reward']);
        assert.deepEqual(na[0].data, { level: 2 });
        const sa = result.standings[0];
        assert.deepEqual(na[1].data, { battleId: record.battleId, before: 1500, after: sa.ratingAfter, delta: sa.ratingAfter - 1500 });
        assert.ok(na[1].data.delta > 0);
        assert.deepEqual(na[2].data, { battleId: record.battleId, xp: 125, coins: 60, placement: 1 });

        // B (40 XP) and C (20 XP) stay at level 1: no level_up for them.
        const nb = await notificationsOf(b);
        assert.deepEqual(nb.map((n) => n.kind), ['rating_change', 'reward']);
        assert.deepEqual(nb[1].data, { battleId: record.battleId, xp: 40, coins: 20, placement: 2 });
        const nc = await notificationsOf(c);
        assert.deepEqual(nc.map((n) => n.kind), ['rating_change', 'reward']);
        assert.ok(nc[0].data.delta < 0);

        await new Promise((r) => setTimeout(r, 50));
        assert.deepEqual(live.map((n) => n.kind).sort(), ['level_up', 'rating_change', 'reward']);
        // A second finish publishes nothing more.
        await t.arena.services.battles.finish(record);
        await new Promise((r) => setTimeout(r, 50));
        assert.equal(live.length, 3);
      } finally {
        await t.arena.services.presence.unsubscribe(notificationChannel(a.user.id), listener);
      }
    });

    it('keeps bots out of users and rewards but in the standings, and rates humans only', async () => {
      const record = battleRecord([
        { userId: 'bot-1', username: 'Robo', score: 3000, correct: 3, isBot: true },
        { userId: a.user.id, username: a.user.username, score: 2000, correct: 2 },
        { userId: b.user.id, username: b.user.username, score: 1000, correct: 1 },
      ]);
      const result = await t.arena.services.battles.finish(record);
      assert.equal(result.winnerUserId, 'bot-1');
      assert.deepEqual(result.standings[0], { userId: 'bot-1', username: 'Robo', score: 3000, placement: 1, ratingBefore: 0, ratingAfter: 0, xp: 0, coins: 0 });
      assert.equal(await count('battle_participants', '"battle_id" = $1', [record.battleId]), 2);
      assert.equal(await count('reward_ledger', `"kind" = 'win'`), 0);
      assert.equal(await count('battle_answers', '"user_id" = $1', ['bot-1']), 3);
      const [battle] = await q(`SELECT "winner_user_id", "bots" FROM "battles" WHERE "id" = $1`, [record.battleId]);
      assert.equal(battle.winner_user_id, null);
      assert.deepEqual(battle.bots, [{ userId: 'bot-1', username: 'Robo', score: 3000, placement: 1, correctAnswers: 3, forfeited: false }]);
      // Humans are rated against each other only: A (2nd) beat B (3rd).
      const expected = rateBattle([
        { id: a.user.id, placement: 2, rating: initialRating() },
        { id: b.user.id, placement: 3, rating: initialRating() },
      ]);
      assert.ok(Math.abs((await userRow(a)).rating - expected.get(a.user.id)!.rating) < 1e-9);
      assert.equal((await userRow(a)).wins, 0);
    });

    it('does not rate a lone human among bots', async () => {
      const record = battleRecord([
        { userId: a.user.id, username: a.user.username, score: 2000, correct: 2 },
        { userId: 'bot-1', username: 'Robo', score: 1000, correct: 1, isBot: true },
      ]);
      const result = await t.arena.services.battles.finish(record);
      const row = await userRow(a);
      assert.deepEqual([row.rating, row.rating_deviation, row.rated_at], [1500, 350, null]);
      assert.equal(row.wins, 1);
      assert.equal(result.winnerUserId, a.user.id);
      assert.equal(await count('notifications', `"kind" = 'rating_change'`), 0);
    });

    it('pays a forfeiter participation and correct answers only', async () => {
      const record = battleRecord([
        { userId: a.user.id, username: a.user.username, score: 1000, correct: 1 },
        { userId: b.user.id, username: b.user.username, score: 2000, correct: 2, forfeited: true, placement: 2 },
      ]);
      await t.arena.services.battles.finish(record);
      const row = await userRow(b);
      assert.equal(row.xp, 20 + 2 * 10);
      assert.equal(row.coins, 0);
      assert.equal(row.battles, 1);
      const [p] = await q(`SELECT "forfeited", "placement" FROM "battle_participants" WHERE "user_id" = $1`, [b.user.id]);
      assert.deepEqual([p.forfeited, p.placement], [true, 2]);
    });
  });

  describe('replayInput', () => {
    it('rebuilds the record that was stored, bots and answers included', async () => {
      const record = battleRecord([
        { userId: a.user.id, username: a.user.username, score: 3000, correct: 3 },
        { userId: 'bot-7', username: 'Robo', score: 1000, correct: 1, isBot: true },
        { userId: b.user.id, username: b.user.username, score: 1000, correct: 1 },
      ], { mode: 'practice', rated: false, questionMs: 8000 });
      await t.arena.services.battles.finish(record);
      const replay = await t.arena.services.battles.replayInput(record.battleId);
      const byKey = <T extends { userId: string }>(xs: T[], k: (x: T) => string) => xs.slice().sort((x, y) => k(x).localeCompare(k(y)));
      const { answers, participants, ...rest } = replay;
      const { answers: wantAnswers, participants: wantParticipants, ...wantRest } = record;
      assert.deepEqual(rest, wantRest);
      assert.deepEqual(byKey(answers, (x) => `${x.round}/${x.userId}`), byKey(wantAnswers, (x) => `${x.round}/${x.userId}`));
      assert.deepEqual(byKey(participants, (x) => x.userId), byKey(wantParticipants, (x) => x.userId));
      await assert.rejects(t.arena.services.battles.replayInput(randomUUID()), (e) => isDomainError(e, 'BATTLE_NOT_FOUND'));
    });
  });
});
