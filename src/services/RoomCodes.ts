import { randomInt } from 'node:crypto';
import { matchMaker, type Presence } from '@colyseus/core';
import { makeCode } from '../domain/accounts';

const CLAIMS = 'roomcodes:claims';
const ROOMS = 'roomcodes:rooms';

/**
 * Short join codes for any room type, kept in presence so that a code made on one process resolves on
 * every process once presence is Redis.
 */
export class RoomCodes {
  constructor(private readonly presence: Presence, private readonly length = 6) {}

  /** Claims a fresh code for a room (atomic: a code has one owner). */
  async claim(roomName: string, roomId: string): Promise<string> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const code = makeCode(this.length, (n) => randomInt(n));
      if ((await this.presence.hincrby(CLAIMS, code, 1)) === 1) {
        await this.presence.hset(ROOMS, code, JSON.stringify({ roomId, roomName }));
        return code;
      }
    }
    throw new Error('could not allocate a room code');
  }

  /** The room a code points to, when that room still exists; stale codes are cleaned up. */
  async resolve(rawCode: string): Promise<{ roomId: string; roomName: string } | null> {
    const code = rawCode.trim().toUpperCase();
    const entry = await this.presence.hget(ROOMS, code);
    if (!entry) return null;
    const target = JSON.parse(entry) as { roomId: string; roomName: string };
    const listing = await matchMaker.getRoomById(target.roomId);
    if (!listing) {
      await this.release(code);
      return null;
    }
    return target;
  }

  /** Frees a code (room disposed). */
  async release(code: string): Promise<void> {
    await this.presence.hdel(ROOMS, code);
    await this.presence.hdel(CLAIMS, code);
  }
}
