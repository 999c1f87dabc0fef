import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { BattleRecord } from '../../src/domain/battleRecord';
import { decayDeviation, initialRating, rateBattle, type Rating } from '../../src/domain/glicko2';
import { isDomainError } from '../../src/errors';
import { testArena, type TestArena } from '../helpers/arena';
import { battleRecord } from '../helpers/battles';
import { api, registerUser, type TestUser } from '../helpers/factories';

const DAY = 86_400_000;

describe('ratings', () => {
  let t: TestArena;
  let a: TestUser;
  let b: TestUser;
  let c: TestUser;

  const q = (sql: string, params: unknown[] = []) => t.arena.database.dataSource.query(sql, params);
  const overallOf = async (u: TestUser): Promise<Rating & { ratedAt: Date | null }> => {
    const [r] = await q(`SELECT "rating", "rating_deviation", "rating_volatility", "rated_at" FROM "users" WHERE "id" = $1`, [u.user.id]);
    return { rating: r.rating, deviation: r.rating_deviation, volatility: r.rating_volatility, ratedAt: r.rated_at };
  };
  const subjectRows = (u: TestUser) =>
    q(`SELECT "subject", "rating", "deviation", "volatility", "rated_at", "battles" FROM "subject_ratings" WHERE "user_id" = $1 ORDER BY "subject"`, [u.user.id]);
  const historyOf = (u: TestUser) =>
    q(`SELECT "scope", "battle_id", "rating_before", "rating_after", "deviation_before", "deviation_after", "created_at" FROM "rating_history"
        WHERE "user_id" = $1 ORDER BY "created_at", "scope"`, [u.user.id]);
  const close = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} vs ${expected}`);

  /** A first, B second, C third. */
  const threePlayers = (overrides: Partial<BattleRecord> = {}) => battleRecord([
    { userId: a.user.id, username: a.user.username, score: 3300, correct: 3 },
    { userId: b.user.id, username: b.user.username, score: 2100, correct: 2 },
    { userId: c.user.id, username: c.user.username, score: 0, correct: 0 },
  ], { endedAt: t.clock.now(), ...overrides });

  beforeEach(async () => {
    t = await testArena();
    [a, b, c] = await Promise.all([registerUser(t), registerUser(t), registerUser(t)]);
  });

  describe('finishing a battle', () => {
    it('moves the overall and the subject rating of a subject battle, each from its own start, and writes history for both', async () => {
      // A mixed battle first, so the overall ratings no longer equal the (still default) science ones.
      await t.arena.services.battles.finish(threePlayers({ subject: 'mixed' }));
      const overallBefore = await Promise.all([a, b, c].map(overallOf));
      t.clock.advance(60_000);
      const record = threePlayers({ subject: 'science', battleId: randomUUID() });
      await t.arena.services.battles.finish(record);

      const placements = [a, b, c].map((u, i) => ({ id: u.user.id, placement: i + 1 }));
      const expectedOverall = rateBattle(placements.map((p, i) => ({ ...p, rating: overallBefore[i] })));
      const expectedScience = rateBattle(placements.map((p) => ({ ...p, rating: initialRating() })));
      for (const [i, u] of [a, b, c].entries()) {
        const overall = await overallOf(u);
        close(overall.rating, expectedOverall.get(u.user.id)!.rating, `overall rating of player ${i}`);
        close(overall.deviation, expectedOverall.get(u.user.id)!.deviation, `overall deviation of player ${i}`);
        const [science, ...others] = await subjectRows(u);
        assert.equal(others.length, 0, 'only the battle\'s subject has a row');
        assert.equal(science.subject, 'science');
        close(science.rating, expectedScience.get(u.user.id)!.rating, `science rating of player ${i}`);
        close(science.deviation, expectedScience.get(u.user.id)!.deviation, `science deviation of player ${i}`);
        close(science.volatility, expectedScience.get(u.user.id)!.volatility, `science volatility of player ${i}`);
        assert.equal(science.battles, 1);
        assert.equal(new Date(science.rated_at).getTime(), record.endedAt.getTime());

        const history = await historyOf(u);
        assert.deepEqual(history.map((h: any) => h.scope), ['overall', 'overall', 'science']);
        const [, overallLine, scienceLine] = history;
        assert.equal(overallLine.battle_id, record.battleId);
        close(overallLine.rating_before, overallBefore[i].rating, 'history overall before');
        close(overallLine.rating_after, overall.rating, 'history overall after');
        close(overallLine.deviation_before, overallBefore[i].deviation, 'history overall deviation before');
        assert.equal(scienceLine.battle_id, record.battleId);
        assert.deepEqual([scienceLine.rating_before, scienceLine.deviation_before], [1500, 350]);
        close(scienceLine.rating_after, science.rating, 'history science after');
        assert.equal(new Date(scienceLine.created_at).getTime(), record.endedAt.getTime());
      }
      // The winner's science rating rose from the default, while the overall one rose from its own higher start.
      const [sa] = await subjectRows(a);
      assert.ok(sa.rating > 1500 && (await overallOf(a)).rating > sa.rating);
    });

    it('moves only the overall rating in a mixed battle, and nothing at all in a practice battle', async () => {
      await t.arena.services.battles.finish(threePlayers({ subject: 'mixed' }));
      assert.equal((await q(`SELECT count(*)::int AS n FROM "subject_ratings"`))[0].n, 0);
      assert.deepEqual((await historyOf(a)).map((h: any) => h.scope), ['overall']);

      const before = await overallOf(a);
      await t.arena.services.battles.finish(threePlayers({ subject: 'math', mode: 'practice', rated: false, battleId: randomUUID() }));
      assert.deepEqual(await overallOf(a), before);
      assert.equal((await q(`SELECT count(*)::int AS n FROM "subject_ratings"`))[0].n, 0);
      assert.equal((await q(`SELECT count(*)::int AS n FROM "rating_history"`))[0].n, 3);
    });

    it('applies ratings, history and weekly XP once when the same battle is finished twice, even concurrently', async () => {
      const record = threePlayers({ subject: 'geography' });
      await Promise.all([t.arena.services.battles.finish(record), t.arena.services.battles.finish(record)]);
      await t.arena.services.battles.finish(record);
      const [ga] = await subjectRows(a);
      assert.equal(ga.battles, 1);
      assert.equal((await q(`SELECT count(*)::int AS n FROM "rating_history"`))[0].n, 6);
      const expected = rateBattle([a, b, c].map((u, i) => ({ id: u.user.id, placement: i + 1, rating: initialRating() })));
      close(ga.rating, expected.get(a.user.id)!.rating, 'geography rating after three finishes');
      const weekly = await q(`SELECT "user_id", "xp" FROM "weekly_xp" WHERE "user_id" = $1`, [a.user.id]);
      assert.equal(weekly.length, 1);
      assert.equal(weekly[0].xp, 125, 'participation 20 + 3 × 10 + win 50 + perfect 25, once');
      const [{ xp }] = await q(`SELECT "xp" FROM "users" WHERE "id" = $1`, [a.user.id]);
      assert.equal(xp, 125);
    });
  });

  describe('GET /me/ratings', () => {
    it('shows the overall rating, each subject played and the history newest first', async () => {
      const first = threePlayers({ subject: 'mixed' });
      await t.arena.services.battles.finish(first);
      t.clock.advance(60_000);
      const second = threePlayers({ subject: 'math', battleId: randomUUID() });
      await t.arena.services.battles.finish(second);

      const res = await api(t, 'GET', '/me/ratings', { token: a.token });
      assert.equal(res.status, 200);
      const overall = await overallOf(a);
      const [math] = await subjectRows(a);
      assert.deepEqual(res.body.overall, { value: Math.round(overall.rating), deviation: Math.round(overall.deviation) });
      assert.deepEqual(res.body.subjects, { math: { value: Math.round(math.rating), deviation: Math.round(math.deviation), battles: 1 } });
      assert.deepEqual(res.body.history.map((h: any) => [h.scope, h.battleId]), [
        ['overall', second.battleId], ['math', second.battleId], ['overall', first.battleId],
      ]);
      const [newest, , oldest] = res.body.history;
      assert.equal(oldest.before, 1500);
      assert.equal(oldest.delta, oldest.after - oldest.before);
      assert.ok(oldest.delta > 0, 'the winner gained');
      assert.equal(newest.at, second.endedAt.toISOString());
      assert.equal(newest.after, Math.round(overall.rating));

      const page = await api(t, 'GET', '/me/ratings?limit=1', { token: a.token });
      assert.equal(page.body.history.length, 1);
      assert.equal(page.body.history[0].battleId, second.battleId);
    });

    it('answers a new player with the defaults, refuses a bad limit with 400 and a missing token with 401', async () => {
      const fresh = await registerUser(t);
      const res = await api(t, 'GET', '/me/ratings', { token: fresh.token });
      assert.deepEqual(res.body, { overall: { value: 1500, deviation: 350 }, subjects: {}, history: [] });
      for (const bad of ['0', '101', 'ten']) {
        const r = await api(t, 'GET', `/me/ratings?limit=${bad}`, { token: fresh.token });
        assert.equal(r.status, 400, `limit=${bad}`);
        assert.equal(r.body.error.code, 'VALIDATION_FAILED');
      }
      assert.equal((await api(t, 'GET', '/me/ratings')).status, 401);
    });
  });

  describe('inactivity decay', () => {
    it('shows a grown deviation after 30 idle days, and the next battle rates from it', async () => {
      await t.arena.services.battles.finish(threePlayers({ subject: 'math' }));
      // Settled players: near the deviation floor, decay is large (near 350 it is a few points).
      await q(`UPDATE "users" SET "rating_deviation" = 60 WHERE "rated_at" IS NOT NULL`);
      await q(`UPDATE "subject_ratings" SET "deviation" = 45`);
      const stored = await overallOf(a);
      const [storedMath] = await subjectRows(a);
      const now = await api(t, 'GET', '/me/ratings', { token: a.token });
      assert.equal(now.body.overall.deviation, Math.round(stored.deviation), 'no decay within a day');

      t.clock.advance(30 * DAY + 3_600_000);
      const decayed = decayDeviation(stored, 30);
      const decayedMath = decayDeviation({ rating: storedMath.rating, deviation: storedMath.deviation, volatility: storedMath.volatility }, 30);
      assert.ok(decayed.deviation > stored.deviation + 20, `${decayed.deviation} vs ${stored.deviation}`);
      const later = await api(t, 'GET', '/me/ratings', { token: a.token });
      assert.deepEqual(later.body.overall, { value: Math.round(stored.rating), deviation: Math.round(decayed.deviation) });
      assert.equal(later.body.subjects.math.deviation, Math.round(decayedMath.deviation));
      // GET /me and a parent's view of the child show the same grown deviation.
      assert.deepEqual((await api(t, 'GET', '/me', { token: a.token })).body.rating, later.body.overall);
      // Computed, not stored.
      assert.equal((await overallOf(a)).deviation, stored.deviation);

      // What the matchmaker reads decays the same way: the subject rating where there is one, else overall.
      const forMath = await t.arena.services.ratings.ratingFor(a.user.id, 'math');
      close(forMath.rating, storedMath.rating, 'ratingFor math rating');
      close(forMath.deviation, decayedMath.deviation, 'ratingFor math deviation');
      const many = await t.arena.services.ratings.ratingsFor([a.user.id, b.user.id, randomUUID()], 'science');
      assert.equal(many.size, 2, 'unknown ids are left out');
      close(many.get(a.user.id)!.deviation, decayed.deviation, 'no science rating: overall, decayed');

      // B, C and A play again now: every deviation going in is the decayed one.
      const players = [a, b, c];
      const before = await Promise.all(players.map(overallOf));
      const record = threePlayers({ subject: 'mixed', battleId: randomUUID() });
      await t.arena.services.battles.finish(record);
      const expected = rateBattle(players.map((u, i) => ({ id: u.user.id, placement: i + 1, rating: decayDeviation(before[i], 30) })));
      for (const [i, u] of players.entries()) {
        const line = (await historyOf(u)).find((h: any) => h.battle_id === record.battleId && h.scope === 'overall');
        close(line.deviation_before, decayDeviation(before[i], 30).deviation, `deviation the battle used for player ${i}`);
        close((await overallOf(u)).rating, expected.get(u.user.id)!.rating, `rating after for player ${i}`);
        close((await overallOf(u)).deviation, expected.get(u.user.id)!.deviation, `deviation after for player ${i}`);
      }
      const [participant] = await q(`SELECT "deviation_before" FROM "battle_participants" WHERE "battle_id" = $1 AND "user_id" = $2`, [record.battleId, a.user.id]);
      close(participant.deviation_before, decayed.deviation, 'battle_participants.deviation_before');
    });

    it('does not decay a player who was never rated', async () => {
      t.clock.advance(400 * DAY);
      const res = await api(t, 'GET', '/me/ratings', { token: c.token });
      assert.deepEqual(res.body.overall, { value: 1500, deviation: 350 });
    });
  });

  describe('ratingFor', () => {
    it('refuses an unknown user and a subject that is not one', async () => {
      await assert.rejects(t.arena.services.ratings.ratingFor(randomUUID(), 'mixed'), (e) => isDomainError(e, 'USER_NOT_FOUND'));
      await assert.rejects(t.arena.services.ratings.ratingsFor([a.user.id], 'history' as never), (e) => isDomainError(e, 'VALIDATION_FAILED'));
      assert.deepEqual(await t.arena.services.ratings.ratingFor(a.user.id, 'mixed'), { rating: 1500, deviation: 350 });
    });
  });
});
