import assert from 'node:assert/strict';
import type { Room } from '@colyseus/sdk';
import { testArena, type TestArena } from '../helpers/arena';
import { api, registerUser, type TestUser } from '../helpers/factories';
import { collect, eventually, joinError, nextMessage, sdkClient } from '../helpers/sdk';

async function withRating(t: TestArena, user: TestUser, rating: number): Promise<TestUser> {
  await t.arena.database.dataSource.query('UPDATE users SET rating = $2, rating_deviation = 80 WHERE id = $1', [user.user.id, rating]);
  return user;
}

async function queue(t: TestArena, user: TestUser, options: Record<string, unknown> = {}): Promise<Room> {
  return sdkClient(t, user.token).joinOrCreate('matchmaking', options);
}

describe('matchmaking room', function () {
  this.timeout(30_000);
  let t: TestArena;
  beforeEach(async () => { t = await testArena(); });

  it('refuses a join without a token (401), a parent (403) and bad options (422)', async () => {
    assert.equal(await joinError(sdkClient(t).joinOrCreate('matchmaking')), 401);
    const parent = await registerUser(t, { role: 'parent' });
    assert.equal(await joinError(sdkClient(t, parent.token).joinOrCreate('matchmaking')), 403);
    const kid = await registerUser(t);
    assert.equal(await joinError(sdkClient(t, kid.token).joinOrCreate('matchmaking', { size: 9 })), 422);
  });

  it('pairs two close players of one subject into a rated battle they enter with the reservation', async () => {
    const a = await withRating(t, await registerUser(t), 1500);
    const b = await withRating(t, await registerUser(t), 1540);
    const qa = await queue(t, a, { subject: 'science' });
    const qb = await queue(t, b, { subject: 'science' });
    assert.equal(qa.roomId, qb.roomId, 'one queue room');
    const [fa, fb] = await Promise.all([nextMessage(qa, 'match_found'), nextMessage(qb, 'match_found')]);
    assert.equal(fa.matchId, fb.matchId);
    assert.deepEqual(fa.opponents, [{ username: b.user.username, rating: 1540 }]);
    const started = nextMessage(qa, 'match_started');
    const ra = await sdkClient(t, a.token).consumeSeatReservation<any>(fa.reservation);
    const rb = await sdkClient(t, b.token).consumeSeatReservation(fb.reservation);
    assert.equal(ra.roomId, rb.roomId);
    await started;
    await eventually(() => ra.state.phase !== 'waiting', 3000, 'battle started');
    assert.equal(ra.state.subject, 'science');
    const result = await nextMessage(ra, 'battle_result', 20_000);
    assert.ok(result.standings.some((s: any) => s.ratingAfter !== s.ratingBefore), 'a matched battle is rated');
  });

  it('keeps subjects apart, and a far-rated player waits while the close pair plays', async () => {
    const a = await withRating(t, await registerUser(t), 1500);
    const b = await withRating(t, await registerUser(t), 1520);
    const far = await withRating(t, await registerUser(t), 2300);
    const other = await withRating(t, await registerUser(t), 1510);
    const qFar = await queue(t, far, { subject: 'math' });
    const qOther = await queue(t, other, { subject: 'geography' });
    const farFound = collect(qFar, 'match_found');
    const otherFound = collect(qOther, 'match_found');
    const qa = await queue(t, a, { subject: 'math' });
    const qb = await queue(t, b, { subject: 'math' });
    const [fa] = await Promise.all([nextMessage(qa, 'match_found'), nextMessage(qb, 'match_found')]);
    assert.equal(fa.opponents[0].username, b.user.username);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(farFound.length, 0);
    assert.equal(otherFound.length, 0);
  });

  it('holds one ticket per user: a second tab is refused with 409', async () => {
    const a = await registerUser(t);
    await queue(t, a, { subject: 'math' });
    assert.equal(await joinError(sdkClient(t, a.token).joinOrCreate('matchmaking', { subject: 'science' })), 409);
  });

  it('removes a player who leaves the queue at once', async () => {
    const a = await registerUser(t);
    const b = await registerUser(t);
    const qa = await queue(t, a, { subject: 'language', size: 3 });
    const qb = await queue(t, b, { subject: 'language', size: 3 });
    await eventually(() => qa.state.queued === 2, 2000, 'two queued');
    await qb.leave(true);
    await eventually(() => qa.state.queued === 1, 2000, 'one queued');
  });

  it('groups three players for a 3-player battle', async () => {
    const users = await Promise.all([1500, 1510, 1520].map(async (r) => withRating(t, await registerUser(t), r)));
    const rooms = [];
    for (const u of users) rooms.push(await queue(t, u, { subject: 'geography', size: 3 }));
    const found = await Promise.all(rooms.map((r) => nextMessage(r, 'match_found')));
    assert.equal(new Set(found.map((f) => f.matchId)).size, 1);
    assert.equal(found[0].opponents.length, 2);
    // Two take their seats at once, the third a little later: the battle waits for all three.
    const first = await Promise.all([0, 1].map((i) => sdkClient(t, users[i].token).consumeSeatReservation<any>(found[i].reservation)));
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(first[0].state.phase, 'waiting');
    const third = await sdkClient(t, users[2].token).consumeSeatReservation<any>(found[2].reservation);
    await eventually(() => third.state.players?.size === 3 && third.state.phase !== 'waiting', 3000, 'three-player battle started');
  });

  it('requeues the others when a reservation is not consumed in time', async () => {
    const a = await withRating(t, await registerUser(t), 1500);
    const b = await withRating(t, await registerUser(t), 1500);
    const qa = await queue(t, a, { subject: 'science' });
    const qb = await queue(t, b, { subject: 'science' });
    const [fa] = await Promise.all([nextMessage(qa, 'match_found'), nextMessage(qb, 'match_found')]);
    await qb.leave(true); // b walks away without taking the seat
    const requeued = nextMessage(qa, 'requeued', 5000);
    const battle = await sdkClient(t, a.token).consumeSeatReservation(fa.reservation);
    const cancelled = nextMessage(battle, 'match_cancelled', 5000);
    await cancelled; // after MATCH_CONFIRM_MS (1.5 s in tests)
    await requeued;
    await eventually(() => qa.state.queued === 1, 2000, 'a is back in the queue');
    // The next suitable player is matched with a, whose waiting time carried over.
    const c = await withRating(t, await registerUser(t), 1500);
    const qc = await queue(t, c, { subject: 'science' });
    const [again] = await Promise.all([nextMessage(qa, 'match_found'), nextMessage(qc, 'match_found')]);
    assert.equal(again.opponents[0].username, c.user.username);
  });

  it('offers a lone player an unrated practice battle against a bot, clearly marked', async () => {
    const a = await registerUser(t);
    const q = await queue(t, a, { subject: 'math' });
    const errors = collect(q, 'error');
    q.send('accept_practice', {});
    await eventually(() => errors.length === 1, 2000, 'too early');
    assert.equal(errors[0].code, 'NO_PRACTICE_OFFER');
    const offer = await nextMessage(q, 'practice_offer', 5000);
    assert.equal(offer.rated, false);
    const found = nextMessage(q, 'match_found');
    q.send('accept_practice', {});
    const f = await found;
    assert.equal(f.practice, true);
    const battle = await sdkClient(t, a.token).consumeSeatReservation<any>(f.reservation);
    await eventually(() => battle.state?.players?.size === 2, 2000, 'bot seated');
    const bot = [...battle.state.players.values()].find((p: any) => p.isBot) as any;
    assert.ok(bot && / \(bot\)$/.test(bot.username));
    assert.equal(battle.state.mode, 'practice');
    battle.onMessage('question', (qn: any) => battle.send('answer', { round: qn.round, choice: 0 }));
    const result = await nextMessage(battle, 'battle_result', 20_000);
    const mine = result.standings.find((s: any) => s.userId === a.user.id);
    assert.equal(mine.ratingAfter, mine.ratingBefore, 'practice is unrated');
    assert.equal(mine.coins, 0, 'practice pays no coins');
    assert.ok(result.standings.some((s: any) => s.userId.startsWith('bot:')));
    const me = await api(t, 'GET', '/me', { token: a.token });
    assert.equal(me.body.rating.value, 1500);
  });

  it('does not let a client create a matched or practice battle itself', async () => {
    const a = await registerUser(t);
    const room = await sdkClient(t, a.token).create('battle', { practice: { userId: a.user.id, rating: 1500, botName: 'x' } });
    await eventually(() => room.state.mode !== undefined, 2000, 'state');
    assert.equal(room.state.mode, 'quick');
    assert.equal(room.state.players.size, 1, 'no bot');
  });
});
