import assert from 'node:assert/strict';
import { getMessageBytes, Protocol } from '@colyseus/core';
import type { Room } from '@colyseus/sdk';
import { replayScores } from '../../src/domain/battleEngine';
import { testArena, type TestArena } from '../helpers/arena';
import { api, parentWithChild, registerUser, type TestUser } from '../helpers/factories';
import { collect, eventually, joinError, nextMessage, sdkClient } from '../helpers/sdk';

/** The server-side room, to read the answer key the way only a test may. */
function serverRoom(t: TestArena, roomId: string): any {
  return t.colyseus.getRoomById(roomId);
}

function correctChoice(t: TestArena, roomId: string, round: number): number {
  return serverRoom(t, roomId).engine.questions[round - 1].correctChoice;
}

interface Seat {
  user: TestUser;
  room: Room;
  questions: any[];
  results: any[];
  errors: any[];
}

async function seat(t: TestArena, room: Room, user: TestUser): Promise<Seat> {
  return { user, room, questions: collect(room, 'question'), results: collect(room, 'round_result'), errors: collect(room, 'error') };
}

/** N students in one quick battle, all ready. */
async function quickBattle(t: TestArena, n: number, subject = 'science'): Promise<Seat[]> {
  const seats: Seat[] = [];
  for (let i = 0; i < n; i++) {
    const user = await registerUser(t);
    const room = await sdkClient(t, user.token).joinOrCreate('battle', { subject });
    seats.push(await seat(t, room, user));
  }
  assert.equal(new Set(seats.map((s) => s.room.roomId)).size, 1, 'everyone is in one battle');
  return seats;
}

function readyAll(seats: Seat[]): void {
  for (const s of seats) s.room.send('ready', { ready: true });
}

/** Waits for a round's question on every seat. */
async function questionOf(seats: Seat[], round: number): Promise<void> {
  await eventually(() => seats.every((s) => s.questions.some((q) => q.round === round)), 5000, `question ${round}`);
}

async function resultOf(seats: Seat[], round: number): Promise<any> {
  await eventually(() => seats.every((s) => s.results.some((r) => r.round === round)), 5000, `round_result ${round}`);
  return seats[0].results.find((r) => r.round === round);
}

describe('battle room', function () {
  this.timeout(30_000);
  let t: TestArena;
  beforeEach(async () => { t = await testArena(); });

  it('refuses a join without a valid token (401), a parent (403) and bad options (422)', async () => {
    assert.equal(await joinError(sdkClient(t).joinOrCreate('battle')), 401);
    const parent = await registerUser(t, { role: 'parent' });
    assert.equal(await joinError(sdkClient(t, parent.token).joinOrCreate('battle')), 403);
    const kid = await registerUser(t);
    assert.equal(await joinError(sdkClient(t, kid.token).joinOrCreate('battle', { subject: 'astrology' })), 422);
    assert.equal(await joinError(sdkClient(t, kid.token).create('battle', { private: true, rounds: 99 })), 422);
  });

  it('plays a full 2-player battle, stores it before announcing it, and rewards and rates once', async () => {
    const seats = await quickBattle(t, 2);
    const finals = seats.map((s) => nextMessage(s.room, 'battle_result', 20_000));
    readyAll(seats);
    const roomId = seats[0].room.roomId;
    for (let round = 1; round <= 3; round++) {
      await questionOf(seats, round);
      const q = seats[0].questions.find((x) => x.round === round);
      assert.equal(q.choices.length >= 2, true);
      assert.ok(q.deadline > Date.now() - 1000 && q.durationMs === 800);
      const right = correctChoice(t, roomId, round);
      seats[0].room.send('answer', { round, choice: right });
      seats[1].room.send('answer', { round, choice: (right + 1) % q.choices.length });
      const r = await resultOf(seats, round);
      assert.equal(r.correctChoice, right);
    }
    const [result] = await Promise.all(finals);
    assert.equal(result.winnerUserId, seats[0].user.user.id);
    assert.deepEqual(result.standings.map((s: any) => [s.userId, s.placement]), [[seats[0].user.user.id, 1], [seats[1].user.user.id, 2]]);
    assert.ok(result.standings[0].ratingAfter > result.standings[0].ratingBefore);
    assert.ok(result.standings[1].ratingAfter < result.standings[1].ratingBefore);
    assert.equal(seats[0].room.state.phase, 'finished');
    assert.equal(seats[0].room.state.winnerUserId, seats[0].user.user.id);

    // Stored before it was sent: the battle is readable, and the profile shows the rewards.
    const stored = await api(t, 'GET', `/battles/${result.battleId}`, { token: seats[0].user.token });
    assert.equal(stored.status, 200);
    assert.equal(stored.body.participants.length, 2);
    const me = await api(t, 'GET', '/me', { token: seats[0].user.token });
    assert.equal(me.body.xp, result.standings[0].xp);
    assert.equal(me.body.coins, result.standings[0].coins);
    assert.deepEqual(me.body.stats, { battles: 1, wins: 1 });
    assert.equal(me.body.rating.value, result.standings[0].ratingAfter);

    // The stored answer log replays to the stored scores.
    const replay = await t.arena.services.battles.replayInput(result.battleId);
    const scores = replayScores({ questions: replay.questions, answers: replay.answers, questionMs: replay.questionMs, userIds: replay.participants.map((p: any) => p.userId) });
    for (const s of result.standings) assert.equal(scores.get(s.userId), s.score);
  });

  it('plays a full 8-player battle: the room locks when full and everyone gets the result', async () => {
    const seats = await quickBattle(t, 8, 'geography');
    const ninth = await registerUser(t);
    const extra = await sdkClient(t, ninth.token).joinOrCreate('battle', { subject: 'geography' });
    assert.notEqual(extra.roomId, seats[0].room.roomId, 'a ninth player gets a new battle');
    const finals = seats.map((s) => nextMessage(s.room, 'battle_result', 20_000));
    readyAll(seats);
    const roomId = seats[0].room.roomId;
    for (let round = 1; round <= 3; round++) {
      await questionOf(seats, round);
      const right = correctChoice(t, roomId, round);
      seats.forEach((s, i) => s.room.send('answer', { round, choice: i < round ? right : (right + 1) % 2 }));
      await resultOf(seats, round);
    }
    const results = await Promise.all(finals);
    for (const r of results) assert.deepEqual(r, results[0]);
    assert.equal(results[0].standings.length, 8);
    assert.equal(results[0].winnerUserId, seats[0].user.user.id);
    assert.equal(results[0].standings[0].placement, 1);
  });

  it('lets others join a private battle by its code, and delivers invitations', async () => {
    const host = await registerUser(t);
    const friend = await registerUser(t);
    const hostRoom = await sdkClient(t, host.token).create('battle', { private: true, subject: 'language', rounds: 2 });
    await eventually(() => hostRoom.state.code?.length === 6, 2000, 'code');
    assert.match(hostRoom.state.code, /^[A-HJ-KMNP-Z2-9]{6}$/);
    assert.equal(hostRoom.state.totalRounds, 2);
    // Private battles are not matched by joinOrCreate.
    const stranger = await registerUser(t);
    const other = await sdkClient(t, stranger.token).joinOrCreate('battle', { subject: 'language' });
    assert.notEqual(other.roomId, hostRoom.roomId);

    const friendPersonal = await sdkClient(t, friend.token).joinOrCreate('personal');
    const invite = nextMessage(friendPersonal, 'notification');
    const sent = nextMessage(hostRoom, 'invite_sent');
    hostRoom.send('invite', { username: friend.user.username });
    const n = await invite;
    await sent;
    assert.equal(n.kind, 'battle_invite');
    assert.equal(n.data.code, hostRoom.state.code);

    const lookup = await api(t, 'GET', `/rooms/by-code/${n.data.code}`);
    assert.deepEqual(lookup.body, { roomId: hostRoom.roomId, roomName: 'battle' });
    const friendRoom = await sdkClient(t, friend.token).joinById(lookup.body.roomId);
    await eventually(() => hostRoom.state.players.size === 2, 2000, 'two players');

    const errors = collect(hostRoom, 'error');
    hostRoom.send('invite', { username: 'no_such_kid' });
    await eventually(() => errors.length === 1, 2000, 'invite error');
    assert.equal(errors[0].code, 'USER_NOT_FOUND');
    assert.equal(errors[0].type, 'invite');

    const done = nextMessage(hostRoom, 'battle_result', 20_000);
    hostRoom.send('ready', { ready: true });
    friendRoom.send('ready', { ready: true });
    const result = await done;
    assert.equal(result.standings.length, 2);
    // A started battle cannot be joined.
    const late = await registerUser(t);
    assert.equal(await joinError(sdkClient(t, late.token).joinById(hostRoom.roomId)), 409);
  });

  it('answers unknown rooms with 404', async () => {
    const kid = await registerUser(t);
    assert.equal(await joinError(sdkClient(t, kid.token).joinById('doesnotexist')), 404);
  });

  it('refuses late, double and malformed answers, and answers for someone else, without scoring them', async () => {
    const seats = await quickBattle(t, 2);
    readyAll(seats);
    const roomId = seats[0].room.roomId;
    await questionOf(seats, 1);
    const right = correctChoice(t, roomId, 1);
    const [a, b] = seats;
    a.room.send('answer', { round: 1, choice: right });
    a.room.send('answer', { round: 1, choice: right });
    a.room.send('answer', { round: 1, choice: 'first' });
    a.room.send('answer', { round: 1, choice: right, userId: b.user.user.id });
    await eventually(() => a.errors.length === 3, 3000, 'three errors');
    assert.deepEqual(a.errors.map((e) => [e.code, e.type]), [['ALREADY_ANSWERED', 'answer'], ['INVALID_MESSAGE', 'answer'], ['INVALID_MESSAGE', 'answer']]);
    // b never answered: the forged answer did not count for b.
    const r1 = await resultOf(seats, 1);
    assert.deepEqual(r1.results.find((x: any) => x.userId === b.user.user.id), { userId: b.user.user.id, correct: false, points: 0, score: 0 });
    assert.equal(r1.results.find((x: any) => x.userId === a.user.user.id).points, 1000);
    // Round 1 is over: answering it now is late.
    await questionOf(seats, 2);
    b.room.send('answer', { round: 1, choice: right });
    await eventually(() => b.errors.length === 1, 3000, 'late error');
    assert.equal(b.errors[0].code, 'LATE_ANSWER');
    assert.equal(b.errors[0].type, 'answer');
    // Past the deadline of the open round is late too (the server's clock decides).
    const engine = serverRoom(t, roomId).engine;
    engine.deadline = Date.now() - 1;
    b.room.send('answer', { round: 2, choice: 0 });
    await eventually(() => b.errors.length === 2, 3000, 'second late error');
    assert.equal(b.errors[1].code, 'LATE_ANSWER');
    // Nobody else heard about any of it.
    assert.equal(a.errors.length, 3);
    // The same refusal again is the same whole message each time (refusals are encoded once and reused).
    a.room.send('answer', { round: 2, choice: 0 });
    a.room.send('answer', { round: 2, choice: 1 });
    await eventually(() => a.errors.length === 5, 3000, 'two more late errors');
    const late = { code: 'LATE_ANSWER', message: 'The time for this question is up.', type: 'answer' };
    assert.deepEqual(a.errors.slice(3), [late, late]);
    assert.deepEqual(b.errors[1], late);
  });

  it('reveals the answer key in nothing a client receives before round_result', async () => {
    const seats = await quickBattle(t, 2);
    const received: Array<{ at: number; type: string; payload: unknown }> = [];
    for (const type of ['question', 'answer_ack', 'round_result', 'battle_result', 'error', 'invite_sent']) {
      seats[1].room.onMessage(type, (payload: unknown) => received.push({ at: Date.now(), type, payload }));
    }
    seats[1].room.onMessage('*', (type: string | number, payload: unknown) => received.push({ at: Date.now(), type: String(type), payload }));
    const snapshots: Array<{ at: number; json: string }> = [];
    seats[1].room.onStateChange((state: any) => snapshots.push({ at: Date.now(), json: JSON.stringify(state.toJSON()) }));
    readyAll(seats);
    await questionOf(seats, 1);
    const roomId = seats[0].room.roomId;
    const right = correctChoice(t, roomId, 1);
    seats[0].room.send('answer', { round: 1, choice: right });
    await resultOf(seats, 1);
    const revealIndex = received.findIndex((m) => m.type === 'round_result');
    const revealAt = received[revealIndex].at;
    const beforeReveal = received.slice(0, revealIndex);
    const statesBefore = snapshots.filter((s) => s.at < revealAt);
    assert.ok(beforeReveal.some((m) => m.type === 'question'));
    assert.ok(statesBefore.length > 0);
    // No field that could carry the key (matched on field names: a prompt may well say "correct").
    const text = JSON.stringify(beforeReveal) + statesBefore.map((s) => s.json).join('');
    assert.doesNotMatch(text, /"(correct\w*|answer|answer(Index|Key)|solution)"\s*:/i);
    // The question carries exactly what the contract names, nothing more.
    for (const m of beforeReveal.filter((x) => x.type === 'question')) {
      assert.deepEqual(Object.keys(m.payload as object).sort(), ['choices', 'deadline', 'durationMs', 'prompt', 'questionId', 'round']);
    }
    // Scores in the synced state did not move before the reveal either: that would give the answer away.
    assert.ok(statesBefore.every((s) => !/"score":[1-9]/.test(s.json)), 'no score moved before round_result');
    // ...and they do move after it.
    await eventually(() => /"score":[1-9]/.test(JSON.stringify(seats[1].room.state.toJSON())), 2000, 'score after reveal');
  });

  it('keeps score and streak for a player who drops and reconnects mid-round', async () => {
    const seats = await quickBattle(t, 2);
    readyAll(seats);
    const roomId = seats[0].room.roomId;
    await questionOf(seats, 1);
    const right1 = correctChoice(t, roomId, 1);
    seats.forEach((s) => s.room.send('answer', { round: 1, choice: right1 }));
    await resultOf(seats, 1);
    await questionOf(seats, 2);
    // Drop without consent, in the middle of round 2.
    const dropped = seats[1];
    const token = dropped.room.reconnectionToken;
    dropped.room.connection.close(4100); // not a consented leave: the server holds the seat
    await eventually(() => [...seats[0].room.state.players.values()].some((p: any) => p.connected === false), 3000, 'drop seen');
    const client = sdkClient(t, dropped.user.token);
    const back = await client.reconnect(token);
    const again = collect(back, 'question');
    await eventually(() => [...seats[0].room.state.players.values()].every((p: any) => p.connected), 3000, 'reconnect seen');
    await eventually(() => again.some((q) => q.round === 2), 3000, 'question shown again');
    const right2 = correctChoice(t, roomId, 2);
    back.send('answer', { round: 2, choice: right2 });
    seats[0].room.send('answer', { round: 2, choice: right2 });
    const result = nextMessage(back, 'round_result', 5000);
    const r2 = await result;
    const mine = r2.results.find((x: any) => x.userId === dropped.user.user.id);
    assert.equal(mine.correct, true);
    assert.ok(mine.points > 1000, 'the streak bonus survived the drop');
    assert.ok(mine.score > 1000, 'the score survived the drop');
  });

  it('ends the battle when a dropped player never comes back: the one left wins, the other keeps their score', async () => {
    const seats = await quickBattle(t, 2);
    const done = nextMessage(seats[0].room, 'battle_result', 20_000);
    readyAll(seats);
    const roomId = seats[0].room.roomId;
    await questionOf(seats, 1);
    const right = correctChoice(t, roomId, 1);
    seats[1].room.send('answer', { round: 1, choice: right });
    seats[0].room.send('answer', { round: 1, choice: (right + 1) % 2 });
    await resultOf(seats, 1);
    seats[1].room.connection.close(4100);
    const result = await done; // after BATTLE_RECONNECT_MS (1.5 s in tests)
    assert.equal(result.winnerUserId, seats[0].user.user.id);
    const quitter = result.standings.find((s: any) => s.userId === seats[1].user.user.id);
    assert.equal(quitter.placement, 2);
    assert.ok(quitter.score >= 1000, 'keeps what they scored');
    assert.ok(quitter.coins === 0, 'no placement coins for a forfeit');
  });

  it('shares first place on a tie, with no winner', async () => {
    const seats = await quickBattle(t, 2);
    const done = nextMessage(seats[0].room, 'battle_result', 20_000);
    readyAll(seats);
    const roomId = seats[0].room.roomId;
    for (let round = 1; round <= 3; round++) {
      await questionOf(seats, round);
      const wrong = (correctChoice(t, roomId, round) + 1) % 2;
      seats.forEach((s) => s.room.send('answer', { round, choice: wrong }));
      await resultOf(seats, round);
    }
    const result = await done;
    assert.equal(result.winnerUserId, '');
    assert.deepEqual(result.standings.map((s: any) => s.placement), [1, 1]);
    assert.equal(seats[0].room.state.winnerUserId, '');
  });

  it('lets a linked parent read the child\'s battles', async () => {
    const { parent, child } = await parentWithChild(t);
    const rival = await registerUser(t);
    const a = await sdkClient(t, child.token).joinOrCreate('battle', { subject: 'math' });
    const b = await sdkClient(t, rival.token).joinOrCreate('battle', { subject: 'math' });
    const done = nextMessage(a, 'battle_result', 20_000);
    a.send('ready', { ready: true });
    b.send('ready', { ready: true });
    const result = await done;
    const list = await api(t, 'GET', '/me/battles', { token: child.token });
    assert.equal(list.body.items[0].battleId, result.battleId);
    assert.equal((await api(t, 'GET', `/battles/${result.battleId}`, { token: parent.token })).status, 200);
  });

  it('takes a client\'s messages four a turn, in order, and hands what still waits over before its leave when its socket closes', async () => {
    const seats = await quickBattle(t, 2);
    const room = serverRoom(t, seats[0].room.roomId);
    const client = room.clients.find((c: any) => c.sessionId === seats[0].room.sessionId);
    const handled: boolean[] = [];
    const onReady = room.onReady;
    room.onReady = function (this: unknown, c: unknown, ready: boolean) { handled.push(ready); return onReady.call(this, c, ready); };
    let handledAtClose = -1;
    let handledAtDrop = -1;
    client.ref.prependListener('close', () => { handledAtClose = handled.length; });
    const onDrop = room.onDrop;
    room.onDrop = function (this: unknown, ...args: unknown[]) { handledAtDrop = handled.length; return onDrop.apply(this, args); };
    // Sixteen messages in one turn, as from one read of a socket: ready on and off, ending off (the
    // other player never readies, so the battle waits).
    const sent = Array.from({ length: 16 }, (_, i) => i % 2 === 0);
    for (const ready of sent) room._onMessage(client, Buffer.from(getMessageBytes.raw(Protocol.ROOM_DATA, 'ready', { ready })));
    assert.equal(handled.length, 4, 'four handled in the turn they came in, the rest wait');
    // Closed before the rest had their turns: the leave hands them over first, in order.
    client.ref.terminate();
    await eventually(() => handledAtDrop >= 0, 5000, 'the drop');
    assert.ok(handledAtClose >= 4 && handledAtClose < 16, `the socket closed while messages still waited (${handledAtClose} handled then)`);
    assert.equal(handledAtDrop, 16, 'every message was handled before the drop');
    assert.deepEqual(handled, sent);
    assert.equal(room.state.players.get(client.sessionId).ready, false);
    assert.equal(room.state.players.get(client.sessionId).connected, false);
  });
});
