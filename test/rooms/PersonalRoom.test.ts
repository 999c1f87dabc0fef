import assert from 'node:assert/strict';
import http from 'node:http';
import { createAuthContext, matchMaker } from '@colyseus/core';
import { Encoder } from '@colyseus/schema';
import { PersonalRoom } from '../../rooms/PersonalRoom';
import jwt from 'jsonwebtoken';
import { patchScheduler } from '../../src/realtime/patchScheduler';
import { STAMP_SQL } from '../../src/services/NotificationService';
import { MATCHMAKE_BODY_LIMIT } from '../../src/realtime/joinErrors';
import { RateLimiter } from '../../src/services/RateLimiter';
import { testArena, type TestArena } from '../helpers/arena';
import { api, registerUser } from '../helpers/factories';
import { collect, eventually, joinError, nextMessage, sdkClient } from '../helpers/sdk';

describe('personal room', () => {
  let t: TestArena;
  beforeEach(async () => { t = await testArena(); });

  it('rejects a missing, forged or expired token with 401', async () => {
    const { user } = await registerUser(t);
    assert.equal(await joinError(sdkClient(t).joinOrCreate('personal')), 401);
    const forged = jwt.sign({ username: user.username, role: 'student' }, 'x'.repeat(40), { subject: user.id, issuer: 'quest-arena', audience: 'quest-arena-client', expiresIn: 60 });
    assert.equal(await joinError(sdkClient(t, forged).joinOrCreate('personal')), 401);
    const expired = jwt.sign({ username: user.username, role: 'student', iat: Math.floor(Date.now() / 1000) - 3600 }, 'test-secret-test-secret-test-secret-0123456789', { subject: user.id, issuer: 'quest-arena', audience: 'quest-arena-client', expiresIn: 60 });
    assert.equal(await joinError(sdkClient(t, expired).joinOrCreate('personal')), 401);
  });

  it('refuses a matchmaking request whose options are not an object (422), whose body is over 16 KiB (413) or not sized (411), as the route answers its errors', async () => {
    const alice = await registerUser(t);
    const ask = (body: string, headers: Record<string, string> = {}) =>
      api(t, 'POST', '/matchmake/joinOrCreate/personal', { token: alice.token, body, headers: { origin: 'http://kids.example', ...headers } });
    // Through the route: a string or null reached the room and failed there (500); a list was taken as options.
    for (const body of ['"x"', 'null', '[1]', '5']) {
      const res = await ask(body);
      assert.equal(res.status, 422, body);
      assert.deepEqual(res.body, { code: 422, error: 'The join options must be a JSON object.' }, body);
    }
    const big = await ask(JSON.stringify({ pad: 'x'.repeat(MATCHMAKE_BODY_LIMIT) }));
    assert.equal(big.status, 413);
    assert.equal(big.body.code, 413);
    assert.match(big.body.error, /at most 16384 bytes/);
    assert.equal(big.headers.get('access-control-allow-origin'), 'http://kids.example', 'the framework\'s CORS headers, as on its own errors');
    // A chunked body (no Content-Length) is refused before it is read.
    const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${t.baseUrl}/matchmake/joinOrCreate/personal`, {
        method: 'POST', headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' },
      }, (res) => {
        let text = '';
        res.on('data', (d) => { text += d; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.write('{');
      req.end('}');
    });
    assert.equal(chunked.status, 411);
    assert.equal(JSON.parse(chunked.body).code, 411);
    // Within the limit, an object: the join goes on as ever.
    const ok = await ask(JSON.stringify({ pad: 'x'.repeat(1000) }));
    assert.equal(ok.status, 200);
    assert.equal(ok.body.name, 'personal');
    const empty = await ask('');
    assert.equal(empty.status, 200);
  });

  it('lets the event loop turn at each step of a join\'s matchmaking (token, room creation) rather than holding it to the end', async () => {
    const alice = await registerUser(t);
    // The turns of the loop that pass while `work` runs: other clients' messages are handled in them. With
    // the in-process presence and driver, the matchmaking chain never waits on I/O, and without yielding it
    // ran to its end before any of them (0 turns). Each count stops for good when its work is done.
    const turnsDuring = async <T>(work: () => Promise<T>): Promise<{ result: T; turns: number }> => {
      let turns = 0;
      let counting = true;
      const tick = () => { if (!counting) return; turns++; setImmediate(tick); };
      setImmediate(tick);
      const result = await work();
      counting = false;
      return { result, turns };
    };
    const join = () => matchMaker.joinOrCreate('personal', {}, createAuthContext({ headers: { authorization: `Bearer ${alice.token}` } }));
    const first = await turnsDuring(join);
    assert.equal(first.result.name, 'personal');
    assert.ok(first.turns >= 4, `the loop turned ${first.turns} times during the join (at least 4: before and after the token, before and after onCreate)`);
    // Into a room that exists (a second tab), the token's two.
    const second = await turnsDuring(join);
    assert.equal(second.result.roomId, first.result.roomId);
    assert.ok(second.turns >= 2, `the loop turned ${second.turns} times during the second join`);
  });

  it('is one room per user: a second tab joins the same room, another user gets their own', async () => {
    const alice = await registerUser(t);
    const bob = await registerUser(t);
    const tab1 = await sdkClient(t, alice.token).joinOrCreate('personal');
    const tab2 = await sdkClient(t, alice.token).joinOrCreate('personal');
    const bobs = await sdkClient(t, bob.token).joinOrCreate('personal');
    assert.equal(tab1.roomId, tab2.roomId);
    assert.notEqual(bobs.roomId, tab1.roomId);
    await eventually(() => tab1.state.sessions === 2, 2000, 'two sessions in state');
    assert.equal(tab1.state.userId, alice.user.id);
  });

  it('gives every personal room one handshake, encoded once, that each user\'s tabs decode into their own state', async () => {
    const alice = await registerUser(t);
    const bob = await registerUser(t);
    const alices = await sdkClient(t, alice.token).joinOrCreate('personal');
    const bobs = await sdkClient(t, bob.token).joinOrCreate('personal');
    type WithSerializer = { _serializer: { handshake(): Uint8Array } };
    const handshake = (roomId: string) => (matchMaker.getLocalRoomById(roomId) as unknown as WithSerializer)._serializer.handshake();
    assert.notEqual(alices.roomId, bobs.roomId);
    assert.ok(handshake(alices.roomId).length > 0);
    assert.equal(handshake(alices.roomId), handshake(bobs.roomId), 'the same bytes, not an encoding per room');
    await eventually(() => alices.state.userId === alice.user.id && bobs.state.userId === bob.user.id, 2000, 'each state decoded');
    assert.equal(bobs.state.sessions, 1);
  });

  it('encodes its state in buffers of PersonalRoom.stateBufferBytes, with room to spare, and leaves other rooms\' at the default', async () => {
    const alice = await registerUser(t, { username: `u${'x'.repeat(22)}${process.pid % 10}` }); // the longest username
    const tabs = [await sdkClient(t, alice.token).joinOrCreate('personal')];
    for (let i = 0; i < 2; i++) tabs.push(await sdkClient(t, alice.token).joinOrCreate('personal'));
    await eventually(() => tabs[0].state.sessions === 3 && tabs[0].state.username === alice.user.username, 2000, 'three sessions');
    type Buffers = { _serializer: { fullEncodeBuffer: Uint8Array; encoder: { sharedBuffer: Uint8Array; encodeAll(): Uint8Array } } };
    const serializer = (matchMaker.getLocalRoomById(tabs[0].roomId) as unknown as Buffers)._serializer;
    assert.equal(PersonalRoom.stateBufferBytes, 512);
    assert.equal(serializer.fullEncodeBuffer.byteLength, 512);
    assert.equal(serializer.encoder.sharedBuffer.byteLength, 512, 'not grown by the joins and their patches');
    assert.ok(serializer.encoder.encodeAll().byteLength < 128, 'a full encoding fits several times over');
    assert.equal(Encoder.BUFFER_SIZE, 16 * 1024, 'the default is back for every other room');
    const battle = await sdkClient(t, alice.token).create('battle', { private: true });
    const battleSerializer = (matchMaker.getLocalRoomById(battle.roomId) as unknown as Buffers)._serializer;
    assert.equal(battleSerializer.encoder.sharedBuffer.byteLength, 16 * 1024);
  });

  it('shows a tab joining or leaving to the other tabs at once, ahead of any later message', async () => {
    // The room's periodic patch is slow (idle rooms are many): the change is sent when it happens, so it
    // reaches the first tab before a notification sent after it.
    const alice = await registerUser(t);
    const tab1 = await sdkClient(t, alice.token).joinOrCreate('personal');
    const seen: number[] = [];
    tab1.onMessage('notification', () => seen.push(tab1.state.sessions));
    const tab2 = await sdkClient(t, alice.token).joinOrCreate('personal');
    await t.arena.services.notifications.notify(alice.user.id, { kind: 'achievement', title: 'One', data: {} });
    await eventually(() => seen.length === 1, 2000, 'first notification');
    await tab2.leave(true);
    const room = matchMaker.getLocalRoomById(tab1.roomId)!;
    await eventually(() => room.clients.length === 1, 2000, 'the server saw tab 2 leave');
    await t.arena.services.notifications.notify(alice.user.id, { kind: 'achievement', title: 'Two', data: {} });
    await eventually(() => seen.length === 2, 2000, 'second notification');
    assert.deepEqual(seen, [2, 1]);
  });

  it('is patched by the process\'s patch schedule while it exists, and leaves it when disposed', async () => {
    const alice = await registerUser(t);
    const tab = await sdkClient(t, alice.token).joinOrCreate('personal');
    const room = matchMaker.getLocalRoomById(tab.roomId)!;
    assert.ok(patchScheduler.has(room));
    // The state reaches the client through the scheduled patches too: a change made without an explicit
    // broadcastPatch() arrives within the room's (1 s) period.
    (room.state as { username: string }).username = 'renamed-by-test';
    await eventually(() => tab.state.username === 'renamed-by-test', 3000, 'the scheduled patch');
    await tab.leave(true);
    await eventually(() => !patchScheduler.has(room), 3000, 'the disposed room left the schedule');
  });

  it('keeps nothing of users who came and went: no room, schedule entry, presence channel or key is left', async () => {
    // What a process serving many short visits must not grow: the load bench's heap snapshots after
    // 5,000 personal rooms came and went differed by compiled code only.
    const presence = matchMaker.presence as unknown as { keys: Record<string, unknown>; channels(): Promise<string[]> };
    const lasting = () => Object.keys(presence.keys).filter((k) => !k.startsWith('ratelimit:')).sort();
    const users = await Promise.all(Array.from({ length: 12 }, () => registerUser(t)));
    const rooms0 = (await matchMaker.query({})).length;
    const schedule0 = patchScheduler.size;
    const channels0 = (await presence.channels()).sort();
    const keys0 = lasting();
    for (const { token } of users) {
      const tabs = [await sdkClient(t, token).joinOrCreate('personal'), await sdkClient(t, token).joinOrCreate('personal')];
      const answer = nextMessage(tabs[0], 'marked_read');
      tabs[0].send('mark_read', { ids: ['00000000-0000-4000-8000-000000000000'] });
      assert.deepEqual(await answer, { ids: ['00000000-0000-4000-8000-000000000000'], updated: 0 });
      await tabs[0].leave(true);
      await tabs[1].leave(true);
    }
    await eventually(async () => (await matchMaker.query({})).length === rooms0, 5000, 'every personal room disposed');
    assert.equal(patchScheduler.size, schedule0);
    assert.deepEqual((await presence.channels()).sort(), channels0);
    assert.deepEqual(lasting(), keys0);
  });

  it('ignores a userId the client claims and refuses a second room or a foreign join', async () => {
    const alice = await registerUser(t);
    const mallory = await registerUser(t);
    const own = await sdkClient(t, alice.token).joinOrCreate('personal');
    // Claiming alice's id in options does not put mallory into alice's room.
    const malloryRoom = await sdkClient(t, mallory.token).joinOrCreate('personal', { userId: alice.user.id });
    assert.notEqual(malloryRoom.roomId, own.roomId);
    assert.equal(await joinError(sdkClient(t, mallory.token).joinById(own.roomId)), 403);
    assert.equal(await joinError(sdkClient(t, alice.token).create('personal')), 409);
  });

  it('delivers a notification live to every open tab, and marks it delivered', async () => {
    const alice = await registerUser(t);
    const tab1 = await sdkClient(t, alice.token).joinOrCreate('personal');
    const tab2 = await sdkClient(t, alice.token).joinOrCreate('personal');
    const got1 = nextMessage(tab1, 'notification');
    const got2 = nextMessage(tab2, 'notification');
    const sent = await t.arena.services.notifications.notify(alice.user.id, { kind: 'achievement', title: 'First steps', data: { badge: 'first' } });
    const [n1, n2] = await Promise.all([got1, got2]);
    for (const n of [n1, n2]) {
      assert.deepEqual(Object.keys(n).sort(), ['createdAt', 'data', 'id', 'kind', 'read', 'title']);
      assert.equal(n.id, sent.id);
      assert.equal(n.kind, 'achievement');
      assert.deepEqual(n.data, { badge: 'first' });
    }
    await eventually(async () => (await t.arena.services.notifications.undelivered(alice.user.id)).length === 0, 2000, 'marked delivered');
  });

  it('delivers what arrived while offline on the next join, once', async () => {
    const alice = await registerUser(t);
    await t.arena.services.notifications.notify(alice.user.id, { kind: 'reward', title: 'One', data: { coins: 5 } });
    await t.arena.services.notifications.notify(alice.user.id, { kind: 'level_up', title: 'Two', data: { level: 2 } });
    const client = sdkClient(t, alice.token);
    const room = await client.joinOrCreate('personal');
    const seen = collect(room, 'notification');
    await eventually(() => seen.length === 2, 2000, 'backlog');
    assert.deepEqual(seen.map((n) => n.title), ['One', 'Two']);
    await room.leave(true);
    await eventually(async () => (await t.arena.services.notifications.undelivered(alice.user.id)).length === 0, 2000, 'marked delivered');
    const again = await client.joinOrCreate('personal');
    const seenAgain = collect(again, 'notification');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(seenAgain.length, 0);
  });

  it('does not deliver one user\'s notification to another', async () => {
    const alice = await registerUser(t);
    const bob = await registerUser(t);
    const bobs = await sdkClient(t, bob.token).joinOrCreate('personal');
    const bobSeen = collect(bobs, 'notification');
    const alices = await sdkClient(t, alice.token).joinOrCreate('personal');
    const got = nextMessage(alices, 'notification');
    await t.arena.services.notifications.notify(alice.user.id, { kind: 'reward', title: 'For alice' });
    await got;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(bobSeen.length, 0);
  });

  it('marks notifications read, answers malformed and unknown messages with "error", and stays open', async () => {
    const alice = await registerUser(t);
    const n = await t.arena.services.notifications.notify(alice.user.id, { kind: 'reward', title: 'Read me' });
    const room = await sdkClient(t, alice.token).joinOrCreate('personal');
    const errors = collect(room, 'error');
    room.send('mark_read', { ids: 'nope' });
    room.send('mark_read', { ids: [n.id], extra: 1 });
    room.send('self_destruct', {});
    await eventually(() => errors.length === 3, 2000, 'three errors');
    assert.deepEqual(errors.map((e) => [e.code, e.type]), [['INVALID_MESSAGE', 'mark_read'], ['INVALID_MESSAGE', 'mark_read'], ['UNKNOWN_MESSAGE', 'self_destruct']]);
    for (const e of errors) assert.equal(typeof e.message, 'string');
    const ack = nextMessage(room, 'marked_read');
    room.send('mark_read', { ids: [n.id] });
    assert.deepEqual(await ack, { ids: [n.id], updated: 1 });
    const history = await api(t, 'GET', '/me/notifications', { token: alice.token });
    assert.equal(history.body.items[0].read, true);
  });

  it('stamps read and delivered flags with an asynchronous commit of their own statement, and leaves the session as it was', async () => {
    const alice = await registerUser(t);
    const bob = await registerUser(t);
    const n = await t.arena.services.notifications.notify(alice.user.id, { kind: 'reward', title: 'Stamp me' });
    const runner = t.arena.database.dataSource.createQueryRunner();
    try {
      const setting = async () => ((await runner.query(`SELECT current_setting('synchronous_commit') AS s`)) as Array<{ s: string }>)[0].s;
      // Inside a transaction the statement turns synchronous_commit off for that transaction alone…
      await runner.startTransaction();
      const [own] = (await runner.query(STAMP_SQL.delivered_at, [alice.user.id, [n.id]])) as [Array<{ id: string }>, number];
      assert.deepEqual(own.map((r) => r.id), [n.id]);
      assert.equal(await setting(), 'off');
      await runner.commitTransaction();
      // …and on its own (its own transaction) it leaves the connection's setting as it was.
      assert.equal(await setting(), 'on');
      const [foreign] = (await runner.query(STAMP_SQL.read_at, [bob.user.id, [n.id]])) as [Array<{ id: string }>, number];
      assert.deepEqual(foreign, [], 'another user\'s id stamps nothing');
      assert.equal(await setting(), 'on');
    } finally {
      await runner.release();
    }
    assert.deepEqual(await t.arena.services.notifications.markRead(alice.user.id, [n.id], false), [n.id]);
    assert.deepEqual(await t.arena.services.notifications.markRead(alice.user.id, [n.id], false), [], 'already read: nothing changes');
    assert.deepEqual(await t.arena.services.notifications.undelivered(alice.user.id), []);
  });

  it('tells every tab which notifications became read, read in a tab or over HTTP, and only those that changed', async () => {
    const alice = await registerUser(t);
    const [n1, n2] = [
      await t.arena.services.notifications.notify(alice.user.id, { kind: 'reward', title: 'One' }),
      await t.arena.services.notifications.notify(alice.user.id, { kind: 'reward', title: 'Two' }),
    ];
    const phone = await sdkClient(t, alice.token).joinOrCreate('personal');
    const tablet = await sdkClient(t, alice.token).joinOrCreate('personal');
    const phoneReads = collect(phone, 'notifications_read');
    const tabletReads = collect(tablet, 'notifications_read');
    const ack = nextMessage(phone, 'marked_read');
    phone.send('mark_read', { ids: [n1.id, '00000000-0000-4000-8000-000000000000'] });
    assert.deepEqual(await ack, { ids: [n1.id, '00000000-0000-4000-8000-000000000000'], updated: 1 });
    await eventually(() => tabletReads.length === 1 && phoneReads.length === 1, 2000, 'both tabs told');
    assert.deepEqual(tabletReads[0], { ids: [n1.id] });
    assert.deepEqual(phoneReads[0], { ids: [n1.id] });
    // Read again: nothing changed, nobody is told.
    const again = nextMessage(tablet, 'marked_read');
    tablet.send('mark_read', { ids: [n1.id] });
    assert.equal((await again).updated, 0);
    const res = await api(t, 'POST', '/me/notifications/read', { token: alice.token, body: { ids: [n2.id] } });
    assert.deepEqual(res.body, { updated: 1 });
    await eventually(() => tabletReads.length === 2 && phoneReads.length === 2, 2000, 'both tabs told of the HTTP read');
    assert.deepEqual(tabletReads[1], { ids: [n2.id] });
    assert.deepEqual(phoneReads[1], { ids: [n2.id] });
  });

  it('tells the tabs a notification it knows unread is read before the database has stored it, and answers the tab once stored', async () => {
    const alice = await registerUser(t);
    const n = await t.arena.services.notifications.notify(alice.user.id, { kind: 'reward', title: 'Known before the room' });
    const phone = await sdkClient(t, alice.token).joinOrCreate('personal');
    const tablet = await sdkClient(t, alice.token).joinOrCreate('personal');
    const live = nextMessage(phone, 'notification');
    const m = await t.arena.services.notifications.notify(alice.user.id, { kind: 'reward', title: 'Delivered live' });
    await live;
    const service = t.arena.services.notifications;
    const stores: Array<{ ids: string[]; release: () => void }> = [];
    service.markRead = async function (this: typeof service, userId: string, ids: string[], announce?: boolean) {
      await new Promise<void>((release) => stores.push({ ids, release }));
      return Object.getPrototypeOf(this).markRead.call(this, userId, ids, announce);
    };
    try {
      const acks = collect(phone, 'marked_read');
      const tabletReads = collect(tablet, 'notifications_read');
      phone.send('mark_read', { ids: [n.id, m.id] });
      await eventually(() => tabletReads.length === 1, 2000, 'the tablet told while the store waits');
      assert.deepEqual(tabletReads[0], { ids: [n.id, m.id] });
      assert.equal(stores.length, 1);
      assert.deepEqual(acks, [], 'no answer before the store');
      const unread = await api(t, 'GET', '/me/notifications', { token: alice.token });
      assert.ok(unread.body.items.every((i: { read: boolean }) => !i.read), 'nothing stored yet');
      stores[0].release();
      await eventually(() => acks.length === 1, 2000, 'the answer once stored');
      assert.deepEqual(acks[0], { ids: [n.id, m.id], updated: 2 });
      const read = await api(t, 'GET', '/me/notifications', { token: alice.token });
      assert.ok(read.body.items.every((i: { read: boolean }) => i.read));
      assert.equal(tabletReads.length, 1, 'announced once');
    } finally {
      delete (service as { markRead?: unknown }).markRead;
    }
  });

  it('makes announced ids unread again for the room when storing them fails, and answers INTERNAL', async () => {
    const alice = await registerUser(t);
    const n = await t.arena.services.notifications.notify(alice.user.id, { kind: 'reward', title: 'Fails once' });
    const phone = await sdkClient(t, alice.token).joinOrCreate('personal');
    const reads = collect(phone, 'notifications_read');
    const errors = collect(phone, 'error');
    const service = t.arena.services.notifications;
    service.markRead = async () => { throw new Error('database went away'); };
    try {
      phone.send('mark_read', { ids: [n.id] });
      await eventually(() => errors.length === 1, 2000, 'an error');
      assert.deepEqual([errors[0].code, errors[0].type], ['INTERNAL', 'mark_read']);
    } finally {
      delete (service as { markRead?: unknown }).markRead;
    }
    const ack = nextMessage(phone, 'marked_read');
    phone.send('mark_read', { ids: [n.id] });
    assert.deepEqual(await ack, { ids: [n.id], updated: 1 }, 'asked again, it is stored');
    assert.equal(reads.length, 2);
    const history = await api(t, 'GET', '/me/notifications', { token: alice.token });
    assert.equal(history.body.items[0].read, true);
  });

  it('stores ids the room does not know before announcing them, and only those the database changed', async () => {
    const alice = await registerUser(t);
    const bob = await registerUser(t);
    const phone = await sdkClient(t, alice.token).joinOrCreate('personal');
    const tablet = await sdkClient(t, alice.token).joinOrCreate('personal');
    // Stored but never published: the room has not heard of them (as if older than what it loaded).
    const db = t.arena.database.dataSource.manager;
    const [quiet] = await t.arena.services.notifications.store(db, [{ userId: alice.user.id, kind: 'reward', title: 'Unheard of' }]);
    const [foreign] = await t.arena.services.notifications.store(db, [{ userId: bob.user.id, kind: 'reward', title: 'Bob\'s' }]);
    const tabletReads = collect(tablet, 'notifications_read');
    const ack = nextMessage(phone, 'marked_read');
    phone.send('mark_read', { ids: [quiet.id, foreign.id] });
    assert.deepEqual(await ack, { ids: [quiet.id, foreign.id], updated: 1 });
    await eventually(() => tabletReads.length === 1, 2000, 'the tablet told');
    assert.deepEqual(tabletReads[0], { ids: [quiet.id] });
    const bobs = await api(t, 'GET', '/me/notifications', { token: bob.token });
    assert.equal(bobs.body.items[0].read, false, 'another user\'s id is not touched');
  });

  it('announces a notification read at once in a tab and over HTTP exactly once', async () => {
    const alice = await registerUser(t);
    const phone = await sdkClient(t, alice.token).joinOrCreate('personal');
    const tablet = await sdkClient(t, alice.token).joinOrCreate('personal');
    const delivered = collect(phone, 'notification');
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await t.arena.services.notifications.notify(alice.user.id, { kind: 'reward', title: `Race ${i}` })).id);
    await eventually(() => delivered.length === ids.length, 2000, 'delivered live: the room knows them unread');
    const told = collect(tablet, 'notifications_read');
    const acks = collect(phone, 'marked_read');
    let httpUpdated = 0;
    await Promise.all(ids.map(async (id, i) => {
      if (i % 2 === 0) phone.send('mark_read', { ids: [id] });
      const res = await api(t, 'POST', '/me/notifications/read', { token: alice.token, body: { ids: [id] } });
      httpUpdated += res.body.updated as number;
      if (i % 2 === 1) phone.send('mark_read', { ids: [id] });
    }));
    await eventually(() => acks.length === ids.length && told.flatMap((m) => m.ids).length >= ids.length, 3000, 'every read told');
    await new Promise((r) => setTimeout(r, 200));
    const announced = told.flatMap((m: { ids: string[] }) => m.ids).sort();
    assert.deepEqual(announced, [...ids].sort(), 'each id announced once');
    const roomUpdated = acks.reduce((sum: number, a: { updated: number }) => sum + a.updated, 0);
    assert.equal(roomUpdated + httpUpdated, ids.length, 'each id stored read once');
  });

  it('disconnects a flooding client with a 4xxx code while others carry on', async () => {
    const alice = await registerUser(t);
    const flooder = await sdkClient(t, alice.token).joinOrCreate('personal');
    const calm = await sdkClient(t, alice.token).joinOrCreate('personal');
    const closed = new Promise<number>((resolve) => flooder.onLeave((code: number) => resolve(code)));
    for (let i = 0; i < 200; i++) flooder.send('mark_read', { ids: ['00000000-0000-4000-8000-000000000000'] });
    const code = await closed;
    assert.equal(code, 4002);
    const ack = nextMessage(calm, 'marked_read');
    calm.send('mark_read', { ids: ['00000000-0000-4000-8000-000000000000'] });
    assert.deepEqual(await ack, { ids: ['00000000-0000-4000-8000-000000000000'], updated: 0 });
  });

  it('drops what a flooder still had queued once it is thrown out: no database work for a closed client', async () => {
    const alice = await registerUser(t);
    const flooder = await sdkClient(t, alice.token).joinOrCreate('personal');
    const closed = new Promise<number>((resolve) => flooder.onLeave((code: number) => resolve(code)));
    const notifications = t.arena.services.notifications;
    const markRead = notifications.markRead;
    let calls = 0;
    notifications.markRead = async function (this: typeof notifications, ...args: Parameters<typeof markRead>) {
      calls++;
      await new Promise((r) => setTimeout(r, 20)); // a slow database: the flooder's messages queue up behind this one
      return markRead.apply(this, args);
    };
    try {
      for (let i = 0; i < 200; i++) flooder.send('mark_read', { ids: ['00000000-0000-4000-8000-000000000000'] });
      assert.equal(await closed, 4002);
      await new Promise((r) => setTimeout(r, 300));
      // MAX_MESSAGES_PER_SECOND is 20: about 20 were accepted, one at a time; without the drop all ran.
      assert.ok(calls >= 1 && calls <= 3, `markRead ran ${calls} times`);
    } finally {
      notifications.markRead = markRead;
    }
  });

  it('bars a user thrown out for flooding from joining any room for FLOOD_COOLDOWN_MS, and nobody else', async () => {
    const alice = await registerUser(t);
    const bob = await registerUser(t);
    const flooder = await sdkClient(t, alice.token).joinOrCreate('personal');
    const closed = new Promise<number>((resolve) => flooder.onLeave((code: number) => resolve(code)));
    for (let i = 0; i < 200; i++) flooder.send('mark_read', { ids: ['00000000-0000-4000-8000-000000000000'] });
    assert.equal(await closed, 4002);
    assert.equal(await joinError(sdkClient(t, alice.token).joinOrCreate('personal')), 429);
    assert.equal(await joinError(sdkClient(t, alice.token).joinOrCreate('matchmaking')), 429);
    await sdkClient(t, bob.token).joinOrCreate('personal');
    // FLOOD_COOLDOWN_MS is 1 s in tests: then alice is welcome again.
    await eventually(async () => {
      try {
        await (await sdkClient(t, alice.token).joinOrCreate('personal')).leave(true);
        return true;
      } catch {
        return false;
      }
    }, 5000, 'alice may join again after the cooldown');
  });

  it('refuses a barred user in front of the matchmaking route, answering exactly as the route does, wherever the bar was set', async () => {
    const alice = await registerUser(t);
    const bob = await registerUser(t);
    const carol = await registerUser(t);
    // carol's bar is only in presence (as from a process whose announcement this one has not heard yet):
    // the framework's route refuses her, asking presence;
    // alice is barred by this process, bob by another limiter on the same presence, as another process
    // bars: both refused before the route.
    await matchMaker.presence.setex(`ratelimit:bar:flood:${carol.user.id}`, '1', 60);
    await t.arena.services.rateLimits.bar(`flood:${alice.user.id}`, 60_000);
    await new RateLimiter(matchMaker.presence, 60_000, () => Date.now()).bar(`flood:${bob.user.id}`, 60_000);
    const barred = async () => Object.fromEntries((await t.arena.services.metrics.barredJoins.get()).values.map((v) => [v.labels.where, v.value]));
    const before = await barred();
    const controller = matchMaker.controller;
    const invoke = controller.invokeMethod;
    let routed = 0;
    controller.invokeMethod = function (this: typeof controller, ...args: Parameters<typeof invoke>) { routed++; return invoke.apply(this, args); };
    try {
      const ask = (u: { token: string }) => api(t, 'POST', '/matchmake/joinOrCreate/personal', { token: u.token, body: {}, headers: { origin: 'http://kids.example' } });
      const viaRoute = await ask(carol);
      assert.equal(routed, 1);
      const viaGuard = await ask(alice);
      assert.equal(routed, 1, 'the route never saw the barred user\'s request');
      const elsewhere = await ask(bob);
      assert.equal(routed, 1, 'nor that of a user barred by another process');
      assert.equal(elsewhere.status, 429);
      assert.deepEqual(elsewhere.body, viaRoute.body);
      const after = await barred();
      assert.equal((after.front ?? 0) - (before.front ?? 0), 2);
      assert.equal((after.route ?? 0) - (before.route ?? 0), 1);
      assert.equal(viaRoute.status, 429);
      assert.equal(viaGuard.status, 429);
      assert.deepEqual(viaGuard.body, viaRoute.body);
      assert.equal(viaGuard.headers.get('access-control-allow-origin'), 'http://kids.example');
      for (const h of ['access-control-allow-origin', 'access-control-allow-credentials', 'access-control-allow-methods', 'access-control-allow-headers', 'content-type']) {
        assert.equal(viaGuard.headers.get(h), viaRoute.headers.get(h), h);
      }
      // A bad token is none of the guard's business: the route answers it (401), barred user or not.
      assert.equal((await api(t, 'POST', '/matchmake/joinOrCreate/personal', { token: 'x.y.z', body: {} })).status, 401);
      assert.equal(routed, 2);
    } finally {
      controller.invokeMethod = invoke;
    }
  });

  it('holds a barred user\'s refusal FLOOD_REFUSAL_HOLD_MS, never past the bar, four at a time per user; a request given up frees its place', async () => {
    const config = t.arena.services.config;
    const hold = config.floodRefusalHoldMs;
    const alice = await registerUser(t);
    const bob = await registerUser(t);
    const ask = (u: { token: string }, signal?: AbortSignal) => fetch(`${t.baseUrl}/matchmake/joinOrCreate/personal`, {
      method: 'POST', headers: { authorization: `Bearer ${u.token}`, 'content-type': 'application/json' }, body: '{}', signal,
    });
    await t.arena.services.rateLimits.bar(`flood:${alice.user.id}`, 60_000);
    // Held (FLOOD_REFUSAL_HOLD_MS is 100 ms in tests), then the usual 429.
    let started = performance.now();
    const res = await ask(alice);
    assert.ok(performance.now() - started >= hold - 1, 'answered only after the hold');
    assert.equal(res.status, 429);
    assert.equal(((await res.json()) as { code: number }).code, 429);
    try {
      config.floodRefusalHoldMs = 60_000;
      // Never held past the bar: bob's ends in 200 ms, so does the wait, not a minute later.
      await t.arena.services.rateLimits.bar(`flood:${bob.user.id}`, 200);
      started = performance.now();
      assert.equal((await ask(bob, AbortSignal.timeout(10_000))).status, 429, 'answered when the bar ended, not after the minute\'s hold');
      assert.ok(performance.now() - started < 10_000, 'answered when the bar ended');
      // Four of alice's refusals are held; a fifth side by side is answered at once, while they wait.
      const refusedHere = async () => (await t.arena.services.metrics.barredJoins.get()).values.find((v) => v.labels.where === 'front')?.value ?? 0;
      const before = await refusedHere();
      const aborts = Array.from({ length: 4 }, () => new AbortController());
      const held = aborts.map((a) => ask(alice, a.signal).then(() => 'answered', () => 'aborted'));
      await eventually(async () => (await refusedHere()) === before + 4, 5000, 'the four reached the server');
      assert.equal((await ask(alice)).status, 429);
      aborts.forEach((a) => a.abort());
      assert.deepEqual(await Promise.all(held), ['aborted', 'aborted', 'aborted', 'aborted'], 'the four were still held');
      // Given up, they hold no place (once the server has seen them go): the next refusal is held again.
      await new Promise((r) => setTimeout(r, 200));
      let answered = false;
      const again = new AbortController();
      const next = ask(alice, again.signal).then(() => { answered = true; }, () => {});
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(answered, false, 'held again once the others gave up');
      again.abort();
      await next;
    } finally {
      config.floodRefusalHoldMs = hold;
    }
  });

  it('keeps a client that stays under the message limit, even where the room clock moves rarely', async () => {
    // MAX_MESSAGES_PER_SECOND is 20. A personal room ticks its clock once a second, so a limit counted on
    // the room clock would see two seconds of this client's 15 a second as one (30) and throw it out.
    const alice = await registerUser(t);
    const room = await sdkClient(t, alice.token).joinOrCreate('personal');
    let left: number | undefined;
    room.onLeave((code: number) => { left = code; });
    let acks = 0;
    room.onMessage('marked_read', () => { acks++; });
    for (let i = 0; i < 45; i++) {
      room.send('mark_read', { ids: ['00000000-0000-4000-8000-000000000000'] });
      await new Promise((r) => setTimeout(r, 1000 / 15));
    }
    // A burst of queued messages (a second's worth, as after a stall) is tolerated too.
    for (let i = 0; i < 20; i++) room.send('mark_read', { ids: ['00000000-0000-4000-8000-000000000000'] });
    await eventually(() => acks === 65 || left !== undefined, 5000, 'every message answered');
    assert.equal(left, undefined);
    assert.equal(acks, 65);
  });

  it('closes a connection that sends a frame over the 4 KiB WebSocket limit, and only that one', async () => {
    const alice = await registerUser(t);
    const big = await sdkClient(t, alice.token).joinOrCreate('personal');
    const calm = await sdkClient(t, alice.token).joinOrCreate('personal');
    const closed = new Promise<number>((resolve) => big.onLeave((code: number) => resolve(code)));
    big.send('mark_read', { ids: ['x'.repeat(5000)] });
    assert.equal(await closed, 1009); // "message too big"
    const ack = nextMessage(calm, 'marked_read');
    calm.send('mark_read', { ids: ['00000000-0000-4000-8000-000000000000'] });
    assert.equal((await ack).updated, 0);
  });
});
