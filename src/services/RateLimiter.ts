import type { Presence } from '@colyseus/core';

/** The presence channel on which every process hears the bars any process sets (see RateLimiter.listen). */
const BARS_CHANNEL = 'ratelimit:bars';

/** A bar as announced: its key and how long from now it holds. */
interface BarEvent {
  key: string;
  ms: number;
}

/** The longest bar a process takes from an announcement (FLOOD_COOLDOWN_MS is at most ten minutes). */
const MAX_ANNOUNCED_BAR_MS = 60 * 60 * 1000;

/**
 * Fixed-window counters and timed bars kept in Colyseus presence, so they hold across processes once
 * presence is Redis. A key's window is part of its name; stale windows and bars expire on their own.
 */
export class RateLimiter {
  constructor(private readonly presence: Presence, private readonly windowMs: number, private readonly now: () => number) {}

  private window(): { index: number; endsAt: number } {
    const index = Math.floor(this.now() / this.windowMs);
    return { index, endsAt: (index + 1) * this.windowMs };
  }

  private keyOf(key: string, index: number): string {
    return `ratelimit:${key}:${index}`;
  }

  /** Milliseconds until `key` may try again when it has reached `limit`; 0 when allowed. */
  async retryAfterMs(key: string, limit: number): Promise<number> {
    const w = this.window();
    const count = Number((await this.presence.get(this.keyOf(key, w.index))) ?? 0);
    return count >= limit ? Math.max(1, w.endsAt - this.now()) : 0;
  }

  /** Bars this process set or heard of, until when (performance.now(), real time like presence's expiry). */
  private readonly localBars = new Map<string, number>();

  /**
   * Bars `key` for `ms` (a user thrown out for flooding, say); across processes once presence is Redis.
   * This process remembers it at once, and every listening process when it hears the announcement
   * (barredHere), so each can refuse the barred without asking presence.
   */
  async bar(key: string, ms: number): Promise<void> {
    this.remember(key, ms);
    await this.presence.setex(`ratelimit:bar:${key}`, '1', Math.ceil(ms / 1000));
    await this.presence.publish(BARS_CHANNEL, { key, ms } satisfies BarEvent);
  }

  /**
   * Hears the bars every process sets from now on. Before, a user barred on one process was refused on
   * the others only by the rooms' `onAuth`, through the whole matchmaking route (about four times the cost
   * of a refusal in front of it), and a thrown-out flooder retries many times a second, on any process.
   */
  async listen(): Promise<void> {
    await this.presence.subscribe(BARS_CHANNEL, this.heard);
  }

  /** An announced bar: taken if well formed (presence carries what any process published). */
  private readonly heard = (e: unknown): void => {
    const { key, ms } = (e ?? {}) as Partial<BarEvent>;
    if (typeof key === 'string' && typeof ms === 'number' && ms > 0) this.remember(key, Math.min(ms, MAX_ANNOUNCED_BAR_MS));
  };

  private remember(key: string, ms: number): void {
    const now = performance.now();
    if (this.localBars.size >= 10_000) for (const [k, until] of this.localBars) if (until <= now) this.localBars.delete(k);
    this.localBars.set(key, Math.max(this.localBars.get(key) ?? 0, now + ms));
  }

  /**
   * How much longer a bar this process set or heard of holds on `key`, in ms (0: not barred here):
   * synchronous, no presence round trip.
   */
  barredHereFor(key: string): number {
    const until = this.localBars.get(key);
    if (until === undefined) return 0;
    const left = until - performance.now();
    if (left > 0) return left;
    this.localBars.delete(key);
    return 0;
  }

  /** How many bars this process knows of, expired ones included until looked up (0: nothing to look up). */
  get barsHere(): number {
    return this.localBars.size;
  }

  /** Whether `key` is barred now. */
  async isBarred(key: string): Promise<boolean> {
    return Boolean(await this.presence.get(`ratelimit:bar:${key}`));
  }

  /** Counts one event against `key` in the current window. */
  async hit(key: string): Promise<number> {
    const w = this.window();
    const k = this.keyOf(key, w.index);
    const count = await this.presence.incr(k);
    if (count === 1) await this.presence.expire(k, Math.ceil(this.windowMs / 1000) + 1);
    return count;
  }
}
