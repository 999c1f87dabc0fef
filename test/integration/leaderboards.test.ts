import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { BattleRecord } from '../../src/domain/battleRecord';
import { compareBoardOrder, weekStartDate, weeklyBoardKey, type BoardName } from '../../src/domain/leaderboards';
import { createRng } from '../../src/domain/random';
import { nextWeeklyReset, weekStart } from '../../src/domain/weeks';
import { testArena, type TestArena } from '../helpers/arena';
import { battleRecord, type PlayerSpec } from '../helpers/battles';
import { bruteForceBoard, histogramDrift, seedUsers, setBoardValues, type SeededStudent } from '../helpers/boards';
import { api } from '../helpers/factories';

type Entry = { rank: number; userId: string; username: string; value: number };

/** The expected "around me" window from a brute-force board: `limit` rows centred on the caller, sliding at the ends. */
function expectedWindow(board: Entry[], me: Entry, limit: number): Entry[] {
  const all = board.some((e) => e.userId === me.userId) ? board : [...board, me].sort(compareBoardOrder);
  const at = all.findIndex((e) => e.userId === me.userId);
  const start = Math.max(0, Math.min(at - Math.floor((limit - 1) / 2), all.length - limit));
  return all.slice(start, start + limit);
}

describe('leaderboards', () => {
  let t: TestArena;
  let viewer: SeededStudent; // a parent: may read every board, is on none
  const q = (sql: string, params: unknown[] = []) => t.arena.database.dataSource.query(sql, params);
  const get = (path: string, token = viewer.token) => api(t, 'GET', path, { token });
  const player = (u: SeededStudent, score: number, correct: number): PlayerSpec => ({ userId: u.id, username: u.username, score, correct });

  beforeEach(async () => {
    t = await testArena();
    [viewer] = await seedUsers(t, ['viewer'], 'parent');
  });

  it('needs a token, of any role (boards show children\'s usernames)', async () => {
    assert.equal((await api(t, 'GET', '/leaderboards/xp')).status, 401);
    assert.equal((await api(t, 'GET', '/leaderboards/xp', { token: 'forged' })).status, 401);
    assert.equal((await get('/leaderboards/xp')).status, 200);
  });

  it('ranks ties alike (1, 1, 3) and orders them by username in code-point order, on every board a battle touches', async () => {
    // "amy_z" sorts before "amya" by code point ('_' < 'a'); a locale collation ignoring '_' would swap them.
    const [amya, amyz, rob] = await seedUsers(t, ['amya', 'amy_z', 'rob']);
    const record = battleRecord([player(amya, 2000, 2), player(amyz, 2000, 2), player(rob, 500, 1)], { subject: 'math', endedAt: t.clock.now() });
    await t.arena.services.battles.finish(record);
    for (const board of ['rating', 'rating:math', 'xp', 'xp_week']) {
      const res = await get(`/leaderboards/${board}`);
      assert.equal(res.status, 200, board);
      assert.equal(res.body.board, board);
      assert.deepEqual(res.body.entries.map((e: Entry) => [e.rank, e.username]), [[1, 'amy_z'], [1, 'amya'], [3, 'rob']], board);
      assert.equal(res.body.entries[0].value, res.body.entries[1].value);
      assert.ok(res.body.entries[1].value > res.body.entries[2].value);
      assert.deepEqual(Object.keys(res.body.entries[0]).sort(), ['rank', 'userId', 'username', 'value']);
    }
    const xp = await get('/leaderboards/xp');
    // 20 for taking part + 10 per correct answer; a shared first place earns no win bonus.
    assert.deepEqual(xp.body.entries.map((e: Entry) => e.value), [40, 40, 30]);
    assert.equal(xp.body.resetsAt, undefined, 'only the weekly board resets');
    const rating = await get('/leaderboards/rating');
    const [{ rating: stored }] = await q(`SELECT "rating" FROM "users" WHERE "id" = $1`, [amya.id]);
    assert.equal(rating.body.entries[0].value, Math.round(stored));
    // Nobody else has played: the other subjects' boards are empty.
    assert.deepEqual((await get('/leaderboards/rating:science')).body, { board: 'rating:science', entries: [] });
  });

  it('answers the top `limit` entries (10 by default) and refuses a bad limit or an unknown parameter with 400', async () => {
    const users = await seedUsers(t, Array.from({ length: 15 }, (_, i) => `kid_${String(i).padStart(2, '0')}`));
    await setBoardValues(t, 'xp', users.map((user, i) => ({ user, value: 1000 - 10 * Math.floor(i / 3) })));
    const top5 = await get('/leaderboards/xp?limit=5');
    assert.deepEqual(top5.body.entries.map((e: Entry) => [e.rank, e.username, e.value]), [
      [1, 'kid_00', 1000], [1, 'kid_01', 1000], [1, 'kid_02', 1000], [4, 'kid_03', 990], [4, 'kid_04', 990],
    ]);
    assert.equal((await get('/leaderboards/xp')).body.entries.length, 10);
    assert.equal((await get('/leaderboards/xp?limit=100')).body.entries.length, 15);
    for (const bad of ['limit=0', 'limit=101', 'limit=ten', 'limit=2.5', 'sort=asc', 'around=you']) {
      const res = await get(`/leaderboards/xp?${bad}`);
      assert.equal(res.status, 400, bad);
      assert.equal(res.body.error.code, 'VALIDATION_FAILED', bad);
    }
  });

  it('answers 404 NOT_FOUND naming the boards for an unknown board', async () => {
    for (const board of ['coins', 'rating:mixed', 'XP', 'xp_week:2026-11-23']) {
      const res = await get(`/leaderboards/${encodeURIComponent(board)}`);
      assert.equal(res.status, 404, board);
      assert.equal(res.body.error.code, 'NOT_FOUND');
      assert.match(res.body.error.message, /rating, rating:math, rating:science, rating:language, rating:geography, xp, xp_week/);
    }
  });

  describe('around=me', () => {
    let users: SeededStudent[];
    beforeEach(async () => {
      users = await seedUsers(t, Array.from({ length: 30 }, (_, i) => `p${String((i * 7) % 30).padStart(2, '0')}`));
      const rng = createRng('around-me');
      await setBoardValues(t, 'rating', users.map((user) => ({ user, value: 1400 + 10 * rng.int(0, 20) })));
    });

    it('is the window of `limit` entries centred on the caller, sliding at either end', async () => {
      const board = await bruteForceBoard(t, 'rating');
      for (const index of [0, 1, 7, 14, 15, 28, 29]) {
        for (const limit of [1, 4, 5, 10, 30, 100]) {
          const me = board[index];
          const caller = users.find((u) => u.id === me.userId)!;
          const res = await get(`/leaderboards/rating?around=me&limit=${limit}`, caller.token);
          assert.equal(res.status, 200);
          assert.deepEqual(res.body.entries, expectedWindow(board, me, limit), `caller #${index}, limit ${limit}`);
        }
      }
    });

    it('shows a student who is not on the board where they would be, with their value, without counting them for others', async () => {
      const [newbie] = await seedUsers(t, ['p15a']);
      const board = await bruteForceBoard(t, 'rating');
      const me: Entry = { rank: 1 + board.filter((e) => e.value > 1500).length, userId: newbie.id, username: 'p15a', value: 1500 };
      const res = await get('/leaderboards/rating?around=me&limit=7', newbie.token);
      assert.deepEqual(res.body.entries, expectedWindow(board, me, 7));
      assert.ok(res.body.entries.some((e: Entry) => e.userId === newbie.id));
      // Their own subject board and this week's XP: empty boards, the caller alone with the defaults.
      assert.deepEqual((await get('/leaderboards/rating:language?around=me', newbie.token)).body.entries,
        [{ rank: 1, userId: newbie.id, username: 'p15a', value: 1500 }]);
      const week = await get('/leaderboards/xp_week?around=me', newbie.token);
      assert.deepEqual(week.body.entries, [{ rank: 1, userId: newbie.id, username: 'p15a', value: 0 }]);
      assert.equal(week.body.resetsAt, nextWeeklyReset(t.clock.now()).toISOString());
    });

    it('needs a token (401) and a student (403)', async () => {
      assert.equal((await api(t, 'GET', '/leaderboards/rating?around=me')).status, 401);
      assert.equal((await get('/leaderboards/rating?around=me', 'not-a-token')).status, 401);
      const [parent] = await seedUsers(t, ['a_parent'], 'parent');
      const res = await get('/leaderboards/rating?around=me', parent.token);
      assert.equal(res.status, 403);
      assert.equal(res.body.error.code, 'WRONG_ROLE');
    });
  });

  it('counts the weekly board from Monday 00:00 UTC: last week\'s XP is not on it, and it starts empty after the reset', async () => {
    const [ann, ben, cat] = await seedUsers(t, ['ann', 'ben', 'cat']);
    const now = t.clock.now();
    const lastWeek = new Date(weekStart(now).getTime() - 60_000);
    await t.arena.services.battles.finish(battleRecord([player(ann, 3000, 3), player(ben, 1000, 1)], { endedAt: lastWeek }));
    await t.arena.services.battles.finish(battleRecord([player(ben, 3000, 3), player(cat, 1000, 1)], { endedAt: now }));

    const week = await get('/leaderboards/xp_week');
    assert.deepEqual(week.body.entries.map((e: Entry) => [e.rank, e.username, e.value]), [[1, 'ben', 125], [2, 'cat', 30]]);
    assert.equal(week.body.resetsAt, nextWeeklyReset(now).toISOString());
    const allTime = await get('/leaderboards/xp');
    assert.deepEqual(allTime.body.entries.map((e: Entry) => [e.username, e.value]), [['ben', 155], ['ann', 125], ['cat', 30]]);
    const weekly = await q(`SELECT to_char("week_start", 'YYYY-MM-DD') AS week, "xp" FROM "weekly_xp" WHERE "user_id" = $1 ORDER BY 1`, [ben.id]);
    assert.deepEqual(weekly.map((w: any) => w.xp), [30, 125]);

    t.clock.advance(nextWeeklyReset(now).getTime() - now.getTime() + 1000);
    const next = await get('/leaderboards/xp_week');
    assert.deepEqual(next.body.entries, []);
    assert.equal(next.body.resetsAt, nextWeeklyReset(t.clock.now()).toISOString());
    assert.equal((await get('/leaderboards/xp')).body.entries.length, 3, 'all-time XP does not reset');
  });

  it('prunes the rows of weekly boards that ended over two weeks ago, histogram included, and nothing else', async () => {
    const [ann, ben] = await seedUsers(t, ['ann', 'ben']);
    const week = (weeksAgo: number) => weeklyBoardKey(weekStartDate(new Date(weekStart(t.clock.now()).getTime() - weeksAgo * 7 * 86_400_000)));
    for (const w of [0, 1, 2, 3, 10]) await setBoardValues(t, week(w), [{ user: ann, value: 100 + w }, { user: ben, value: 50 }]);
    await setBoardValues(t, 'xp', [{ user: ann, value: 500 }]);
    assert.equal(await t.arena.services.leaderboards.pruneWeeklyBoards(), 4); // weeks 3 and 10, two entries each
    const boards = await q(`SELECT DISTINCT "board" FROM "leaderboard_entries" ORDER BY 1`);
    assert.deepEqual(boards.map((b: { board: string }) => b.board).sort(), [week(0), week(1), week(2), 'xp'].sort());
    const buckets = await q(`SELECT DISTINCT "board" FROM "leaderboard_buckets" ORDER BY 1`);
    assert.deepEqual(buckets.map((b: { board: string }) => b.board).sort(), [week(0), week(1), week(2), 'xp'].sort());
    assert.deepEqual(await histogramDrift(t), []);
    assert.equal(await t.arena.services.leaderboards.pruneWeeklyBoards(), 0, 'a second run finds nothing');
  });

  it('keeps parents off every board, even when one is in a battle record', async () => {
    const [kid] = await seedUsers(t, ['kid']);
    const [parent] = await seedUsers(t, ['mum'], 'parent');
    await t.arena.services.battles.finish(battleRecord([player(kid, 2000, 2), player(parent, 1000, 1)], { subject: 'math', endedAt: t.clock.now() }));
    for (const board of ['rating', 'rating:math', 'xp', 'xp_week']) {
      assert.deepEqual((await get(`/leaderboards/${board}`)).body.entries.map((e: Entry) => e.username), ['kid'], board);
    }
    assert.deepEqual([...(await t.arena.services.leaderboards.ranksOf('xp', [kid.id, parent.id])).keys()], [kid.id]);
  });

  it('keeps entries, histogram and ranks exact through many random battles (seeded property test)', async function () {
    this.timeout(120_000);
    const rng = createRng('leaderboard-property');
    const students = await seedUsers(t, Array.from({ length: 14 }, (_, i) => `s${rng.int(0, 9)}_${i}`));
    const [parent] = await seedUsers(t, ['pa'], 'parent');
    const subjects = ['math', 'science', 'language', 'geography', 'mixed'];
    const records: BattleRecord[] = [];
    for (let i = 0; i < 70; i++) {
      const size = rng.int(2, 4);
      const pool = rng.shuffle(students).slice(0, size);
      if (rng.next() < 0.05) pool[0] = parent;
      const specs = pool.map((u) => {
        const correct = rng.int(0, 3);
        return player(u, correct * 1000 + (rng.next() < 0.5 ? 0 : rng.int(0, 1) * 500), correct);
      });
      const practice = rng.next() < 0.15;
      records.push(battleRecord(specs, {
        subject: rng.pick(subjects), mode: practice ? 'practice' : 'quick', rated: !practice,
        endedAt: new Date(t.clock.now().getTime() - rng.int(0, 3) * 86_400_000 * (rng.next() < 0.3 ? 3 : 0)),
      }));
    }
    // In waves of four at once (battles sharing players exercise the locks), some finished twice.
    for (let i = 0; i < records.length; i += 4) {
      const wave = records.slice(i, i + 4);
      await Promise.all([...wave, ...wave.filter(() => rng.next() < 0.2)].map((r) => t.arena.services.battles.finish(r)));
    }

    assert.deepEqual(await histogramDrift(t), [], 'histogram = grouped count of the entries');
    // Entries mirror their sources exactly.
    const sources: Array<[string, string]> = [
      ['rating', `SELECT 'rating' AS board, "id" AS user_id, "rating"::float8 AS v FROM "users" WHERE "role" = 'student' AND "rated_at" IS NOT NULL`],
      ['xp', `SELECT 'xp' AS board, "id" AS user_id, "xp"::float8 AS v FROM "users" WHERE "role" = 'student' AND "xp" > 0`],
      ['rating:*', `SELECT 'rating:' || s."subject" AS board, s."user_id", s."rating" AS v FROM "subject_ratings" s JOIN "users" u ON u."id" = s."user_id" WHERE u."role" = 'student'`],
      ['xp_week:*', `SELECT 'xp_week:' || to_char(w."week_start", 'YYYY-MM-DD') AS board, w."user_id", w."xp"::float8 AS v FROM "weekly_xp" w JOIN "users" u ON u."id" = w."user_id" WHERE u."role" = 'student'`],
    ];
    const expected = new Map<string, number>();
    for (const [, sql] of sources) {
      for (const r of await q(sql)) expected.set(`${r.board}/${r.user_id}`, Math.round(r.v));
    }
    const entries = await q(`SELECT "board", "user_id", "value" FROM "leaderboard_entries"`);
    assert.deepEqual(new Map(entries.map((e: any) => [`${e.board}/${e.user_id}`, e.value])), expected);
    assert.ok(entries.length > 50, `a meaningful board: ${entries.length} entries`);

    const boards: BoardName[] = ['rating', 'rating:math', 'rating:science', 'rating:language', 'rating:geography', 'xp', 'xp_week'];
    for (const board of boards) {
      const key = board === 'xp_week' ? `xp_week:${weekStart(t.clock.now()).toISOString().slice(0, 10)}` : board;
      const brute = await bruteForceBoard(t, key);
      const top = await t.arena.services.leaderboards.top(board, 100);
      assert.deepEqual(top.entries, brute, `top of ${board}`);
      const ranks = await t.arena.services.leaderboards.ranksOf(board, students.map((s) => s.id));
      for (const s of students) {
        const entry = brute.find((e) => e.userId === s.id);
        const value = entry?.value ?? ranks.get(s.id)!.value;
        assert.deepEqual(ranks.get(s.id), { rank: 1 + brute.filter((e) => e.value > value).length, value }, `${board}: rank of ${s.username}`);
        const me = entry ?? { rank: 1 + brute.filter((e) => e.value > value).length, userId: s.id, username: s.username, value };
        const around = await t.arena.services.leaderboards.around(board, s.id, 5);
        assert.deepEqual(around.entries, expectedWindow(brute, me, 5), `${board}: around ${s.username}`);
      }
    }
  });

  it('takes a user off every board with forgetUser, histogram included', async () => {
    const [x, y] = await seedUsers(t, ['xena', 'yuri']);
    await t.arena.services.battles.finish(battleRecord([player(x, 2000, 2), player(y, 1000, 1)], { subject: 'science', endedAt: t.clock.now() }));
    // Deleting the account straight away is refused (and would otherwise leave the histogram counting it).
    const logger = t.arena.database.dataSource.logger;
    const logQueryError = logger.logQueryError;
    logger.logQueryError = () => {}; // the refusal is expected: keep it out of the test output
    try {
      await assert.rejects(q(`DELETE FROM "users" WHERE "id" = $1`, [x.id]), /leaderboard_entries_user_fk/);
    } finally {
      logger.logQueryError = logQueryError;
    }
    await t.arena.database.dataSource.transaction((m) => t.arena.services.leaderboards.forgetUser(m, x.id));
    await q(`DELETE FROM "users" WHERE "id" = $1`, [x.id]);
    assert.deepEqual(await histogramDrift(t), []);
    assert.deepEqual((await get('/leaderboards/rating:science')).body.entries.map((e: Entry) => [e.rank, e.username]), [[1, 'yuri']]);
  });

  it('publishes which boards changed after the battle is stored, once', async () => {
    const [x, y] = await seedUsers(t, ['xena', 'yuri']);
    const seen: unknown[] = [];
    const listener = (e: unknown) => seen.push(e);
    await t.arena.services.presence.subscribe('leaderboard:changed', listener);
    try {
      const record = battleRecord([player(x, 2000, 2), player(y, 1000, 1)], { subject: 'geography', endedAt: t.clock.now(), battleId: randomUUID() });
      await t.arena.services.battles.finish(record);
      await t.arena.services.battles.finish(record);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(seen.length, 1);
      const event = seen[0] as { boards: string[]; userIds: string[] };
      assert.deepEqual(event.boards.sort(), ['rating', 'rating:geography', 'xp', 'xp_week']);
      assert.deepEqual(event.userIds.sort(), [x.id, y.id].sort());
    } finally {
      await t.arena.services.presence.unsubscribe('leaderboard:changed', listener);
    }
  });
});
