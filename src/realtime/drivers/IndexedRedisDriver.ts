import Redis from 'ioredis';
import { debugMatchMaking, initializeRoomCache, type IRoomCache, type SortOptions } from '@colyseus/core';
import { RedisDriver } from '@colyseus/redis-driver';
import { keyOfConditions, keyOfRoom, roomMatches, sortRooms, type Conditions, type KeyedRooms } from './listing';

/**
 * Every `(id, listing)` of a set of room ids, in one round trip: the ids of the set KEYS[1], each with
 * its listing from the hash KEYS[2] (false when the listing is gone: the id is stale). HMGET in chunks,
 * because Lua's `unpack` takes at most a few thousand values.
 */
const MEMBERS_WITH_LISTINGS = `
local ids = redis.call('SMEMBERS', KEYS[1])
local out = {}
for i = 1, #ids, 1000 do
  local chunk = {}
  for j = i, math.min(i + 999, #ids) do chunk[#chunk + 1] = ids[j] end
  local values = redis.call('HMGET', KEYS[2], unpack(chunk))
  for j = 1, #chunk do
    out[#out + 1] = chunk[j]
    out[#out + 1] = values[j]
  end
end
return out`;

/**
 * Records a listing unless its id is taken, and adds the id to its name's set KEYS[2] and its key's set
 * KEYS[3] (for a room without a key, the name's set again: SADD twice is harmless).
 */
const INSERT = `
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
return 1`;

/** Removes from the set KEYS[1] those of the ids ARGV that have no listing in the hash KEYS[2]. */
const DROP_STALE = `
for _, id in ipairs(ARGV) do
  if redis.call('HEXISTS', KEYS[2], id) == 0 then redis.call('SREM', KEYS[1], id) end
end
return 1`;

type ListingRedis = Redis & {
  membersWithListings(set: string, hash: string): Promise<Array<string | null>>;
  insertListing(...args: Array<string | number>): Promise<number>;
  dropStale(set: string, hash: string, ...ids: string[]): Promise<number>;
};

/** The hash where Colyseus' RedisDriver keeps every listing (id → JSON); our sets are named after it. */
const LISTINGS = 'roomcaches';

function listingRedis(url: string): ListingRedis {
  const redis = new Redis(url);
  redis.defineCommand('membersWithListings', { numberOfKeys: 2, lua: MEMBERS_WITH_LISTINGS });
  redis.defineCommand('insertListing', { numberOfKeys: 3, lua: INSERT });
  redis.defineCommand('dropStale', { numberOfKeys: 2, lua: DROP_STALE });
  return redis as ListingRedis;
}

/**
 * The room listing shared by every process through Redis: Colyseus' RedisDriver (same hash of listings,
 * same client, its `has`, `findByIds` and `shutdown`) with indexes. The stock driver answers every lookup
 * that is not by id with HGETALL of all listings, parsing every room: with thousands of personal rooms,
 * each join moved and parsed all of them. Here a set of ids per room name and, for keyed rooms (one per
 * user), a set of ids per key sit beside the hash, so a personal room's join reads one listing and a
 * battle's join reads only battle rooms.
 *
 * The sets are written in the same MULTI (or script) as the listing. A listing that disappears without
 * its sets (written by a stock RedisDriver, or Redis lost a write) leaves a stale id behind; lookups skip
 * it and remove it from the set.
 */
export class IndexedRedisDriver extends RedisDriver {
  private readonly redis: ListingRedis;
  private readonly prefix = LISTINGS;
  /** The sets each listing this process wrote is filed in: to remove it, and to move it when its key changes. */
  private readonly filed = new Map<string, Filed>();

  constructor(url: string, private readonly keyed: KeyedRooms = {}) {
    const redis = listingRedis(url);
    super(redis);
    this.redis = redis;
  }

  async query(conditions: Conditions, sortOptions?: SortOptions): Promise<IRoomCache[]> {
    const rooms = (await this.candidates(conditions)).filter((r) => roomMatches(r, conditions));
    return sortRooms(rooms, sortOptions);
  }

  async findOne(conditions: Conditions, sortOptions?: SortOptions): Promise<IRoomCache> {
    return (await this.query(conditions, sortOptions))[0];
  }

  async insert(room: IRoomCache): Promise<boolean> {
    const sets = this.setsOf(room);
    const inserted = await this.redis.insertListing(this.prefix, sets.nameSet, sets.keySet ?? sets.nameSet, room.roomId, JSON.stringify(room));
    if (inserted === 1) this.filed.set(room.roomId, sets);
    return inserted === 1;
  }

  async persist(room: IRoomCache, create = false): Promise<boolean> {
    if (!room.roomId) return false;
    const sets = this.setsOf(room);
    const before = this.filed.get(room.roomId);
    // `create` also comes when the matchmaker restores listings Redis lost: then the sets are written again.
    if (!create && before && before.keySet === sets.keySet) {
      // Filed already (the usual case: a join or leave count): the listing alone changes, as in the stock driver.
      await this.redis.hset(this.prefix, room.roomId, JSON.stringify(room));
      return true;
    }
    const tx = this.redis.multi().hset(this.prefix, room.roomId, JSON.stringify(room)).sadd(sets.nameSet, room.roomId);
    if (sets.keySet) tx.sadd(sets.keySet, room.roomId);
    if (before?.keySet && before.keySet !== sets.keySet) tx.srem(before.keySet, room.roomId);
    await tx.exec();
    this.filed.set(room.roomId, sets);
    return true;
  }

  async update(room: IRoomCache, operations: Partial<{ $set: Partial<IRoomCache>; $inc: Partial<IRoomCache> }>): Promise<boolean> {
    const target = room as unknown as Record<string, unknown>;
    for (const [field, value] of Object.entries(operations.$set ?? {})) target[field] = value;
    for (const [field, value] of Object.entries(operations.$inc ?? {})) target[field] = (target[field] as number) + (value as number);
    return this.persist(room);
  }

  async remove(roomId: string): Promise<boolean> {
    let sets = this.filed.get(roomId);
    if (!sets) {
      // Not written by this process (e.g. a dead process's room): its listing says which sets hold it.
      const raw = await this.redis.hget(this.prefix, roomId);
      if (!raw) return false;
      sets = this.setsOf(revive(raw));
    }
    return (await this.removeListings([[roomId, sets]])) > 0;
  }

  async cleanup(processId: string): Promise<void> {
    const stale = await this.query({ processId });
    debugMatchMaking('removing stale rooms by processId %s (%s rooms found)', processId, stale.length);
    for (let i = 0; i < stale.length; i += 500) {
      await this.removeListings(stale.slice(i, i + 500).map((r) => [r.roomId, this.setsOf(r)]));
    }
  }

  async clear(): Promise<void> {
    await super.clear();
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}:*`, 'COUNT', 500);
      if (keys.length) await this.redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    this.filed.clear();
  }

  private nameSet(name: string): string {
    return `${this.prefix}:name:${name}`;
  }

  private keySet(name: string, key: string): string {
    return `${this.prefix}:key:${name}:${key}`;
  }

  private setsOf(room: IRoomCache): Filed {
    const key = keyOfRoom(this.keyed, room);
    return { nameSet: this.nameSet(room.name), keySet: key === undefined ? undefined : this.keySet(room.name, key) };
  }

  /** Deletes listings and their set entries in one transaction; the number of listings that existed. */
  private async removeListings(listings: Array<[string, Filed]>): Promise<number> {
    if (listings.length === 0) return 0;
    const tx = this.redis.multi();
    for (const [roomId, sets] of listings) {
      tx.hdel(this.prefix, roomId).srem(sets.nameSet, roomId);
      if (sets.keySet) tx.srem(sets.keySet, roomId);
    }
    const replies = (await tx.exec()) ?? [];
    for (const [roomId] of listings) this.filed.delete(roomId);
    // Each listing's HDEL is the first reply of its group; it answers 1 when the listing was there.
    let removed = 0;
    let at = 0;
    for (const [, sets] of listings) {
      if (replies[at]?.[1] === 1) removed++;
      at += sets.keySet ? 3 : 2;
    }
    return removed;
  }

  /** The listings a lookup can match: one by id, those of a key or of a name, or (neither) all of them. */
  private async candidates(conditions: Conditions): Promise<IRoomCache[]> {
    if (typeof conditions.roomId === 'string') {
      const raw = await this.redis.hget(this.prefix, conditions.roomId);
      return raw ? [revive(raw)] : [];
    }
    const key = keyOfConditions(this.keyed, conditions);
    if (key !== undefined) return this.members(this.keySet(conditions.name as string, key));
    if (typeof conditions.name === 'string') return this.members(this.nameSet(conditions.name));
    const all = await this.redis.hgetall(this.prefix);
    return byCreation(Object.values(all).map(revive));
  }

  private async members(set: string): Promise<IRoomCache[]> {
    const flat = await this.redis.membersWithListings(set, this.prefix);
    const rooms: IRoomCache[] = [];
    const stale: string[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      const raw = flat[i + 1];
      if (raw) rooms.push(revive(raw));
      else stale.push(flat[i] as string);
    }
    // Tidying only (a failure leaves it for the next lookup); an id re-filed meanwhile is kept.
    if (stale.length) this.redis.dropStale(set, this.prefix, ...stale).catch(() => undefined);
    return byCreation(rooms);
  }
}

/** Redis sets and large hashes have no order; Colyseus' local driver answers in creation order. */
function byCreation(rooms: IRoomCache[]): IRoomCache[] {
  return rooms.sort((a, b) => +(a.createdAt ?? 0) - +(b.createdAt ?? 0));
}

interface Filed { nameSet: string; keySet?: string }

function revive(raw: string): IRoomCache {
  const room = initializeRoomCache(JSON.parse(raw));
  // initializeRoomCache spreads the stored fields over its own, so createdAt would stay the JSON string.
  if (typeof room.createdAt === 'string') room.createdAt = new Date(room.createdAt);
  return room;
}
