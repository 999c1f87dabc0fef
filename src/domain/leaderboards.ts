/**
 * Leaderboard rules, pure: which boards exist and where each is stored, how a board value maps onto the
 * rank histogram, and how ranks and the "around me" window follow from a slice of the board plus two
 * counts. LeaderboardService does the I/O; everything that can be wrong about a rank is decided here.
 *
 * Ranking: competition ranking on the value shown (1, 1, 3): rank = 1 + the number of board members with a
 * strictly greater value. Order: value descending, then username ascending in code-point order (the
 * database compares usernames with COLLATE "C", the same order as JavaScript's `<` on these ASCII names).
 */
import { SUBJECTS, type Subject } from './questionPack';
import { weekStart } from './weeks';

/** A board as clients name it. */
export type BoardName = 'rating' | `rating:${Subject}` | 'xp' | 'xp_week';

/** What a board ranks. */
export interface BoardSpec {
  name: BoardName;
  kind: 'rating' | 'subject_rating' | 'xp' | 'xp_week';
  subject?: Subject;
}

/** Every board, in the order documentation lists them. */
export const BOARDS: readonly BoardSpec[] = [
  { name: 'rating', kind: 'rating' },
  ...SUBJECTS.map((subject): BoardSpec => ({ name: `rating:${subject}`, kind: 'subject_rating', subject })),
  { name: 'xp', kind: 'xp' },
  { name: 'xp_week', kind: 'xp_week' },
];

const BY_NAME = new Map(BOARDS.map((b) => [b.name as string, b]));

/** The board called `name`, or undefined for a name that is not a board. */
export function boardSpec(name: string): BoardSpec | undefined {
  return BY_NAME.get(name);
}

/** `YYYY-MM-DD` of the UTC week (Monday) containing `at`: the key of that week's xp_week board and weekly_xp row. */
export function weekStartDate(at: Date): string {
  return weekStart(at).toISOString().slice(0, 10);
}

/**
 * The key a board is stored under at time `at`. Every weekly board is its own board ("xp_week:2026-11-23"),
 * so a week resets by starting an empty board rather than by a job that clears the old one.
 */
export function storageKey(spec: BoardSpec, at: Date): string {
  return spec.kind === 'xp_week' ? `xp_week:${weekStartDate(at)}` : spec.name;
}

/** The storage key of one subject's rating board. */
export function subjectBoardKey(subject: Subject): string {
  return `rating:${subject}`;
}

/** The storage key of the weekly board for the week starting on `weekStart` (YYYY-MM-DD). */
export function weeklyBoardKey(weekStartDay: string): string {
  return `xp_week:${weekStartDay}`;
}

/** The public board name of a storage key ("xp_week:2026-11-23" → "xp_week"). */
export function publicBoardName(key: string): BoardName {
  const name = key.startsWith('xp_week:') ? 'xp_week' : key;
  if (!BY_NAME.has(name)) throw new RangeError(`not a board key: ${key}`);
  return name as BoardName;
}

// ---------------------------------------------------------------------------------------------------
// The rank histogram.
//
// Counting the members above a value is what makes a mid-table rank slow: `count(*) WHERE value > x` reads
// every row above x. The histogram keeps, per board, how many members fall in each bucket of a few
// levels of ever wider buckets (widths 1, 64, 64², …). The members above x are then exactly: at each
// level, the buckets to the right of x's own bucket inside the same parent bucket (at most 63 rows per
// level), plus at the top level every bucket to the right. That is at most 5 × 63 small rows, whatever the
// board's size, and exact: level 0 has width 1, so nothing is estimated. A change of value touches only
// the levels where the old and new bucket differ (usually level 0, sometimes 1), which keeps writers of
// different values off each other's rows.
// ---------------------------------------------------------------------------------------------------

/** Each level's bucket is this many buckets of the level below. */
export const BUCKET_BRANCHING = 64;

/**
 * Bucket width per level. Values are integers (ratings as shown, XP); 64⁴ = 16,777,216 as the top width
 * leaves any realistic value in a handful of top buckets. Changing these means rebuilding every board's
 * buckets (a migration: see 1764201600000-RatingsAndLeaderboards.ts, which writes them with these widths).
 */
export const BUCKET_WIDTHS: readonly number[] = [1, 64, 4096, 262_144, 16_777_216];

/** One histogram row's key. */
export interface BucketKey {
  board: string;
  level: number;
  bucket: number;
}

function assertValue(value: number): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`board values are integers, got ${value}`);
}

/** The bucket of `value` at `level` (floor division, so negative values bucket consistently too). */
export function bucketOf(value: number, level: number): number {
  assertValue(value);
  return Math.floor(value / BUCKET_WIDTHS[level]);
}

/**
 * Per level, the bucket range whose members are all strictly greater than `value`: buckets in
 * (from, to) — `to` undefined at the top level, where every bucket to the right counts.
 */
export function greaterRanges(value: number): Array<{ level: number; from: number; to?: number }> {
  return BUCKET_WIDTHS.map((_, level) => {
    const own = bucketOf(value, level);
    if (level === BUCKET_WIDTHS.length - 1) return { level, from: own };
    return { level, from: own, to: (bucketOf(value, level + 1) + 1) * BUCKET_BRANCHING };
  });
}

/** Members strictly above `value`, from a histogram held in memory (the reference the SQL version follows). */
export function countGreater(histogram: ReadonlyMap<string, number>, board: string, value: number): number {
  let n = 0;
  for (const { level, from, to } of greaterRanges(value)) {
    for (const [key, count] of histogram) {
      const [b, l, k] = splitKey(key);
      if (b === board && l === level && k > from && (to === undefined || k < to)) n += count;
    }
  }
  return n;
}

/** A member's value before and after a change; null = not on the board (joins and leaves). */
export interface ValueChange {
  board: string;
  before: number | null;
  after: number | null;
}

function joinKey(k: BucketKey): string {
  return `${k.board}\u0000${k.level}\u0000${k.bucket}`;
}

function splitKey(s: string): [string, number, number] {
  const [board, level, bucket] = s.split('\u0000');
  return [board, Number(level), Number(bucket)];
}

/** Code-point order, the order COLLATE "C" gives in the database. */
export function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The histogram increments a batch of changes needs, netted per bucket and sorted by (board, level,
 * bucket). Sorted because concurrent transactions must lock histogram rows in one global order, or two
 * battles updating the same buckets in opposite orders would deadlock.
 */
export function bucketDeltas(changes: readonly ValueChange[]): Array<BucketKey & { delta: number }> {
  const deltas = new Map<string, number>();
  const add = (board: string, value: number, level: number, d: number) => {
    const key = joinKey({ board, level, bucket: bucketOf(value, level) });
    deltas.set(key, (deltas.get(key) ?? 0) + d);
  };
  for (const c of changes) {
    if (c.before !== null) assertValue(c.before);
    if (c.after !== null) assertValue(c.after);
    for (let level = 0; level < BUCKET_WIDTHS.length; level++) {
      // A level whose bucket does not change needs no write: keeps most updates to one or two rows.
      if (c.before !== null && c.after !== null && bucketOf(c.before, level) === bucketOf(c.after, level)) continue;
      if (c.before !== null) add(c.board, c.before, level, -1);
      if (c.after !== null) add(c.board, c.after, level, +1);
    }
  }
  return [...deltas]
    .filter(([, delta]) => delta !== 0)
    .map(([key, delta]) => {
      const [board, level, bucket] = splitKey(key);
      return { board, level, bucket, delta };
    })
    .sort((x, y) => compareCodePoints(x.board, y.board) || x.level - y.level || x.bucket - y.bucket);
}

/** Applies bucket deltas to an in-memory histogram (tests and the reference model). */
export function applyDeltas(histogram: Map<string, number>, deltas: ReadonlyArray<BucketKey & { delta: number }>): void {
  for (const d of deltas) {
    const key = joinKey(d);
    const n = (histogram.get(key) ?? 0) + d.delta;
    if (n < 0) throw new RangeError(`bucket ${d.board}/${d.level}/${d.bucket} would go negative`);
    histogram.set(key, n);
  }
}

// ---------------------------------------------------------------------------------------------------
// Ranks of a board slice.
// ---------------------------------------------------------------------------------------------------

/** A row of a contiguous slice of a board, in board order. `member` is false for a caller shown off-board. */
export interface SliceRow {
  userId: string;
  username: string;
  value: number;
  member: boolean;
}

/** Board order: value descending, then username in code-point order. */
export function compareBoardOrder(a: { value: number; username: string }, b: { value: number; username: string }): number {
  return b.value - a.value || compareCodePoints(a.username, b.username);
}

/**
 * Competition ranks for a contiguous slice of a board, from two counts about the slice's first value v0:
 * `greater` = members with a value above v0 and `equal` = members with exactly v0 (some of whom may sit
 * before the slice). A row with v0 ranks 1 + greater; a lower value v ranks 1 + greater + equal + the
 * members with a value strictly between v and v0, and those all lie inside the slice (it is contiguous),
 * before the row. A non-member row (the caller, shown where they would be) gets the rank they would
 * have and does not count for anyone else.
 */
export function sliceRanks(rows: readonly SliceRow[], greater: number, equal: number): number[] {
  if (rows.length === 0) return [];
  const top = rows[0].value;
  const ranks: number[] = [];
  let membersBelowTop = 0; // members seen so far with a value below top
  let membersAtValue = 0; // of those, how many have the current row's value
  let currentValue = top;
  for (const row of rows) {
    if (row.value > currentValue) throw new RangeError('slice rows must be in board order');
    if (row.value !== currentValue) {
      currentValue = row.value;
      membersAtValue = 0;
    }
    ranks.push(row.value === top ? 1 + greater : 1 + greater + equal + membersBelowTop - membersAtValue);
    if (row.member && row.value !== top) {
      membersBelowTop++;
      membersAtValue++;
    }
  }
  return ranks;
}

/**
 * The "around me" window: `limit` rows centred on the caller (one more below than above when `limit` is
 * even), from up to limit − 1 rows fetched on each side, both in board order (so the nearest row above is
 * `above`'s last). Near either end of the board the window slides so that it still holds `limit` rows
 * when the board has them.
 */
export function centreWindow<T>(above: readonly T[], me: T, below: readonly T[], limit: number): T[] {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  const room = limit - 1;
  let nAbove = Math.min(above.length, Math.floor(room / 2));
  const nBelow = Math.min(below.length, room - nAbove);
  nAbove = Math.min(above.length, room - nBelow);
  return [...above.slice(above.length - nAbove), me, ...below.slice(0, nBelow)];
}
