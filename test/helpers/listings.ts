import assert from 'node:assert/strict';
import { initializeRoomCache, LocalDriver, type IRoomCache, type MatchMakerDriver, type SortOptions } from '@colyseus/core';
import { createRng } from '../../src/domain/random';
import type { KeyedRooms } from '../../src/realtime/drivers/listing';

/** The keyed rooms the differential scenarios use: the server's own declaration. */
export const KEYED: KeyedRooms = { personal: 'userId' };

type Listing = IRoomCache & { metadata?: Record<string, unknown> };

/**
 * Plays one seeded sequence of listing operations (create, join/leave counts, lock, private, metadata
 * changes, removal, a dead process's cleanup) on `driver` and on Colyseus' own LocalDriver, the reference,
 * each with its own copies of the listings as the matchmaker would hold them, and after each step compares
 * the answers of every kind of lookup the matchmaker and our rooms make. Returns the number of lookups compared.
 */
export async function compareWithColyseus(driver: MatchMakerDriver, seed: string, steps = 400): Promise<number> {
  const rng = createRng(seed);
  const reference = new LocalDriver();
  const ours = new Map<string, Listing>();
  const theirs = new Map<string, Listing>();
  const users = Array.from({ length: 12 }, (_, i) => `u${i}`);
  const subjects = ['math', 'science', 'reading'];
  const processes = ['p1', 'p2'];
  let created = 0;
  let compared = 0;
  const t0 = Date.UTC(2026, 0, 1);

  const lookups = (): Array<[Record<string, unknown>, SortOptions | undefined]> => {
    const someId = [...ours.keys()][rng.int(0, Math.max(0, ours.size - 1))] ?? 'none';
    return [
      [{ locked: false, name: 'personal', private: false, userId: rng.pick(users) }, undefined],
      [{ name: 'personal', userId: rng.pick(users) }, undefined],
      [{ name: 'personal' }, undefined],
      [{ locked: false, name: 'battle', private: false, subject: rng.pick(subjects) }, { clients: -1 }],
      [{ name: 'battle', subject: rng.pick(subjects) }, { clients: 1, createdAt: 1 }],
      [{ name: 'leaderboard' }, undefined],
      [{ processId: rng.pick(processes) }, undefined],
      [{ roomId: someId }, undefined],
      [{ roomId: someId, locked: true }, undefined],
      [{ name: 'personal', userId: 7 }, undefined], // a key of another type: never a match
      [{}, { createdAt: -1 }],
    ];
  };

  for (let step = 0; step < steps; step++) {
    const roll = rng.next();
    const ids = [...ours.keys()];
    const id = ids.length ? rng.pick(ids) : undefined;
    if (roll < 0.35 || !id) {
      const kind = rng.pick(['personal', 'personal', 'battle', 'leaderboard'] as const);
      const metadata = kind === 'personal' ? { userId: rng.pick(users) } : kind === 'battle' ? { subject: rng.pick(subjects) } : undefined;
      const base = initializeRoomCache({
        name: kind, roomId: `r${++created}`, processId: rng.pick(processes), maxClients: kind === 'battle' ? 8 : 100,
        createdAt: new Date(t0 + created * 1000), ...(metadata ? { metadata } : {}),
      }) as Listing;
      const mine = structuredClone(base);
      const ref = structuredClone(base);
      const useInsert = rng.next() < 0.5 && driver.insert;
      if (useInsert) assert.equal(await driver.insert!(mine), true);
      else await driver.persist(mine, true);
      await reference.persist(ref, true);
      ours.set(mine.roomId, mine);
      theirs.set(ref.roomId, ref);
      if (useInsert) assert.equal(await driver.insert!(structuredClone(base)), false, 'a taken roomId is refused');
    } else if (roll < 0.6) {
      const ops = { $inc: { clients: rng.next() < 0.6 ? 1 : -1 }, $set: { locked: rng.next() < 0.2 } };
      await driver.update(ours.get(id)!, structuredClone(ops));
      await reference.update(theirs.get(id)!, structuredClone(ops));
    } else if (roll < 0.7) {
      const priv = rng.next() < 0.3;
      for (const l of [ours.get(id)!, theirs.get(id)!]) l.private = priv;
      await driver.persist(ours.get(id)!);
      await reference.persist(theirs.get(id)!);
    } else if (roll < 0.78) {
      // setMetadata(): the listing's metadata replaced and persisted (a keyed room may change key)
      const l = ours.get(id)!;
      const metadata = l.name === 'personal' ? { userId: rng.pick(users) } : { subject: rng.pick(subjects), level: rng.int(1, 3) };
      ours.get(id)!.metadata = structuredClone(metadata);
      theirs.get(id)!.metadata = structuredClone(metadata);
      await driver.persist(ours.get(id)!);
      await reference.persist(theirs.get(id)!);
    } else if (roll < 0.97) {
      assert.equal(await driver.remove(id), true);
      await reference.remove(id);
      ours.delete(id);
      theirs.delete(id);
      assert.equal(await driver.remove(id), false, 'a removed room is gone');
    } else {
      const dead = rng.pick(processes);
      await driver.cleanup!(dead);
      await reference.cleanup(dead);
      for (const [rid, l] of [...ours]) if (l.processId === dead) { ours.delete(rid); theirs.delete(rid); }
    }

    for (const [conditions, sort] of lookups()) {
      const got = await driver.query(structuredClone(conditions) as never, sort);
      const want = await reference.query(structuredClone(conditions) as never, sort);
      const what = `step ${step}: query ${JSON.stringify(conditions)} sort ${JSON.stringify(sort)}`;
      assert.deepEqual(got.map(view), want.map(view), what);
      const one = await driver.findOne(structuredClone(conditions) as never, sort);
      const refOne = await reference.findOne(structuredClone(conditions) as never, sort);
      assert.deepEqual(one ? view(one) : undefined, refOne ? view(refOne) : undefined, `findOne, ${what}`);
      compared++;
    }
    for (const rid of [...ours.keys()].slice(0, 3)) assert.equal(await driver.has(rid), true);
    const byIds = await driver.findByIds([...ours.keys()].slice(0, 5).concat('nope'));
    assert.deepEqual([...byIds.keys()].sort(), [...ours.keys()].slice(0, 5).sort());
  }
  return compared;
}

/** What a lookup's answer must agree on: identity, counts, flags, metadata, creation time. */
function view(r: IRoomCache) {
  return { roomId: r.roomId, name: r.name, clients: r.clients, locked: r.locked, private: r.private, processId: r.processId, metadata: r.metadata, createdAt: new Date(r.createdAt!).getTime() };
}
