import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { Client, type Room } from '@colyseus/sdk';
import { testDatabase } from '../helpers/db';
import { freePort, startServer, waitHealthy, type ServerProcess } from '../helpers/process';
import { collect, eventually, nextMessage } from '../helpers/sdk';

/**
 * Two server processes on the local Redis and one PostgreSQL database: one game world. Needs
 * TEST_REDIS_URL and TEST_DATABASE_URL (CI sets both; see .ci/run).
 */
const REDIS_URL = process.env.TEST_REDIS_URL;
const SECRET = 'cluster-secret-cluster-secret-cluster-0000';

interface Node { proc: ServerProcess; http: string; ws: string }

async function post(node: Node, p: string, body: unknown, token?: string) {
  const res = await fetch(`${node.http}${p}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() as any };
}

async function get(node: Node, p: string, token?: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${node.http}${p}`, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
  return { status: res.status, body: await res.json().catch(() => undefined) as any };
}

function sdk(node: Node, token: string): Client {
  const c = new Client(node.ws);
  c.auth.token = token;
  return c;
}

let seq = 0;
async function student(node: Node): Promise<{ token: string; id: string; username: string }> {
  const username = `cl_${process.pid % 10000}_${++seq}`;
  const res = await post(node, '/auth/register', { username, password: 'cluster-password', role: 'student' });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return { token: res.body.token, id: res.body.user.id, username };
}

/** Plays every round of a battle: `first` always right (read from nothing but round results), the others wrong. */
async function playOut(rooms: Room[]): Promise<any[]> {
  const results = rooms.map((r) => nextMessage(r, 'battle_result', 30_000));
  for (const r of rooms) r.onMessage('question', (q: any) => r.send('answer', { round: q.round, choice: 0 }));
  return Promise.all(results);
}

describe('scale-out: two processes, one world (Redis)', function () {
  this.timeout(120_000);
  let redis: Redis;
  let nodes: Node[] = [];
  let dataDir: string;

  before(async function () {
    if (!REDIS_URL) throw new Error('the scale-out suite needs TEST_REDIS_URL (and TEST_DATABASE_URL)');
    const db = await testDatabase();
    if (!db.databaseUrl) throw new Error('the scale-out suite needs TEST_DATABASE_URL: processes cannot share the embedded database');
    redis = new Redis(REDIS_URL);
    await redis.flushdb();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qa-cluster-'));
    const env = {
      DATA_DIR: dataDir, DATABASE_URL: db.databaseUrl, REDIS_URL, JWT_SECRET: SECRET, MONITOR_PASSWORD: 'cluster-monitor',
      BATTLE_COUNTDOWN_MS: '100', BATTLE_QUESTION_MS: '1500', BATTLE_REVEAL_MS: '100', BATTLE_ROUNDS: '3', BATTLE_FILL_WAIT_MS: '100',
      MATCH_INTERVAL_MS: '100', SHUTDOWN_GRACE_MS: '20000', LOG_LEVEL: 'warn', FLOOD_REFUSAL_HOLD_MS: '200',
    };
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const proc = startServer({ ...env, PORT: String(port), PUBLIC_ADDRESS: `127.0.0.1:${port}` });
      nodes.push({ proc, http: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}` });
    }
    await Promise.all(nodes.map((n) => waitHealthy(n.proc, 60_000)));
  });

  after(async () => {
    await Promise.all(nodes.map((n) => n.proc.stop('SIGKILL')));
    nodes = [];
    await redis?.flushdb();
    redis?.disconnect();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('plays a full private battle between players on different processes, with invite and code across processes', async () => {
    const [n1, n2] = nodes;
    const host = await student(n1);
    const guest = await student(n2);
    const guestPersonal = await sdk(n2, guest.token).joinOrCreate('personal');
    const invite = nextMessage(guestPersonal, 'notification', 10_000);
    const hostRoom = await sdk(n1, host.token).create('battle', { private: true, subject: 'geography' });
    await eventually(() => hostRoom.state?.code?.length === 6, 5000, 'code');
    hostRoom.send('invite', { username: guest.username });
    const n = await invite;
    assert.equal(n.kind, 'battle_invite');
    // The code resolves on the other process.
    const found = await get(n2, `/rooms/by-code/${n.data.code}`);
    assert.equal(found.status, 200);
    assert.equal(found.body.roomId, hostRoom.roomId);
    const guestRoom = await sdk(n2, guest.token).joinById(found.body.roomId);
    assert.equal(guestRoom.roomId, hostRoom.roomId);
    hostRoom.send('ready', { ready: true });
    guestRoom.send('ready', { ready: true });
    const [r1, r2] = await playOut([hostRoom, guestRoom]);
    assert.deepEqual(r1, r2);
    assert.equal(r1.standings.length, 2);
    // Stored once, readable through either process.
    const stored = await get(n2, `/battles/${r1.battleId}`, guest.token);
    assert.equal(stored.status, 200);
    const me = await get(n1, '/me', guest.token);
    assert.equal(me.body.stats.battles, 1);
  });

  it('matches players queued through different processes, and the monitor sees every process\'s rooms', async () => {
    const [n1, n2] = nodes;
    const a = await student(n1);
    const b = await student(n2);
    const qa = await sdk(n1, a.token).joinOrCreate('matchmaking', { subject: 'science' });
    const qb = await sdk(n2, b.token).joinOrCreate('matchmaking', { subject: 'science' });
    assert.equal(qa.roomId, qb.roomId, 'one queue for the world');
    const [fa, fb] = await Promise.all([nextMessage(qa, 'match_found', 10_000), nextMessage(qb, 'match_found', 10_000)]);
    const ra = await sdk(n1, a.token).consumeSeatReservation(fa.reservation);
    const rb = await sdk(n2, b.token).consumeSeatReservation(fb.reservation);
    assert.equal(ra.roomId, rb.roomId);
    const auth = { authorization: 'Basic ' + Buffer.from('admin:cluster-monitor').toString('base64') };
    const listed = await Promise.all(nodes.map((n) => get(n, '/colyseus/api', undefined, auth)));
    for (const l of listed) {
      assert.equal(l.status, 200);
      const text = JSON.stringify(l.body);
      assert.ok(text.includes(qa.roomId) && text.includes(ra.roomId), 'each monitor lists rooms of both processes');
    }
    await playOut([ra, rb]);
  });

  it('bars a flooder on every process: thrown out on one, it is refused on the other in front of the matchmaking route', async () => {
    const [n1, n2] = nodes;
    const flooder = await student(n1);
    const room = await sdk(n1, flooder.token).joinOrCreate('personal');
    const closed = new Promise<number>((resolve) => room.onLeave((code: number) => resolve(code)));
    for (let i = 0; i < 200; i++) room.send('mark_read', { ids: ['00000000-0000-4000-8000-000000000000'] });
    assert.equal(await closed, 4002);
    const barred = async (node: Node) => {
      const text = await (await fetch(`${node.http}/metrics`)).text();
      const count = (where: string) => Number(new RegExp(`^arena_barred_joins_total\\{where="${where}"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
      return { front: count('front'), route: count('route') };
    };
    // The second process hears of the bar over Redis within moments (FLOOD_COOLDOWN_MS is 5 s here).
    const join = () => post(n2, '/matchmake/joinOrCreate/personal', {}, flooder.token);
    await eventually(async () => (await join()).status === 429 && (await barred(n2)).front > 0, 3000, 'refused in front on the other process');
    const before = await barred(n2);
    const refused = await join();
    assert.equal(refused.status, 429);
    assert.match(JSON.stringify(refused.body), /too many messages/);
    const after = await barred(n2);
    assert.deepEqual(after, { front: before.front + 1, route: before.route });
    // Somebody else joins there as usual.
    const other = await student(n1);
    await (await sdk(n2, other.token).joinOrCreate('personal')).leave(true);
  });

  it('on SIGTERM a process finishes its running battle, stores it and exits 0, while the other process plays on', async () => {
    const [n1, n2] = nodes;
    const hostOf = (room: Room): Node => nodes.find((n) => String((room as any).connection?.url ?? '').startsWith(n.ws + '/'))!;
    /** A private battle of two created through `via`, and the process that hosts it. */
    const battleOfTwo = async (via: Node) => {
      const x = await student(via); const y = await student(via);
      const rx = await sdk(via, x.token).create('battle', { private: true, subject: 'math' });
      const ry = await sdk(via, y.token).joinById(rx.roomId);
      return { rooms: [rx, ry], host: hostOf(rx), token: x.token };
    };
    const first = await battleOfTwo(n1);
    assert.ok(first.host, 'the battle is hosted by one of the two processes');
    // Rooms go to the process with the fewest rooms, as each process last reported (at most once a second,
    // and rooms of the earlier tests may still be closing): battles placed on the first one stay open and
    // count, so after a few a battle lands on the other one.
    let second = await battleOfTwo(n2);
    for (let i = 0; i < 10 && second.host === first.host; i++) {
      await new Promise((r) => setTimeout(r, 1100));
      second = await battleOfTwo(n2);
    }
    assert.notEqual(second.host, first.host, 'battles on both processes');

    const doomed = first.rooms;
    const survivors = second.rooms;
    const doomedResults = doomed.map((r) => nextMessage(r, 'battle_result', 60_000));
    const survivorErrors = survivors.map((r) => collect(r, 'error'));
    for (const r of doomed) r.onMessage('question', (q: any) => r.send('answer', { round: q.round, choice: 1 }));
    for (const r of [...doomed, ...survivors]) r.send('ready', { ready: true });
    await eventually(() => doomed[0].state.phase === 'question', 10_000, 'battle running on the stopping process');
    const exited = first.host.proc.stop('SIGTERM');
    const survivorsDone = playOut(survivors);
    const [result] = await Promise.all(doomedResults);
    assert.equal(await exited, 0, first.host.proc.output());
    assert.equal(result.standings.length, 2);
    const stored = await get(second.host, `/battles/${result.battleId}`, first.token);
    assert.equal(stored.status, 200, 'the battle finished during shutdown was stored');
    const [sr] = await survivorsDone;
    assert.equal(sr.standings.length, 2, 'the other process\'s battle finished normally');
    assert.deepEqual(survivorErrors.flat(), []);
  });
});
