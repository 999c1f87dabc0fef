import type { IRoomCache, SortOptions } from '@colyseus/core';

/**
 * What both room-listing drivers share: Colyseus' matching rules for a listing, and the declaration of
 * rooms that exist once per key.
 *
 * Colyseus' own drivers answer every `findOne`/`query` that is not by room id by looking at every room:
 * the local driver copies and filters its whole array, the Redis driver fetches the whole listing hash
 * and parses every entry. A join of a personal room (one per user) then costs O(all rooms): with 6,000
 * users online, 37% of the server's CPU went into that filter (cpu profile of the connection phase of
 * bench/load), and over Redis every join moved and parsed the whole listing. These drivers keep the
 * listing partitioned by room name and index the rooms that are unique per key, and otherwise answer
 * exactly as Colyseus' drivers do (same matching rule, creation order, stable sort).
 */

/**
 * Room types that exist at most once per value of one filter field, e.g. `{ personal: 'userId' }`.
 * A lookup naming that field is answered from an index instead of a scan.
 */
export type KeyedRooms = Readonly<Record<string, string>>;

export type Conditions = Partial<IRoomCache> & Record<string, unknown>;

/** A listing field as Colyseus reads it: the listing's own property, else its metadata's, else absent. */
function fieldOf(room: IRoomCache, field: string): { found: boolean; value: unknown } {
  if (Object.prototype.hasOwnProperty.call(room, field)) return { found: true, value: (room as unknown as Record<string, unknown>)[field] };
  const meta = room.metadata as Record<string, unknown> | undefined;
  if (meta && Object.prototype.hasOwnProperty.call(meta, field)) return { found: true, value: meta[field] };
  return { found: false, value: undefined };
}

/** Colyseus' rule: every condition names a field the listing has (own or in metadata), strictly equal. */
export function roomMatches(room: IRoomCache, conditions: Conditions): boolean {
  for (const field in conditions) {
    if (!Object.prototype.hasOwnProperty.call(conditions, field)) continue;
    const { found, value } = fieldOf(room, field);
    if (!found || value !== conditions[field]) return false;
  }
  return true;
}

/** Sorts in place by the given fields (own or metadata); ties keep their order (creation order). */
export function sortRooms(rooms: IRoomCache[], sort?: SortOptions): IRoomCache[] {
  const fields = Object.entries(sort ?? {});
  if (fields.length === 0) return rooms;
  const order = fields.map(([field, dir]) => [field, dir === 1 || dir === 'asc' || dir === 'ascending' ? 1 : -1] as const);
  return rooms.sort((a, b) => {
    for (const [field, dir] of order) {
      const x = fieldOf(a, field).value as number | string;
      const y = fieldOf(b, field).value as number | string;
      if (x > y) return dir;
      if (x < y) return -dir;
    }
    return 0;
  });
}

/** The index key of a keyed room (its name and key field's value), or undefined for other rooms. */
export function keyOfRoom(keyed: KeyedRooms, room: IRoomCache): string | undefined {
  const field = keyed[room.name];
  if (field === undefined) return undefined;
  const { found, value } = fieldOf(room, field);
  return found && isKeyValue(value) ? String(value) : undefined;
}

/** The index key a lookup names, when it asks for a keyed room by its key field; else undefined. */
export function keyOfConditions(keyed: KeyedRooms, conditions: Conditions): string | undefined {
  const name = conditions.name;
  if (typeof name !== 'string') return undefined;
  const field = keyed[name];
  if (field === undefined || !Object.prototype.hasOwnProperty.call(conditions, field)) return undefined;
  const value = conditions[field];
  return isKeyValue(value) ? String(value) : undefined;
}

function isKeyValue(v: unknown): v is string {
  // Strings only: a number and its string would share one index entry but not match each other.
  return typeof v === 'string';
}
