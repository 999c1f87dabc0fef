import assert from 'node:assert/strict';
import {
  BOARDS, BUCKET_WIDTHS, applyDeltas, boardSpec, bucketDeltas, bucketOf, centreWindow, compareBoardOrder, countGreater, publicBoardName,
  sliceRanks, storageKey, weekStartDate, type SliceRow,
} from '../../src/domain/leaderboards';
import { createRng, type Rng } from '../../src/domain/random';

/** Competition ranks by brute force: 1 + members strictly above. */
function bruteRank(members: ReadonlyArray<{ value: number }>, value: number): number {
  return 1 + members.filter((m) => m.value > value).length;
}

function randomBoard(rng: Rng, n: number, spread: number): SliceRow[] {
  return Array.from({ length: n }, (_, i) => ({
    userId: `u${i}`, username: `p${rng.int(0, 9999).toString(36)}_${i}`, value: rng.int(0, spread), member: true,
  })).sort(compareBoardOrder);
}

describe('leaderboards', () => {
  describe('boards', () => {
    it('are rating, one per subject, xp and xp_week', () => {
      assert.deepEqual(BOARDS.map((b) => b.name), ['rating', 'rating:math', 'rating:science', 'rating:language', 'rating:geography', 'xp', 'xp_week']);
      assert.equal(boardSpec('rating:mixed'), undefined);
      assert.equal(boardSpec('RATING'), undefined);
      assert.equal(boardSpec('rating:math')?.subject, 'math');
    });

    it('store each week as its own board, keyed by its Monday (UTC)', () => {
      const sunday = new Date('2026-11-29T23:59:59.999Z');
      const monday = new Date('2026-11-30T00:00:00.000Z');
      assert.equal(weekStartDate(sunday), '2026-11-23');
      assert.equal(storageKey(boardSpec('xp_week')!, sunday), 'xp_week:2026-11-23');
      assert.equal(storageKey(boardSpec('xp_week')!, monday), 'xp_week:2026-11-30');
      assert.equal(storageKey(boardSpec('rating:science')!, monday), 'rating:science');
      assert.equal(publicBoardName('xp_week:2026-11-30'), 'xp_week');
      assert.equal(publicBoardName('rating:geography'), 'rating:geography');
      assert.throws(() => publicBoardName('coins'), RangeError);
    });
  });

  describe('histogram', () => {
    it('buckets by floor division at every level, negative values too', () => {
      assert.deepEqual(BUCKET_WIDTHS, [1, 64, 4096, 262_144, 16_777_216]);
      assert.equal(bucketOf(1500, 0), 1500);
      assert.equal(bucketOf(1500, 1), 23);
      assert.equal(bucketOf(63, 1), 0);
      assert.equal(bucketOf(64, 1), 1);
      assert.equal(bucketOf(-1, 1), -1);
      assert.equal(bucketOf(-1, 4), -1);
      assert.throws(() => bucketOf(1.5, 0), RangeError);
    });

    it('joins count at every level; a move writes only the levels whose bucket changes', () => {
      assert.deepEqual(bucketDeltas([{ board: 'xp', before: null, after: 100 }]).map((d) => [d.level, d.bucket, d.delta]),
        [[0, 100, 1], [1, 1, 1], [2, 0, 1], [3, 0, 1], [4, 0, 1]]);
      assert.deepEqual(bucketDeltas([{ board: 'rating', before: 1510, after: 1530 }]).map((d) => [d.level, d.bucket, d.delta]),
        [[0, 1510, -1], [0, 1530, 1]]);
      assert.deepEqual(bucketDeltas([{ board: 'rating', before: 1530, after: 1470 }]).map((d) => [d.level, d.bucket, d.delta]),
        [[0, 1470, 1], [0, 1530, -1], [1, 22, 1], [1, 23, -1]]);
      assert.deepEqual(bucketDeltas([{ board: 'xp', before: 7, after: null }]).map((d) => d.delta), [-1, -1, -1, -1, -1]);
    });

    it('nets changes per bucket and sorts by board, level, bucket (one global lock order)', () => {
      const deltas = bucketDeltas([
        { board: 'xp', before: 10, after: 20 },
        { board: 'rating', before: 1600, after: 1590 },
        { board: 'xp', before: 20, after: 10 },
        { board: 'rating', before: 1590, after: 1600 },
        { board: 'rating:math', before: null, after: 1500 },
      ]);
      assert.ok(deltas.every((d) => d.delta !== 0));
      assert.ok(deltas.every((d) => d.board === 'rating:math'), 'the opposite moves cancel out');
      const keys = bucketDeltas([
        { board: 'xp', before: 5, after: 900 }, { board: 'rating', before: 1200, after: 2100 }, { board: 'rating', before: null, after: -70 },
      ]).map((d) => [d.board, d.level, d.bucket] as const);
      const sorted = [...keys].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0) || a[1] - b[1] || a[2] - b[2]);
      assert.deepEqual(keys, sorted);
    });

    it('counts the members above any value exactly, through joins, moves and leaves (seeded property test)', () => {
      for (const [seed, spread] of [[1, 50], [2, 3000], [3, 5_000_000], [4, 40_000_000]] as const) {
        const rng = createRng(`histogram-${seed}`);
        const histogram = new Map<string, number>();
        const values = new Map<string, number>();
        for (let step = 0; step < 1500; step++) {
          const user = `u${rng.int(0, 199)}`;
          const before = values.get(user) ?? null;
          const leave = before !== null && rng.next() < 0.1;
          const after = leave ? null : rng.int(-spread >> 4, spread);
          applyDeltas(histogram, bucketDeltas([{ board: 'b', before, after }]));
          if (after === null) values.delete(user);
          else values.set(user, after);
          if (step % 100 === 0) {
            const members = [...values.values()].map((value) => ({ value }));
            for (const probe of [...members.map((m) => m.value).slice(0, 10), rng.int(-spread, 2 * spread), 0, -1, spread]) {
              assert.equal(countGreater(histogram, 'b', probe) + 1, bruteRank(members, probe), `seed ${seed}, step ${step}, probe ${probe}`);
            }
          }
        }
        // Another board's buckets never count.
        applyDeltas(histogram, bucketDeltas([{ board: 'other', before: null, after: 10 * spread }]));
        assert.equal(countGreater(histogram, 'b', spread), 0);
      }
    });

    it('refuses a count below zero (a histogram out of step with its entries)', () => {
      assert.throws(() => applyDeltas(new Map(), bucketDeltas([{ board: 'b', before: 5, after: null }])), /negative/);
    });
  });

  describe('sliceRanks', () => {
    it('ranks ties alike and skips after them (1, 1, 3)', () => {
      const rows: SliceRow[] = [
        { userId: 'a', username: 'ann', value: 30, member: true },
        { userId: 'b', username: 'bob', value: 30, member: true },
        { userId: 'c', username: 'cid', value: 10, member: true },
      ];
      assert.deepEqual(sliceRanks(rows, 0, 2), [1, 1, 3]);
      // The same slice further down a board: 5 members above 30, and 4 members at 30 (2 before the slice).
      assert.deepEqual(sliceRanks(rows, 5, 4), [6, 6, 10]);
    });

    it('shows a non-member where they would be, without counting them for anyone', () => {
      const rows: SliceRow[] = [
        { userId: 'a', username: 'a', value: 20, member: true },
        { userId: 'me', username: 'me', value: 15, member: false },
        { userId: 'b', username: 'b', value: 15, member: true },
        { userId: 'c', username: 'c', value: 10, member: true },
      ];
      assert.deepEqual(sliceRanks(rows, 0, 1), [1, 2, 2, 3]);
    });

    it('agrees with brute force on every contiguous slice of random boards (seeded property test)', () => {
      const rng = createRng('slices');
      for (let round = 0; round < 60; round++) {
        const board = randomBoard(rng, rng.int(1, 60), rng.int(0, 12));
        const start = rng.int(0, board.length - 1);
        const end = rng.int(start + 1, board.length);
        let slice = board.slice(start, end);
        // Half the time, put a non-member caller into the slice where they belong.
        if (rng.next() < 0.5) {
          const me: SliceRow = { userId: 'me', username: `m${rng.int(0, 999)}`, value: rng.int(slice[slice.length - 1].value, slice[0].value), member: false };
          slice = [...slice, me].sort(compareBoardOrder);
        }
        const top = slice[0].value;
        const greater = board.filter((r) => r.value > top).length;
        const equal = board.filter((r) => r.value === top).length;
        assert.deepEqual(sliceRanks(slice, greater, equal), slice.map((r) => bruteRank(board, r.value)), `round ${round}`);
      }
    });

    it('refuses rows out of board order', () => {
      assert.throws(() => sliceRanks([{ userId: 'a', username: 'a', value: 1, member: true }, { userId: 'b', username: 'b', value: 2, member: true }], 0, 1), RangeError);
    });
  });

  describe('centreWindow', () => {
    const above = ['a1', 'a2', 'a3', 'a4', 'a5'];
    const below = ['b1', 'b2', 'b3', 'b4', 'b5'];
    it('centres the caller, one more below than above for an even limit', () => {
      assert.deepEqual(centreWindow(above, 'me', below, 5), ['a4', 'a5', 'me', 'b1', 'b2']);
      assert.deepEqual(centreWindow(above, 'me', below, 4), ['a5', 'me', 'b1', 'b2']);
      assert.deepEqual(centreWindow(above, 'me', below, 1), ['me']);
    });

    it('slides at either end of the board and shrinks only when the board is small', () => {
      assert.deepEqual(centreWindow(['a5'], 'me', below, 5), ['a5', 'me', 'b1', 'b2', 'b3']);
      assert.deepEqual(centreWindow(above, 'me', [], 5), ['a2', 'a3', 'a4', 'a5', 'me']);
      assert.deepEqual(centreWindow(['a5'], 'me', ['b1'], 10), ['a5', 'me', 'b1']);
      assert.throws(() => centreWindow([], 'me', [], 0), RangeError);
    });
  });
});
