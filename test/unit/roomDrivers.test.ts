import assert from 'node:assert/strict';
import { initializeRoomCache, type IRoomCache } from '@colyseus/core';
import { IndexedLocalDriver } from '../../src/realtime/drivers/IndexedLocalDriver';
import { compareWithColyseus, KEYED } from '../helpers/listings';

function personal(roomId: string, userId: string, createdAt = new Date()): IRoomCache {
  return initializeRoomCache({ name: 'personal', roomId, processId: 'p1', metadata: { userId }, createdAt });
}

describe('IndexedLocalDriver (room listing of one process)', () => {
  for (const seed of ['a', 'b', 'c']) {
    it(`answers every lookup as Colyseus' LocalDriver does, over a seeded run of listing changes (seed ${seed})`, async () => {
      const compared = await compareWithColyseus(new IndexedLocalDriver(KEYED), `local-${seed}`);
      assert.ok(compared > 4000, `compared ${compared} lookups`);
    });
  }

  it('finds a personal room by its user without looking at any other room', async () => {
    const driver = new IndexedLocalDriver(KEYED);
    await driver.insert(personal('mine', 'u1'));
    // Thousands of other users' rooms, each a listing that throws if a lookup so much as reads it.
    for (let i = 0; i < 2000; i++) {
      const trap = new Proxy(personal(`other${i}`, `x${i}`), { get: (t, p) => (p === 'roomId' || p === 'name' || p === 'metadata' ? Reflect.get(t, p) : assert.fail(`read ${String(p)} of another room`)) });
      await driver.insert(trap);
    }
    const found = await driver.findOne({ locked: false, name: 'personal', private: false, userId: 'u1' } as never);
    assert.equal(found?.roomId, 'mine');
    assert.deepEqual((await driver.query({ name: 'personal', userId: 'u1' } as never)).map((r) => r.roomId), ['mine']);
    assert.equal(await driver.findOne({ name: 'personal', userId: 'nobody' } as never), undefined);
  });

  it('follows a keyed room whose key changes, and forgets a removed one', async () => {
    const driver = new IndexedLocalDriver(KEYED);
    const room = personal('r1', 'u1');
    await driver.insert(room);
    room.metadata = { userId: 'u2' }; // setMetadata() replaces the listing's metadata, then persists it
    await driver.persist(room);
    assert.equal(await driver.findOne({ name: 'personal', userId: 'u1' } as never), undefined);
    assert.equal((await driver.findOne({ name: 'personal', userId: 'u2' } as never))?.roomId, 'r1');
    await driver.update(room, { $set: { metadata: { userId: 'u3' } } as never });
    assert.equal((await driver.findOne({ name: 'personal', userId: 'u3' } as never))?.roomId, 'r1');
    assert.equal(await driver.remove('r1'), true);
    assert.equal(await driver.findOne({ name: 'personal', userId: 'u3' } as never), undefined);
    assert.deepEqual(driver.query({}), []);
  });

  it('keeps two rooms of one key apart (a refused duplicate exists for a moment) and answers the older first', async () => {
    const driver = new IndexedLocalDriver(KEYED);
    await driver.insert(personal('old', 'u1', new Date(1000)));
    await driver.insert(personal('new', 'u1', new Date(2000)));
    assert.equal((await driver.findOne({ name: 'personal', userId: 'u1' } as never))?.roomId, 'old');
    await driver.remove('new');
    assert.equal((await driver.findOne({ name: 'personal', userId: 'u1' } as never))?.roomId, 'old');
    await driver.remove('old');
    assert.equal(await driver.findOne({ name: 'personal', userId: 'u1' } as never), undefined);
  });
});
