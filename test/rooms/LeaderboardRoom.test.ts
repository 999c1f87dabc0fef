import assert from 'node:assert/strict';
import type { Room } from '@colyseus/sdk';
import { testArena, type TestArena } from '../helpers/arena';
import { battleRecord, type PlayerSpec } from '../helpers/battles';
import { seedUsers, setBoardValues, type SeededStudent } from '../helpers/boards';
import { collect, eventually, joinError, nextMessage, sdkClient } from '../helpers/sdk';

const quiet = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('leaderboard room', () => {
  let t: TestArena;
  let users: SeededStudent[];
  const player = (u: SeededStudent, score: number, correct: number): PlayerSpec => ({ userId: u.id, username: u.username, score, correct });

  /** Joins and returns the room with every "leaderboard" and "my_rank" message it gets from the start. */
  async function watch(user: SeededStudent, options: Record<string, unknown>): Promise<{ room: Room; pages: any[]; ranks: any[] }> {
    const room = await sdkClient(t, user.token).joinOrCreate('leaderboard', options);
    return { room, pages: collect(room, 'leaderboard'), ranks: collect(room, 'my_rank') };
  }

  beforeEach(async () => {
    t = await testArena();
    // ada 900, bea 800, cal 700, dan 600; eve and fay not on the XP board yet.
    users = await seedUsers(t, ['ada', 'bea', 'cal', 'dan', 'eve', 'fay']);
    await setBoardValues(t, 'xp', users.slice(0, 4).map((user, i) => ({ user, value: 900 - 100 * i })));
  });

  it('sends the top N and the viewer\'s rank right after joining', async () => {
    const { room, pages, ranks } = await watch(users[2], { board: 'xp', limit: 2 });
    await eventually(() => pages.length === 1 && ranks.length === 1, 2000, 'first page and rank');
    assert.deepEqual(pages[0], {
      board: 'xp',
      entries: [{ rank: 1, userId: users[0].id, username: 'ada', value: 900 }, { rank: 2, userId: users[1].id, username: 'bea', value: 800 }],
    });
    assert.deepEqual(ranks[0], { board: 'xp', rank: 3, value: 700 });
    assert.equal(room.state.board, 'xp');

    // Someone not on the board learns where they would be.
    const newcomer = await watch(users[4], { board: 'xp' });
    await eventually(() => newcomer.ranks.length === 1 && newcomer.pages.length === 1, 2000, 'newcomer rank');
    assert.deepEqual(newcomer.ranks[0], { board: 'xp', rank: 5, value: 0 });
    assert.equal(newcomer.pages[0].entries.length, 4, 'default limit 10, four on the board');
    assert.equal(newcomer.room.roomId, room.roomId, 'one room per board');
  });

  it('sends the weekly board with when it resets, in a room of its own', async () => {
    const weekly = await watch(users[0], { board: 'xp_week' });
    const xp = await watch(users[0], { board: 'xp' });
    await eventually(() => weekly.pages.length === 1, 2000, 'weekly page');
    assert.equal(typeof weekly.pages[0].resetsAt, 'string');
    assert.ok(Date.parse(weekly.pages[0].resetsAt) > Date.now());
    await eventually(() => weekly.room.state.resetsAt > 0, 2000, 'resetsAt in state');
    assert.notEqual(weekly.room.roomId, xp.room.roomId);
  });

  it('updates a viewer within a second when a finished battle changes their rank, and only what changed', async () => {
    const [ada, , , dan, eve, fay] = users;
    const top = await watch(ada, { board: 'xp', limit: 2 });
    const player1 = await watch(eve, { board: 'xp', limit: 2 });
    await eventually(() => top.pages.length === 1 && top.ranks.length === 1 && player1.ranks.length === 1, 2000, 'initial messages');

    // eve and fay play: both join the board below the top two; eve's rank and value change, ada's nothing.
    const started = Date.now();
    const rankUpdate = nextMessage(player1.room, 'my_rank', 1000);
    await t.arena.services.battles.finish(battleRecord([player(eve, 3000, 3), player(fay, 1000, 1)], { endedAt: t.clock.now() }));
    const update = await rankUpdate;
    assert.ok(Date.now() - started < 1000, `update after ${Date.now() - started} ms`);
    assert.deepEqual(update, { board: 'xp', rank: 5, value: 125 });
    await quiet(600);
    assert.equal(top.pages.length, 1, 'the top two did not change: no new page for anyone');
    assert.equal(player1.pages.length, 1);
    assert.equal(top.ranks.length, 1, 'ada\'s rank did not change: nothing sent to her');

    // dan passes ada: both get their new rank, and the top-2 page changes for everyone.
    const adaUpdate = nextMessage(top.room, 'my_rank', 1000);
    const pageUpdate = nextMessage(player1.room, 'leaderboard', 1000);
    await setBoardValues(t, 'xp', [{ user: dan, value: 1000 }]);
    await t.arena.services.leaderboards.publishChanged({ boards: ['xp'], userIds: [dan.id] });
    assert.deepEqual(await adaUpdate, { board: 'xp', rank: 2, value: 900 });
    assert.deepEqual((await pageUpdate).entries.map((e: any) => [e.rank, e.username]), [[1, 'dan'], [2, 'ada']]);
  });

  it('coalesces a burst of changes into few refreshes and ends on the latest state', async () => {
    const eve = users[4];
    const viewer = await watch(eve, { board: 'xp', limit: 1 });
    await eventually(() => viewer.ranks.length === 1, 2000, 'initial rank');
    const records = Array.from({ length: 8 }, () => battleRecord([player(eve, 1000, 1), player(users[5], 0, 0)], { endedAt: t.clock.now() }));
    const started = Date.now();
    for (const r of records) await t.arena.services.battles.finish(r);
    const burstMs = Date.now() - started;
    const [{ xp }] = await t.arena.database.dataSource.query(`SELECT "xp" FROM "users" WHERE "id" = $1`, [eve.id]);
    await eventually(() => viewer.ranks.at(-1)?.value === xp, 1500, 'final value');
    await quiet(400);
    // At most one refresh per REFRESH_INTERVAL_MS (300) while the burst lasts, plus the one after it.
    const allowed = Math.ceil(burstMs / 300) + 1;
    assert.ok(viewer.ranks.length - 1 <= Math.min(allowed, records.length - 1), `${viewer.ranks.length - 1} rank messages for 8 battles in ${burstMs} ms`);
  });

  it('lets a parent watch a board, with no rank of their own', async () => {
    const [parent] = await seedUsers(t, ['mum'], 'parent');
    const viewer = await watch(parent, { board: 'xp', limit: 3 });
    await eventually(() => viewer.pages.length === 1, 2000, 'page');
    await quiet(200);
    assert.equal(viewer.ranks.length, 0);
    assert.equal(viewer.pages[0].entries.length, 3);
  });

  it('refuses bad options with 422 and a missing or bad token with 401', async () => {
    for (const options of [{}, { board: 'coins' }, { board: 'rating:mixed' }, { board: 'xp', limit: 0 }, { board: 'xp', limit: 101 }, { board: 'xp', limit: '5' }]) {
      assert.equal(await joinError(sdkClient(t, users[0].token).joinOrCreate('leaderboard', options)), 422, JSON.stringify(options));
    }
    assert.equal(await joinError(sdkClient(t).joinOrCreate('leaderboard', { board: 'xp' })), 401);
    assert.equal(await joinError(sdkClient(t, 'forged').joinOrCreate('leaderboard', { board: 'xp' })), 401);
  });

  it('answers a message it does not know with "error" and stays open', async () => {
    const viewer = await watch(users[0], { board: 'rating' });
    const error = nextMessage(viewer.room, 'error');
    viewer.room.send('subscribe', { board: 'xp' });
    assert.equal((await error).code, 'UNKNOWN_MESSAGE');
    const again = await watch(users[1], { board: 'rating' });
    assert.equal(again.room.roomId, viewer.room.roomId);
  });
});
