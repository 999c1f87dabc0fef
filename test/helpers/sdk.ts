import { Client, type Room } from '@colyseus/sdk';
import type { TestArena } from './arena';

/** An SDK client for the test server, signed in with `token` the way game clients do. */
export function sdkClient(t: TestArena, token?: string): Client {
  const client = new Client(t.wsUrl);
  if (token) client.auth.token = token;
  return client;
}

/** Resolves with the next `type` message the room receives (rejects after `ms`). */
export function nextMessage<T = any>(room: Room, type: string, ms = 3000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { off(); reject(new Error(`no "${type}" within ${ms} ms`)); }, ms);
    const off = room.onMessage(type, (msg: T) => { clearTimeout(timer); off(); resolve(msg); });
  });
}

/** Collects every `type` message the room receives, from now on. */
export function collect<T = any>(room: Room, type: string): T[] {
  const out: T[] = [];
  room.onMessage(type, (msg: T) => out.push(msg));
  return out;
}

/** The numeric code a rejected join carries. */
export async function joinError(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (e) {
    return (e as { code: number }).code;
  }
  throw new Error('join unexpectedly succeeded');
}

/** Waits until `predicate` holds (polling), or fails after `ms`. */
export async function eventually(predicate: () => boolean | Promise<boolean>, ms = 3000, what = 'condition'): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}
