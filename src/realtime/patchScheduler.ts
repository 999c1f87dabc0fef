/**
 * One process-wide schedule for the rooms' periodic work (Colyseus' `broadcastPatch()`: send the state's
 * changes and tick the room clock), spread evenly over each period instead of all at once.
 *
 * Colyseus gives every room its own `setInterval(patchRate)`. Node runs all timers of one duration that
 * are due in a single turn of the event loop, and re-arms each from that turn's cached clock, so rooms
 * that once fire together fire together for good: measured on 2026-12-02 (CPU profile of the paced
 * battles, 250 battles and 2,000 personal rooms on one process), every 50 ms one timer turn patched every
 * battle, 8-31 ms without reading a socket, and each second one turn patched every personal room (with
 * 10,000 users online, 10,000 rooms). A player's answer that arrived meanwhile waited for all of it.
 *
 * Here a room's period is cut into slots of `tickMs` (5 ms): a room takes the least-filled slot of its
 * period, and each tick patches one slot of each period, so a turn of the event loop holds a tenth of the
 * battles (a 50 ms period) or a two-hundredth of the personal rooms (1 s). A schedule that falls behind
 * (a busy or stalled loop) catches up one tick per turn, with the sockets read in between, and never
 * runs a room more than once per period of lateness: on a saturated process, whose turns take longer
 * than a tick, rooms patch (and their clocks tick) less often than their period, where Colyseus' own
 * intervals would have patched every room at once in each timer turn.
 */
export interface Patchable {
  broadcastPatch(): unknown;
  /** What its patch threw; without it, the error is printed. The other rooms of the slot still run. */
  onPatchError?(error: unknown): void;
}

interface Group {
  /** Slots in one period; the period is `size × tickMs`. */
  size: number;
  slots: Array<Set<Patchable>>;
  /** Ticks of the schedule this group has run. */
  done: number;
}

/** Calls `fn` after `delayMs`, or, with `'after-io'`, once the event loop has read its sockets; returns a cancel. */
export type Defer = (fn: () => void, delayMs: number | 'after-io') => () => void;

const realDefer: Defer = (fn, delayMs) => {
  if (delayMs === 'after-io') {
    const immediate = setImmediate(fn);
    return () => clearImmediate(immediate);
  }
  const timeout = setTimeout(fn, delayMs);
  return () => clearTimeout(timeout);
};

export interface PatchSchedulerOptions {
  tickMs?: number;
  /** The clock, in ms, and the timer (tests pass their own). */
  now?: () => number;
  defer?: Defer;
}

export class PatchScheduler {
  private readonly tickMs: number;
  private readonly groups = new Map<number, Group>();
  private readonly placed = new Map<Patchable, { group: Group; slot: Set<Patchable> }>();
  private readonly now: () => number;
  private readonly defer: Defer;
  /** When tick 0 was due. */
  private origin = 0;
  /** Cancels the pending run, when one is pending. */
  private timer: (() => void) | undefined;

  constructor(options: PatchSchedulerOptions = {}) {
    this.tickMs = options.tickMs ?? 5;
    this.now = options.now ?? (() => performance.now());
    this.defer = options.defer ?? realDefer;
  }

  /** Rooms scheduled. */
  get size(): number {
    return this.placed.size;
  }

  /** Whether `room` is scheduled. */
  has(room: Patchable): boolean {
    return this.placed.has(room);
  }

  /**
   * Patches `room` every `periodMs` (rounded to whole ticks, at least one) from now on, in place of
   * whatever period it had here before.
   */
  add(room: Patchable, periodMs: number): void {
    if (!(periodMs > 0) || !Number.isFinite(periodMs)) throw new RangeError(`a patch period must be a positive number of ms (got ${periodMs})`);
    this.remove(room);
    if (this.placed.size === 0) this.origin = this.now();
    const size = Math.max(1, Math.round(periodMs / this.tickMs));
    let group = this.groups.get(size);
    if (!group) {
      group = { size, slots: Array.from({ length: size }, () => new Set<Patchable>()), done: this.due() };
      this.groups.set(size, group);
    }
    let slot = group.slots[0];
    for (const s of group.slots) if (s.size < slot.size) slot = s;
    slot.add(room);
    this.placed.set(room, { group, slot });
    if (!this.timer) this.arm();
  }

  /** Stops patching `room` (a no-op for a room not scheduled). */
  remove(room: Patchable): void {
    const at = this.placed.get(room);
    if (!at) return;
    this.placed.delete(room);
    at.slot.delete(room);
    if (at.slot.size === 0 && at.group.slots.every((s) => s.size === 0)) this.groups.delete(at.group.size);
    if (this.placed.size === 0) this.disarm();
  }

  /** The number of ticks due by now (tick j is due at origin + j × tickMs). */
  private due(): number {
    return Math.floor((this.now() - this.origin) / this.tickMs) + 1;
  }

  /** Runs one tick's slot of every group that is behind, then waits for the next. */
  private run = (): void => {
    this.timer = undefined;
    const due = this.due();
    // (A room or group removed meanwhile is skipped: Map and Set iteration skip deleted entries.)
    for (const group of this.groups.values()) {
      if (group.done >= due) continue;
      // More than a period late: each slot once is enough; the rest of the lateness is dropped.
      if (due - group.done > group.size) group.done = due - group.size;
      const slot = group.slots[group.done % group.size];
      group.done++;
      for (const room of slot) {
        try {
          room.broadcastPatch();
        } catch (e) {
          if (room.onPatchError) room.onPatchError(e);
          else console.error('a room patch failed:', e);
        }
      }
    }
    if (this.placed.size > 0 && !this.timer) this.arm();
  };

  private arm(): void {
    const due = this.due();
    let next = Infinity;
    for (const group of this.groups.values()) next = Math.min(next, group.done);
    // Behind: the next slot once the sockets have been read; otherwise at the next tick's time.
    this.timer = this.defer(this.run, next < due ? 'after-io' : Math.ceil(Math.max(0, this.origin + next * this.tickMs - this.now())));
  }

  private disarm(): void {
    this.timer?.();
    this.timer = undefined;
  }
}

/** The process's schedule (every room of every server in this process). */
export const patchScheduler = new PatchScheduler();
