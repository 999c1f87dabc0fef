/**
 * Skill-based matchmaking: one pairing wave as a pure function over the queue, in the manner of lichess'
 * pool pairing. The room that collects the queue and times the waves lives elsewhere; here the clock is
 * `opts.now` and nothing is random, so a wave replays exactly from its input.
 *
 * Two queued entries may share a group only if ALL of these hold ("compatible"):
 * - the same subject and the same battle size (the queue is bucketed by both);
 * - different userIds (a user queued twice must never meet themselves);
 * - their rating difference is within BOTH members' accepted range, which widens the longer each waits;
 * - they are in the same grade band (grades at most gradeBandTolerance apart; a null grade matches anyone),
 *   OR both ranges have reached maxRange / 2. Our choice: tying the grade relaxation to the rating range
 *   gives one "patience" dial instead of two timers, and at half the maximum range a child has waited long
 *   enough (12 s with the defaults) that a slightly older or younger opponent beats waiting on;
 * - neither is among the other's `rematchCooldown` most recent opponents, OR both ranges have reached
 *   maxRange. Our choice: in a tiny pool (a rare subject at night) the only other player may be the last
 *   opponent, and a rematch beats never playing; both must be at the cap, so a busy pool never rematches.
 * A group has exactly `size` members and every pair inside it is compatible.
 *
 * Order (greedy but fair): the longest-waiting entry is served first (joinedAt, then id). It takes the
 * compatible partners closest to it in rating, preferring its own grade band over any closer player from
 * another band. Ties are broken by joinedAt then id, so the result depends only on the set of entries,
 * never on their order in the queue array.
 *
 * Cost: O(n log n) to sort each (subject, size) bucket by rating once; then each anchor walks outward from
 * its own rating, skipping already grouped players in amortised constant time, and stops at the first
 * complete group — usually after a handful of steps — or at the edge of its range. Only an anchor that finds
 * no group scans its whole range window; in a real queue those are few, because two of them within each
 * other's range would have been grouped. The exception is one user holding many tickets in one bucket
 * (mutually incompatible, all in range): the queue owner should keep one ticket per user and bucket.
 */

export interface QueueEntry {
  /** Unique per queue entry (a ticket), not per user: one user may hold two tickets. */
  id: string;
  userId: string;
  rating: number;
  /** Carried for the caller (e.g. to show "provisional"); the rules here use the rating alone. */
  deviation: number;
  grade: number | null;
  subject: string;
  size: 2 | 3 | 4;
  /** When the entry joined the queue, in epoch milliseconds (same clock as PairingOptions.now). */
  joinedAt: number;
  /** userIds of their most recent opponents (newest first) */
  recentOpponents: string[];
}

export interface PairingOptions {
  /** The wave's time, in epoch milliseconds. */
  now: number;
  /** Accepted rating difference for someone who just joined. */
  baseRange: number;
  /** Rating points the accepted range grows per second of waiting. */
  widenPerSecond: number;
  /** Upper bound of the accepted range; it also marks "waited long enough" for the relaxations. */
  maxRange: number;
  /** How many grades apart two players may be and still count as the same grade band. */
  gradeBandTolerance: number;
  /** How many of a player's most recent opponents they are kept away from. */
  rematchCooldown: number;
}

/**
 * Default pairing parameters (our choices; the room may override them from configuration).
 * - baseRange 100: a 100-point gap is still a 64 % / 36 % expected score, a close game.
 * - widenPerSecond 25: +100 every 4 s, so the range reaches half the cap after 12 s and the cap after 28 s:
 *   within half a minute anyone in the pool is reachable, before the room falls back to a practice bot.
 * - maxRange 800: at 800 points the weaker player's expected score is 1 %, the limit of a real game.
 * - gradeBandTolerance 1: partners at most one grade apart, so the battle's question band spans two grades.
 * - rematchCooldown 1: never the same opponent twice in a row.
 */
export const DEFAULT_PAIRING: Omit<PairingOptions, 'now'> = {
  baseRange: 100,
  widenPerSecond: 25,
  maxRange: 800,
  gradeBandTolerance: 1,
  rematchCooldown: 1,
};

/**
 * The most compatibility checks one anchor may spend looking for a group of 3 or 4. Finding a group is a
 * clique search, exponential in the worst case; past this budget the anchor simply waits for the next
 * wave, when every range is wider. About ten times what the realistic queues of bench/pairing.ts ever
 * needed (at most 230 checks for one anchor).
 */
const GROUP_SEARCH_BUDGET = 2_000;

function assertOptions(opts: PairingOptions): void {
  const { now, baseRange, widenPerSecond, maxRange, gradeBandTolerance, rematchCooldown } = opts;
  if (!Number.isFinite(now)) throw new RangeError(`now must be finite, got ${now}`);
  if (!Number.isFinite(baseRange) || baseRange < 0) throw new RangeError(`baseRange must be a non-negative number, got ${baseRange}`);
  if (!Number.isFinite(widenPerSecond) || widenPerSecond < 0) throw new RangeError(`widenPerSecond must be a non-negative number, got ${widenPerSecond}`);
  // maxRange below baseRange would put every newcomer "at the cap" and so allow rematches at once.
  if (!Number.isFinite(maxRange) || maxRange < baseRange) throw new RangeError(`maxRange must be finite and >= baseRange, got ${maxRange}`);
  if (!Number.isFinite(gradeBandTolerance) || gradeBandTolerance < 0) throw new RangeError(`gradeBandTolerance must be a non-negative number, got ${gradeBandTolerance}`);
  if (!Number.isInteger(rematchCooldown) || rematchCooldown < 0) throw new RangeError(`rematchCooldown must be a non-negative integer, got ${rematchCooldown}`);
}

function rangeAfterWait(joinedAt: number, opts: PairingOptions): number {
  // A joinedAt slightly in the future (clock skew between servers) counts as no wait, not a narrower range.
  const waitedSeconds = Math.max(0, opts.now - joinedAt) / 1000;
  return Math.min(opts.maxRange, opts.baseRange + opts.widenPerSecond * waitedSeconds);
}

/** The rating difference `entry` accepts at `opts.now`: baseRange + widenPerSecond × seconds waited, capped at maxRange. */
export function acceptedRange(entry: Pick<QueueEntry, 'joinedAt'>, opts: PairingOptions): number {
  assertOptions(opts);
  if (!Number.isFinite(entry.joinedAt)) throw new RangeError(`joinedAt must be finite, got ${entry.joinedAt}`);
  return rangeAfterWait(entry.joinedAt, opts);
}

// ---------------------------------------------------------------------------------------------------------
// Internal structures. A Node is one queue entry with its derived figures. A Bucket holds the entries of one
// (subject, size) twice: by rating ascending (to walk up from an anchor) and descending (to walk down), both
// with equal ratings in wait order, so the two walks merged yield candidates already in the
// (rating distance, joinedAt, id) order the rules ask for.

interface Node {
  entry: QueueEntry;
  rating: number;
  grade: number | null;
  /** Rank in (joinedAt, id) order: the anchor order and every tie-break. */
  order: number;
  range: number;
  /** Range has reached maxRange / 2: may cross grade bands. */
  half: boolean;
  /** Range has reached maxRange: may rematch. */
  full: boolean;
  alive: boolean;
  bucket: Bucket;
  upPos: number;
  downPos: number;
  /** Where this node's walks start: the first node of `up` rated >= its rating, of `down` rated below it. */
  upStart: number;
  downStart: number;
}

interface Bucket {
  up: Node[];
  down: Node[];
  /** Union-find "next live index at or after i" over `up` / `down`; index `length` is the end sentinel. */
  upSkip: Int32Array;
  downSkip: Int32Array;
}

interface Rules {
  tolerance: number;
  cooldown: number;
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0; // code-unit order: the same on every machine, unlike localeCompare
}

function sameBand(a: number | null, b: number | null, tolerance: number): boolean {
  return a === null || b === null || Math.abs(a - b) <= tolerance;
}

function metRecently(entry: QueueEntry, userId: string, cooldown: number): boolean {
  const recent = entry.recentOpponents;
  const n = Math.min(cooldown, recent.length);
  for (let i = 0; i < n; i++) if (recent[i] === userId) return true;
  return false;
}

function compatible(a: Node, b: Node, rules: Rules): boolean {
  const diff = Math.abs(a.rating - b.rating);
  if (diff > a.range || diff > b.range) return false;
  if (a.entry.userId === b.entry.userId) return false;
  if (!(a.half && b.half) && !sameBand(a.grade, b.grade, rules.tolerance)) return false;
  if (!(a.full && b.full) && (metRecently(a.entry, b.entry.userId, rules.cooldown) || metRecently(b.entry, a.entry.userId, rules.cooldown))) return false;
  return true;
}

function liveFrom(skip: Int32Array, i: number): number {
  let root = i;
  while (skip[root] !== root) root = skip[root];
  while (skip[i] !== root) {
    const next = skip[i];
    skip[i] = root;
    i = next;
  }
  return root;
}

function newSkip(length: number): Int32Array {
  const skip = new Int32Array(length + 1);
  for (let i = 0; i <= length; i++) skip[i] = i;
  return skip;
}

/** Sorts a bucket both ways and records each node's positions and walk starts, in O(n log n). */
function indexBucket(bucket: Bucket): void {
  const { up } = bucket;
  // Nodes were pushed in wait order and sort is stable, so equal ratings stay in wait order.
  up.sort((a, b) => a.rating - b.rating);
  const down: Node[] = [];
  // `down` takes the runs of equal rating from the top, each run kept in wait order.
  for (let end = up.length; end > 0;) {
    let start = end - 1;
    while (start > 0 && up[start - 1].rating === up[end - 1].rating) start--;
    const downStart = down.length + (end - start);
    for (let i = start; i < end; i++) {
      const node = up[i];
      node.upPos = i;
      node.upStart = start;
      node.downPos = down.length;
      node.downStart = downStart;
      down.push(node);
    }
    end = start;
  }
  bucket.down = down;
  bucket.upSkip = newSkip(up.length);
  bucket.downSkip = newSkip(down.length);
}

/**
 * The search for one anchor's group. One instance serves a whole wave and is reset per anchor (a wave runs
 * thousands of searches; per-anchor allocations cost more than the search). Candidates come lazily from two
 * walks outward from the anchor's rating, merged by distance then wait order, and stop at the anchor's range:
 * first a pass over the anchor's own grade band, then — only once the anchor may cross bands — a second pass
 * over the other bands.
 */
class GroupSearch {
  private anchor!: Node;
  private crossing = false;
  private budget = 0;
  /** Compatible partners found so far, in preference order. */
  private readonly found: Node[] = [];
  private readonly chosen: Node[] = [];
  private upIndex = 0;
  private downIndex = 0;
  private upHead: Node | null = null;
  private downHead: Node | null = null;

  constructor(private readonly rules: Rules) {}

  /** The anchor's group (anchor first, then partners in preference order), or null if none can be formed. */
  run(anchor: Node): Node[] | null {
    this.anchor = anchor;
    this.crossing = false;
    this.budget = GROUP_SEARCH_BUDGET;
    this.found.length = 0;
    this.chosen.length = 0;
    this.startWalks();
    this.chosen.push(anchor);
    return this.extend(0) ? this.chosen.slice() : null;
  }

  /**
   * Depth-first: partners in preference order, each compatible with all chosen before, so the first group
   * found is the closest one; for a pair it is simply the first candidate.
   */
  private extend(from: number): boolean {
    const { chosen } = this;
    if (chosen.length === this.anchor.entry.size) return true;
    for (let i = from; this.budget > 0; i++) {
      const candidate = this.candidate(i);
      if (!candidate) return false;
      let fits = true;
      // chosen[0] is the anchor: every candidate is already compatible with it.
      for (let k = 1; k < chosen.length && fits; k++) {
        this.budget--;
        fits = compatible(chosen[k], candidate, this.rules);
      }
      if (!fits) continue;
      chosen.push(candidate);
      if (this.extend(i + 1)) return true;
      chosen.pop();
    }
    return false;
  }

  private candidate(i: number): Node | undefined {
    const { anchor, rules } = this;
    while (this.found.length <= i) {
      const next = this.pull();
      if (!next) {
        // Own band exhausted: cross to the others only when the anchor may (a null grade has no others).
        if (this.crossing || !anchor.half || anchor.grade === null) return undefined;
        this.crossing = true;
        this.startWalks();
        continue;
      }
      if (next === anchor || sameBand(anchor.grade, next.grade, rules.tolerance) === this.crossing) continue;
      if (compatible(anchor, next, rules)) this.found.push(next);
    }
    return this.found[i];
  }

  private pull(): Node | null {
    const up = this.upHead;
    const down = this.downHead;
    const r = this.anchor.rating;
    // Both heads are within range; the closer wins, then the one who waited longer.
    if (up && (!down || up.rating - r < r - down.rating || (up.rating - r === r - down.rating && up.order < down.order))) {
      this.upIndex++;
      this.upHead = this.settleUp();
      return up;
    }
    if (down) {
      this.downIndex++;
      this.downHead = this.settleDown();
      return down;
    }
    return null;
  }

  private startWalks(): void {
    // Equal ratings belong to the upward walk only, so nobody is offered twice.
    this.upIndex = this.anchor.upStart;
    this.downIndex = this.anchor.downStart;
    this.upHead = this.settleUp();
    this.downHead = this.settleDown();
  }

  /** Moves the upward walk to its next live node; null once past the end or the anchor's range. */
  private settleUp(): Node | null {
    const { up, upSkip } = this.anchor.bucket;
    this.upIndex = liveFrom(upSkip, this.upIndex);
    return this.upIndex < up.length ? this.inRange(up[this.upIndex]) : null;
  }

  /** Moves the downward walk to its next live node; null once past the end or the anchor's range. */
  private settleDown(): Node | null {
    const { down, downSkip } = this.anchor.bucket;
    this.downIndex = liveFrom(downSkip, this.downIndex);
    return this.downIndex < down.length ? this.inRange(down[this.downIndex]) : null;
  }

  private inRange(node: Node): Node | null {
    return Math.abs(node.rating - this.anchor.rating) <= this.anchor.range ? node : null;
  }
}

function assertEntry(e: QueueEntry): void {
  if (typeof e.id !== 'string' || typeof e.userId !== 'string') throw new RangeError('queue entry needs string id and userId');
  if (e.size !== 2 && e.size !== 3 && e.size !== 4) throw new RangeError(`entry ${e.id}: size must be 2, 3 or 4, got ${e.size}`);
  if (!Number.isFinite(e.rating)) throw new RangeError(`entry ${e.id}: rating must be finite, got ${e.rating}`);
  if (!Number.isFinite(e.joinedAt)) throw new RangeError(`entry ${e.id}: joinedAt must be finite, got ${e.joinedAt}`);
  if (e.grade !== null && !Number.isFinite(e.grade)) throw new RangeError(`entry ${e.id}: grade must be a number or null, got ${e.grade}`);
  if (!Array.isArray(e.recentOpponents)) throw new RangeError(`entry ${e.id}: recentOpponents must be an array`);
}

/**
 * One pairing wave: groups of exactly `size` mutually compatible entries, longest-waiting first, each with
 * its closest-rated compatible partners; everyone else waits. Every entry lands exactly once in the result,
 * as the caller's own object (never a copy), so a room may keep its richer ticket type through the call.
 */
export function pairQueue(queue: readonly QueueEntry[], opts: PairingOptions): { groups: QueueEntry[][]; waiting: QueueEntry[] } {
  assertOptions(opts);
  const ids = new Set<string>();
  for (const e of queue) {
    assertEntry(e);
    // A repeated ticket id would make "every entry exactly once" ambiguous; the queue owner has a bug.
    if (ids.has(e.id)) throw new RangeError(`duplicate queue entry id ${e.id}`);
    ids.add(e.id);
  }

  const byWait = [...queue].sort((a, b) => a.joinedAt - b.joinedAt || compareIds(a.id, b.id));
  const half = opts.maxRange / 2;
  // Subject, then size: keyed by the subject string itself, whose hash the engine caches, not a built key.
  const bySubject = new Map<string, (Bucket | undefined)[]>();
  const buckets: Bucket[] = [];
  const nodes: Node[] = new Array(byWait.length);
  for (let order = 0; order < byWait.length; order++) {
    const entry = byWait[order];
    let sizes = bySubject.get(entry.subject);
    if (!sizes) bySubject.set(entry.subject, (sizes = [undefined, undefined, undefined, undefined, undefined]));
    let bucket = sizes[entry.size];
    if (!bucket) buckets.push((sizes[entry.size] = bucket = { up: [], down: [], upSkip: new Int32Array(0), downSkip: new Int32Array(0) }));
    const range = rangeAfterWait(entry.joinedAt, opts);
    const node: Node = {
      entry, rating: entry.rating, grade: entry.grade, order, range, half: range >= half, full: range >= opts.maxRange,
      alive: true, bucket, upPos: 0, downPos: 0, upStart: 0, downStart: 0,
    };
    bucket.up.push(node);
    nodes[order] = node;
  }
  for (const bucket of buckets) indexBucket(bucket);

  const search = new GroupSearch({ tolerance: opts.gradeBandTolerance, cooldown: opts.rematchCooldown });
  const groups: QueueEntry[][] = [];
  for (const anchor of nodes) {
    if (!anchor.alive) continue;
    const group = search.run(anchor);
    if (!group) continue;
    const entries: QueueEntry[] = new Array(group.length);
    for (let i = 0; i < group.length; i++) {
      const member = group[i];
      member.alive = false;
      member.bucket.upSkip[member.upPos] = member.upPos + 1;
      member.bucket.downSkip[member.downPos] = member.downPos + 1;
      entries[i] = member.entry;
    }
    groups.push(entries);
  }
  const waiting: QueueEntry[] = [];
  for (const node of nodes) if (node.alive) waiting.push(node.entry);
  return { groups, waiting };
}
