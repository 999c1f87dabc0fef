import { debugMatchMaking, type IRoomCache, type MatchMakerDriver, type SortOptions } from '@colyseus/core';
import { keyOfConditions, keyOfRoom, roomMatches, sortRooms, type Conditions, type KeyedRooms } from './listing';

/**
 * The room listing of a single process (no Redis), in memory like Colyseus' LocalDriver and answering
 * the same, but a lookup by name looks only at the rooms of that name, and a keyed room (one per user,
 * see KeyedRooms) is found by its key. Listings are the matchmaker's own objects, updated in place, so
 * the key index is refreshed whenever the matchmaker persists or updates one.
 */
export class IndexedLocalDriver implements MatchMakerDriver {
  private readonly byId = new Map<string, IRoomCache>();
  /** Rooms of each name, in creation order. */
  private readonly byName = new Map<string, Map<string, IRoomCache>>();
  /** Rooms of each `name \0 key` (normally one), and each indexed room's entry, to move it when its key changes. */
  private readonly byKey = new Map<string, Map<string, IRoomCache>>();
  private readonly keyOfId = new Map<string, string>();
  /** Each room's place in the order of creation (a key's set is in the order rooms took the key). */
  private readonly seq = new Map<string, number>();
  private nextSeq = 0;

  constructor(private readonly keyed: KeyedRooms = {}) {}

  has(roomId: string): boolean {
    return this.byId.has(roomId);
  }

  query(conditions: Conditions, sortOptions?: SortOptions): IRoomCache[] {
    return sortRooms(this.candidates(conditions).filter((r) => roomMatches(r, conditions)), sortOptions);
  }

  async findOne(conditions: Conditions, sortOptions?: SortOptions): Promise<IRoomCache> {
    const candidates = this.candidates(conditions);
    if (!sortOptions || Object.keys(sortOptions).length === 0) {
      return candidates.find((r) => roomMatches(r, conditions)) as IRoomCache; // undefined when none: as Colyseus' drivers
    }
    return this.query(conditions, sortOptions)[0];
  }

  async findByIds(roomIds: string[]): Promise<Map<string, IRoomCache>> {
    const found = new Map<string, IRoomCache>();
    for (const id of roomIds) {
      const room = this.byId.get(id);
      if (room) found.set(id, room);
    }
    return found;
  }

  async insert(room: IRoomCache): Promise<boolean> {
    if (this.byId.has(room.roomId)) return false;
    this.add(room);
    return true;
  }

  persist(room: IRoomCache, create = false): boolean {
    if (create) {
      if (!this.byId.has(room.roomId)) this.add(room);
      return true;
    }
    // The listing is this driver's own object, already changed in place: only the index may be stale.
    if (!this.byId.has(room.roomId)) return false;
    this.reindex(room);
    return true;
  }

  update(room: IRoomCache, operations: Partial<{ $set: Partial<IRoomCache>; $inc: Partial<IRoomCache> }>): boolean {
    const target = room as unknown as Record<string, unknown>;
    for (const [field, value] of Object.entries(operations.$set ?? {})) target[field] = value;
    for (const [field, value] of Object.entries(operations.$inc ?? {})) target[field] = (target[field] as number) + (value as number);
    if (this.byId.has(room.roomId)) this.reindex(room);
    return true;
  }

  remove(roomId: string): boolean {
    const room = this.byId.get(roomId);
    if (!room) return false;
    this.byId.delete(roomId);
    this.seq.delete(roomId);
    takeOut(this.byName, room.name, roomId);
    this.unindex(roomId);
    return true;
  }

  async cleanup(processId: string): Promise<void> {
    const stale = this.query({ processId });
    debugMatchMaking('removing stale rooms by processId %s (%s rooms found)', processId, stale.length);
    for (const room of stale) this.remove(room.roomId);
  }

  clear(): void {
    this.byId.clear();
    this.byName.clear();
    this.byKey.clear();
    this.keyOfId.clear();
    this.seq.clear();
  }

  shutdown(): void {}

  /** The rooms a lookup can match: one by id or key, those of its name, or (no name) every room. */
  private candidates(conditions: Conditions): IRoomCache[] {
    if (typeof conditions.roomId === 'string') {
      const room = this.byId.get(conditions.roomId);
      return room ? [room] : [];
    }
    const key = keyOfConditions(this.keyed, conditions);
    if (key !== undefined) {
      const rooms = [...(this.byKey.get(`${conditions.name}\0${key}`)?.values() ?? [])];
      return rooms.length > 1 ? rooms.sort((a, b) => this.seq.get(a.roomId)! - this.seq.get(b.roomId)!) : rooms;
    }
    if (typeof conditions.name === 'string') return [...(this.byName.get(conditions.name)?.values() ?? [])];
    return [...this.byId.values()];
  }

  private add(room: IRoomCache): void {
    this.byId.set(room.roomId, room);
    this.seq.set(room.roomId, this.nextSeq++);
    putIn(this.byName, room.name, room);
    this.reindex(room);
  }

  private reindex(room: IRoomCache): void {
    const key = keyOfRoom(this.keyed, room);
    const entry = key === undefined ? undefined : `${room.name}\0${key}`;
    if (this.keyOfId.get(room.roomId) === entry) return;
    this.unindex(room.roomId);
    if (entry === undefined) return;
    putIn(this.byKey, entry, room);
    this.keyOfId.set(room.roomId, entry);
  }

  private unindex(roomId: string): void {
    const entry = this.keyOfId.get(roomId);
    if (entry === undefined) return;
    this.keyOfId.delete(roomId);
    takeOut(this.byKey, entry, roomId);
  }
}

function putIn(buckets: Map<string, Map<string, IRoomCache>>, bucket: string, room: IRoomCache): void {
  let rooms = buckets.get(bucket);
  if (!rooms) buckets.set(bucket, (rooms = new Map()));
  rooms.set(room.roomId, room);
}

function takeOut(buckets: Map<string, Map<string, IRoomCache>>, bucket: string, roomId: string): void {
  const rooms = buckets.get(bucket);
  if (!rooms) return;
  rooms.delete(roomId);
  if (rooms.size === 0) buckets.delete(bucket);
}
