import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { initializeRoomCache, type IRoomCache } from '@colyseus/core';
import { IndexedRedisDriver } from '../../src/realtime/drivers/IndexedRedisDriver';
import { compareWithColyseus, KEYED } from '../helpers/listings';

/**
 * The room listing on Redis, as every process of a cluster sees it. Needs TEST_REDIS_URL (a database of
 * its own: each test empties the listing keys).
 */
const REDIS_URL = process.env.TEST_REDIS_URL;

function personal(roomId: string, userId: string, processId = 'p1'): IRoomCache {
  return initializeRoomCache({ name: 'personal', roomId, processId, metadata: { userId }, createdAt: new Date() });
}

describe('IndexedRedisDriver (room listing shared through Redis)', function () {
  this.timeout(60_000);
  let a: IndexedRedisDriver;
  let b: IndexedRedisDriver;
  let redis: Redis;

  before(() => {
    if (!REDIS_URL) throw new Error('this suite needs TEST_REDIS_URL');
    redis = new Redis(REDIS_URL);
  });
  beforeEach(async () => {
    a = new IndexedRedisDriver(REDIS_URL!, KEYED);
    b = new IndexedRedisDriver(REDIS_URL!, KEYED);
    await a.clear();
  });
  afterEach(async () => {
    await a.clear();
    await a.shutdown();
    await b.shutdown();
  });
  after(async () => { await redis?.quit(); });

  for (const seed of ['a', 'b']) {
    it(`answers every lookup as Colyseus' LocalDriver does, over a seeded run of listing changes (seed ${seed})`, async () => {
      const compared = await compareWithColyseus(a, `redis-${seed}`, 250);
      assert.ok(compared > 2500, `compared ${compared} lookups`);
    });
  }

  it("finds a personal room by its user without reading any other room's listing", async () => {
    await a.insert(personal('mine', 'u1'));
    // What the stock RedisDriver does for this lookup (HGETALL and parse every listing) would throw here.
    await redis.hset('roomcaches', 'garbage', '{not json');
    assert.equal((await b.findOne({ locked: false, name: 'personal', private: false, userId: 'u1' } as never))?.roomId, 'mine');
    assert.equal(await b.findOne({ name: 'personal', userId: 'u2' } as never), undefined);
    assert.deepEqual((await b.query({ name: 'personal' } as never)).map((r) => r.roomId), ['mine']);
  });

  it('is one listing for every process: a room written by one is found, updated and removed through another', async () => {
    const room = personal('r1', 'u1', 'pA');
    assert.equal(await a.insert(room), true);
    assert.equal(await b.insert(personal('r1', 'u9', 'pB')), false, 'a taken roomId is refused across processes');
    await a.update(room, { $inc: { clients: 2 } });
    assert.equal((await b.findOne({ name: 'personal', userId: 'u1' } as never))?.clients, 2);
    assert.equal(await b.has('r1'), true);
    assert.equal(await b.remove('r1'), true); // b never wrote it: it reads the listing to know its sets
    assert.equal(await a.findOne({ name: 'personal', userId: 'u1' } as never), undefined);
    assert.equal(await redis.exists('roomcaches:name:personal', 'roomcaches:key:personal:u1'), 0, 'no set entry is left behind');
  });

  it('skips and tidies an id whose listing disappeared without its sets', async () => {
    await a.insert(personal('r1', 'u1'));
    await redis.hdel('roomcaches', 'r1'); // e.g. written through a stock RedisDriver, or a lost write
    assert.equal(await b.findOne({ name: 'personal', userId: 'u1' } as never), undefined);
    assert.deepEqual(await b.query({ name: 'personal' } as never), []);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await redis.exists('roomcaches:name:personal', 'roomcaches:key:personal:u1'), 0);
  });

  it('files a listing again when the matchmaker restores what Redis lost', async () => {
    const room = personal('r1', 'u1');
    await a.insert(room);
    await redis.del('roomcaches', 'roomcaches:name:personal', 'roomcaches:key:personal:u1'); // Redis restarted empty
    await a.persist(room, true); // Colyseus' restoreMissingRoomCaches
    assert.equal((await b.findOne({ name: 'personal', userId: 'u1' } as never))?.roomId, 'r1');
    assert.deepEqual((await b.query({ name: 'personal' } as never)).map((r) => r.roomId), ['r1']);
  });

  it("cleans up a dead process's rooms with their set entries, and nobody else's", async () => {
    await a.insert(personal('dead1', 'u1', 'dead'));
    await a.insert(initializeRoomCache({ name: 'battle', roomId: 'dead2', processId: 'dead', metadata: { subject: 'math' } }));
    await a.insert(personal('alive', 'u2', 'alive'));
    await b.cleanup('dead');
    assert.deepEqual((await b.query({})).map((r) => r.roomId), ['alive']);
    assert.deepEqual(await redis.smembers('roomcaches:name:personal'), ['alive']);
    assert.equal(await redis.exists('roomcaches:name:battle', 'roomcaches:key:personal:u1'), 0);
  });
});
