import assert from 'node:assert/strict';
import { testArena, type TestArena } from '../helpers/arena';
import { api, registerUser } from '../helpers/factories';
import { eventually, sdkClient } from '../helpers/sdk';

describe('operations endpoints', () => {
  let t: TestArena;
  beforeEach(async () => { t = await testArena(); });

  it('GET /health checks the database', async () => {
    const res = await api(t, 'GET', '/health');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'ok', db: 'ok' });
  });

  it('GET /health answers 503 when the database is unreachable', async () => {
    const ds = t.arena.database.dataSource;
    const original = ds.query.bind(ds);
    ds.query = (async () => { throw new Error('connection refused'); }) as typeof ds.query;
    try {
      const res = await api(t, 'GET', '/health');
      assert.equal(res.status, 503);
      assert.equal(res.body.db, 'unreachable');
      assert.equal(res.body.error.code, 'UNAVAILABLE');
    } finally {
      ds.query = original;
    }
  });

  it('GET /metrics exposes connections, rooms by type, messages, errors and HTTP latency', async () => {
    // Counters are process-wide: compare against a reading taken first.
    const value = (text: string, series: string) => {
      const line = text.split('\n').find((l) => l.startsWith(series + ' '));
      return line ? Number(line.slice(series.length + 1)) : 0;
    };
    const unknownIn = 'arena_messages_in_total{room="personal",type="unknown"}';
    const unknownErr = 'arena_errors_total{transport="room",code="UNKNOWN_MESSAGE"}';
    const before = (await api<string>(t, 'GET', '/metrics')).body;
    const alice = await registerUser(t);
    const room = await sdkClient(t, alice.token).joinOrCreate('personal');
    room.send('no_such_message', {});
    await api(t, 'GET', '/me'); // a 401
    await new Promise((r) => setTimeout(r, 150));
    const res = await api<string>(t, 'GET', '/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    const text = res.body;
    assert.match(text, /^arena_connections 1$/m);
    assert.match(text, /^arena_rooms\{type="personal"\} 1$/m);
    assert.equal(value(text, unknownIn) - value(before, unknownIn), 1);
    assert.equal(value(text, unknownErr) - value(before, unknownErr), 1);
    assert.match(text, /^arena_errors_total\{transport="http",code="UNAUTHENTICATED"\} \d+$/m);
    assert.match(text, /^arena_http_request_duration_seconds_count\{method="POST",route="\/auth\/register",status="201"\} \d+$/m);
    assert.match(text, /^arena_rooms\{type="battle"\} 0$/m);
    // The room's disposal brings its type back to 0.
    await room.leave(true);
    await eventually(async () => /^arena_rooms\{type="personal"\} 0$/m.test((await api<string>(t, 'GET', '/metrics')).body), 3000, 'personal rooms 0');
  });

  it('GET /rooms/by-code resolves a claimed code and answers 404 ROOM_NOT_FOUND otherwise', async () => {
    const alice = await registerUser(t);
    const room = await sdkClient(t, alice.token).joinOrCreate('personal');
    const code = await t.arena.services.roomCodes.claim('personal', room.roomId);
    assert.match(code, /^[A-HJ-KMNP-Z2-9]{6}$/);
    const found = await api(t, 'GET', `/rooms/by-code/${code.toLowerCase()}`);
    assert.equal(found.status, 200);
    assert.deepEqual(found.body, { roomId: room.roomId, roomName: 'personal' });
    const missing = await api(t, 'GET', '/rooms/by-code/ZZZZZZ');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'ROOM_NOT_FOUND');
    const bad = await api(t, 'GET', '/rooms/by-code/%24%24');
    assert.equal(bad.status, 400);
    // A code whose room is gone no longer resolves.
    await room.leave(true);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await api(t, 'GET', `/rooms/by-code/${code}`)).status, 404);
  });

  it('answers unknown routes with 404 in the contract shape', async () => {
    const res = await api(t, 'GET', '/definitely/not/here');
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'NOT_FOUND');
  });

  describe('monitor at /colyseus', () => {
    it('answers 401 without credentials or with wrong ones', async () => {
      const none = await api(t, 'GET', '/colyseus/api');
      assert.equal(none.status, 401);
      assert.match(none.headers.get('www-authenticate') ?? '', /^Basic /);
      const wrong = await api(t, 'GET', '/colyseus/api', { headers: { authorization: 'Basic ' + Buffer.from('admin:nope').toString('base64') } });
      assert.equal(wrong.status, 401);
      const wrongUser = await api(t, 'GET', '/colyseus/api', { headers: { authorization: 'Basic ' + Buffer.from('root:monitor-test-password').toString('base64') } });
      assert.equal(wrongUser.status, 401);
    });

    it('serves the panel and its room list with the password', async () => {
      const auth = { authorization: 'Basic ' + Buffer.from('admin:monitor-test-password').toString('base64') };
      const alice = await registerUser(t);
      const room = await sdkClient(t, alice.token).joinOrCreate('personal');
      const panel = await api(t, 'GET', '/colyseus/', { headers: auth });
      assert.equal(panel.status, 200);
      const list = await api(t, 'GET', '/colyseus/api', { headers: auth });
      assert.equal(list.status, 200);
      assert.ok(JSON.stringify(list.body).includes(room.roomId), 'the monitor lists the open room');
    });
  });
});
