/** A clock tests can move: real time plus an offset, so timers still run but expiry can be jumped. */
export class FakeClock {
  private offsetMs = 0;

  /** The current (shifted) time. */
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** Moves time forward by `ms`. */
  advance(ms: number): void {
    this.offsetMs += ms;
  }

  /** Back to real time. */
  reset(): void {
    this.offsetMs = 0;
  }
}
