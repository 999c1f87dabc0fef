import assert from 'node:assert/strict';
import { DEFAULT_PAIRING, type PairingOptions, type QueueEntry, acceptedRange, pairQueue } from '../../src/domain/pairing';
import { type Rng, createRng } from '../../src/domain/random';

const NOW = 1_764_115_200_000;
const OPTS: PairingOptions = { ...DEFAULT_PAIRING, now: NOW };

/** A queued player: ticket `id`, user `u-<id>`, rated `rating`, waited `waited` seconds at NOW. */
function player(id: string, rating: number, waited = 0, overrides: Partial<QueueEntry> = {}): QueueEntry {
  return {
    id, userId: `u-${id}`, rating, deviation: 80, grade: 3, subject: 'math', size: 2,
    joinedAt: NOW - waited * 1000, recentOpponents: [], ...overrides,
  };
}

/** Groups as sorted id lists, in the order returned. */
function ids(result: { groups: QueueEntry[][] }): string[][] {
  return result.groups.map((g) => g.map((e) => e.id).sort());
}

/** The rules restated independently of the module: may `a` and `b` share a group? */
function allowed(a: QueueEntry, b: QueueEntry, opts: PairingOptions): boolean {
  const ra = acceptedRange(a, opts);
  const rb = acceptedRange(b, opts);
  if (a.subject !== b.subject || a.size !== b.size || a.userId === b.userId) return false;
  if (Math.abs(a.rating - b.rating) > Math.min(ra, rb)) return false;
  const crossBand = a.grade !== null && b.grade !== null && Math.abs(a.grade - b.grade) > opts.gradeBandTolerance;
  if (crossBand && !(ra >= opts.maxRange / 2 && rb >= opts.maxRange / 2)) return false;
  const recent = (x: QueueEntry, y: QueueEntry) => x.recentOpponents.slice(0, opts.rematchCooldown).includes(y.userId);
  if ((recent(a, b) || recent(b, a)) && !(ra >= opts.maxRange && rb >= opts.maxRange)) return false;
  return true;
}

/** Normal(1500, 300) by Box–Muller, rounded like stored ratings. */
function normalRating(rng: Rng): number {
  const u = 1 - rng.next();
  const v = rng.next();
  return Math.round(1500 + 300 * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
}

/** A random queue with a small user pool, so repeated users and recent rematches actually occur. */
function randomQueue(rng: Rng, n: number): QueueEntry[] {
  const users = Array.from({ length: Math.ceil(n * 0.8) }, (_, i) => `user-${i}`);
  return Array.from({ length: n }, (_, i) => ({
    id: `t-${i}`,
    userId: rng.pick(users),
    rating: normalRating(rng),
    deviation: rng.int(30, 350),
    grade: rng.next() < 0.1 ? null : rng.int(1, 8),
    subject: rng.pick(['math', 'science']),
    size: rng.pick([2, 2, 2, 3, 4] as const),
    joinedAt: NOW - rng.int(0, 40_000),
    recentOpponents: Array.from({ length: rng.int(0, 3) }, () => rng.pick(users)),
  }));
}

/** Every k-subset of `items` (k ≤ 4 here, on small buckets). */
function* subsets<T>(items: readonly T[], k: number, from = 0, acc: T[] = []): Generator<T[]> {
  if (acc.length === k) {
    yield acc;
    return;
  }
  for (let i = from; i < items.length; i++) yield* subsets(items, k, i + 1, [...acc, items[i]]);
}

describe('pairing', () => {
  describe('acceptedRange', () => {
    it('starts at baseRange, widens per second waited and stops at maxRange', () => {
      assert.equal(acceptedRange(player('a', 1500, 0), OPTS), 100);
      assert.equal(acceptedRange(player('a', 1500, 10), OPTS), 350);
      assert.equal(acceptedRange(player('a', 1500, 27.9), OPTS), 797.5);
      assert.equal(acceptedRange(player('a', 1500, 28), OPTS), 800);
      assert.equal(acceptedRange(player('a', 1500, 600), OPTS), 800);
    });

    it('treats a join time in the future (clock skew) as no wait', () => {
      assert.equal(acceptedRange(player('a', 1500, -5), OPTS), 100);
    });

    it('rejects options that make no sense', () => {
      assert.throws(() => acceptedRange(player('a', 1500), { ...OPTS, maxRange: 50 }), RangeError);
      assert.throws(() => acceptedRange(player('a', 1500), { ...OPTS, widenPerSecond: -1 }), RangeError);
      assert.throws(() => acceptedRange(player('a', 1500), { ...OPTS, now: NaN }), RangeError);
    });
  });

  describe('pairQueue', () => {
    it('pairs two close-rated players', () => {
      const result = pairQueue([player('a', 1500), player('b', 1560)], OPTS);
      assert.deepEqual(ids(result), [['a', 'b']]);
      assert.deepEqual(result.waiting, []);
    });

    it('keeps far-apart players waiting at first and pairs them once both ranges have widened', () => {
      const fresh = pairQueue([player('a', 1500), player('b', 1800)], OPTS);
      assert.deepEqual(ids(fresh), []);
      assert.deepEqual(fresh.waiting.map((e) => e.id), ['a', 'b']);
      // One patient player is not enough: the newcomer's own range still excludes the gap.
      assert.deepEqual(ids(pairQueue([player('a', 1500, 30), player('b', 1800, 0)], OPTS)), []);
      // 300 apart: 7.9 s gives a range of 297.5, 8 s gives exactly 300.
      assert.deepEqual(ids(pairQueue([player('a', 1500, 7.9), player('b', 1800, 7.9)], OPTS)), []);
      assert.deepEqual(ids(pairQueue([player('a', 1500, 8), player('b', 1800, 8)], OPTS)), [['a', 'b']]);
    });

    it('gives the longest-waiting player the closest-rated partner', () => {
      const queue = [player('far', 1700, 30), player('anchor', 1500, 40), player('near', 1540, 30)];
      const result = pairQueue(queue, OPTS);
      assert.deepEqual(result.groups.map((g) => g.map((e) => e.id)), [['anchor', 'near']]);
      assert.deepEqual(result.waiting.map((e) => e.id), ['far']);
    });

    it('breaks a tie in rating distance by who joined first, then by id', () => {
      const below = player('below', 1450, 20);
      const above = player('above', 1550, 25);
      assert.deepEqual(ids(pairQueue([player('anchor', 1500, 30), below, above], OPTS)), [['above', 'anchor']]);
      const sameTime = [player('anchor', 1500, 30), player('y', 1450, 20), player('x', 1550, 20)];
      assert.deepEqual(ids(pairQueue(sameTime, OPTS)), [['anchor', 'x']]);
      // Equal ratings on the same side of the anchor, above and below; 'first' is the only one of its kind.
      for (const r of [1550, 1450, 1500]) {
        const sameSide = [player('anchor', 1500, 30), player('later', r, 20), player('first', r, 25), player('latest', r, 10)];
        assert.deepEqual(ids(pairQueue(sameSide, OPTS))[0], ['anchor', 'first'], `rating ${r}`);
      }
    });

    it('never mixes subjects or battle sizes', () => {
      const queue = [
        player('m2', 1500), player('s2', 1500, 0, { subject: 'science' }),
        player('m3', 1500, 0, { size: 3 }), player('m4', 1500, 0, { size: 4 }),
      ];
      const result = pairQueue(queue, OPTS);
      assert.deepEqual(result.groups, []);
      assert.equal(result.waiting.length, 4);
      const withPartners = pairQueue([...queue, player('s2b', 1510, 0, { subject: 'science' }), player('m2b', 1490)], OPTS);
      assert.deepEqual(ids(withPartners).sort(), [['m2', 'm2b'], ['s2', 's2b']]);
    });

    it('forms a group of 3 or 4 only when that many compatible players are present', () => {
      const three = (id: string, r: number) => player(id, r, 5, { size: 3 });
      const four = (id: string, r: number) => player(id, r, 5, { size: 4 });
      assert.deepEqual(ids(pairQueue([three('a', 1500), three('b', 1510)], OPTS)), []);
      assert.deepEqual(ids(pairQueue([three('a', 1500), three('b', 1510), three('c', 1520)], OPTS)), [['a', 'b', 'c']]);
      // c is within a's and b's range but the fourth is not within anyone's.
      assert.deepEqual(ids(pairQueue([four('a', 1500), four('b', 1510), four('c', 1520), four('d', 2100)], OPTS)), []);
      const five = pairQueue([four('a', 1500), four('b', 1510), four('c', 1520), four('d', 1530), four('e', 1700)], OPTS);
      assert.deepEqual(ids(five), [['a', 'b', 'c', 'd']]);
      assert.deepEqual(five.waiting.map((e) => e.id), ['e']);
    });

    it('requires every pair of a group to be compatible, and finds the group past an incompatible close partner', () => {
      // 'fresh' is closest to the anchor but accepts only ±100, so it cannot sit with c or d;
      // a plain greedy pick of the closest would be stuck, the search finds {anchor, c, d}.
      const queue = [
        player('anchor', 1500, 30, { size: 3 }), player('fresh', 1490, 0, { size: 3 }),
        player('c', 1600, 30, { size: 3 }), player('d', 1620, 30, { size: 3 }),
      ];
      const result = pairQueue(queue, OPTS);
      assert.deepEqual(ids(result), [['anchor', 'c', 'd']]);
      assert.deepEqual(result.waiting.map((e) => e.id), ['fresh']);
    });

    describe('grade bands', () => {
      it('pairs within the band, and a null grade with anyone', () => {
        assert.deepEqual(ids(pairQueue([player('a', 1500, 0, { grade: 3 }), player('b', 1500, 0, { grade: 4 })], OPTS)), [['a', 'b']]);
        assert.deepEqual(ids(pairQueue([player('a', 1500, 0, { grade: null }), player('b', 1500, 0, { grade: 8 })], OPTS)), [['a', 'b']]);
        assert.deepEqual(ids(pairQueue([player('a', 1500, 0, { grade: 3 }), player('b', 1500, 0, { grade: 5 })], OPTS)), []);
      });

      it('crosses bands only once both ranges have reached maxRange / 2', () => {
        // maxRange / 2 = 400 is reached after 12 s with the defaults.
        const cross = (wa: number, wb: number) => [player('a', 1500, wa, { grade: 1 }), player('b', 1500, wb, { grade: 8 })];
        assert.deepEqual(ids(pairQueue(cross(11.9, 60), OPTS)), []);
        assert.deepEqual(ids(pairQueue(cross(60, 11.9), OPTS)), []);
        assert.deepEqual(ids(pairQueue(cross(12, 12), OPTS)), [['a', 'b']]);
      });

      it('prefers the same band over a closer-rated player from another band', () => {
        const queue = [
          player('anchor', 1500, 30, { grade: 3 }), player('other-band', 1505, 30, { grade: 6 }), player('same-band', 1700, 30, { grade: 4 }),
        ];
        const result = pairQueue(queue, OPTS);
        assert.deepEqual(ids(result), [['anchor', 'same-band']]);
        assert.deepEqual(result.waiting.map((e) => e.id), ['other-band']);
      });
    });

    describe('rematches', () => {
      it('does not pair the same two again, whichever of them remembers it', () => {
        const a = player('a', 1500, 20, { recentOpponents: ['u-b'] });
        const b = player('b', 1500, 20);
        assert.deepEqual(ids(pairQueue([a, b], OPTS)), []);
        assert.deepEqual(ids(pairQueue([player('a', 1500, 20), player('b', 1500, 20, { recentOpponents: ['u-a'] })], OPTS)), []);
        // With a third player around, the anchor takes the farther, fresh opponent.
        const result = pairQueue([a, b, player('c', 1650, 20)], OPTS);
        assert.deepEqual(ids(result), [['a', 'c']]);
        assert.deepEqual(result.waiting.map((e) => e.id), ['b']);
      });

      it('looks back only rematchCooldown opponents', () => {
        const queue = [player('a', 1500, 0, { recentOpponents: ['u-x', 'u-b'] }), player('b', 1500)];
        assert.deepEqual(ids(pairQueue(queue, OPTS)), [['a', 'b']]);
        assert.deepEqual(ids(pairQueue(queue, { ...OPTS, rematchCooldown: 2 })), []);
        assert.deepEqual(ids(pairQueue([player('a', 1500, 0, { recentOpponents: ['u-b'] }), player('b', 1500)], { ...OPTS, rematchCooldown: 0 })), [['a', 'b']]);
      });

      it('allows the rematch once both have waited until their range is at maxRange, so a tiny pool is not starved', () => {
        // maxRange = 800 is reached after 28 s.
        const pool = (wa: number, wb: number) => [player('a', 1500, wa, { recentOpponents: ['u-b'] }), player('b', 1500, wb, { recentOpponents: ['u-a'] })];
        assert.deepEqual(ids(pairQueue(pool(27.9, 60), OPTS)), []);
        assert.deepEqual(ids(pairQueue(pool(60, 27.9), OPTS)), []);
        assert.deepEqual(ids(pairQueue(pool(28, 28), OPTS)), [['a', 'b']]);
      });
    });

    it('never groups a user queued twice with themselves', () => {
      const twice = [player('t1', 1500, 60, { userId: 'ana' }), player('t2', 1500, 60, { userId: 'ana' })];
      assert.deepEqual(ids(pairQueue(twice, OPTS)), []);
      const withOther = pairQueue([...twice, player('ben', 1500, 10)], OPTS);
      assert.deepEqual(ids(withOther), [['ben', 't1']]);
      assert.deepEqual(withOther.waiting.map((e) => e.id), ['t2']);
      const quad = [1, 2, 3].map((i) => player(`q${i}`, 1500, 60, { size: 4 }));
      assert.deepEqual(ids(pairQueue([...quad, player('q4', 1500, 60, { size: 4, userId: 'u-q1' })], OPTS)), []);
    });

    it('rejects a repeated ticket id and malformed entries', () => {
      assert.throws(() => pairQueue([player('a', 1500), player('a', 1510)], OPTS), /duplicate/);
      assert.throws(() => pairQueue([player('a', 1500, 0, { size: 5 as never })], OPTS), RangeError);
      assert.throws(() => pairQueue([player('a', NaN)], OPTS), RangeError);
    });

    it('is deterministic: the same entries give the same result, whatever their order in the queue', () => {
      const queue = randomQueue(createRng('determinism'), 300);
      const first = pairQueue(queue, OPTS);
      assert.deepEqual(pairQueue(queue, OPTS), first);
      assert.deepEqual(pairQueue(createRng('shuffle').shuffle(queue), OPTS), first);
      assert.deepEqual(pairQueue([...queue].reverse(), OPTS), first);
      assert.ok(first.groups.length > 20 && first.waiting.length > 0, 'the random queue exercises both outcomes');
    });

    it('property: over random queues of 200, groups obey every rule, nobody is lost or doubled, and no group is left unformed', () => {
      let grouped = 0;
      for (let seed = 0; seed < 40; seed++) {
        const queue = randomQueue(createRng(`pairing-${seed}`), 200);
        const { groups, waiting } = pairQueue(queue, OPTS);

        const seen = [...groups.flat(), ...waiting].map((e) => e.id).sort();
        assert.deepEqual(seen, queue.map((e) => e.id).sort(), `seed ${seed}: every entry exactly once`);

        for (const group of groups) {
          const label = `seed ${seed}, group ${group.map((e) => e.id).join(',')}`;
          assert.equal(group.length, group[0].size, `${label}: exactly size members`);
          assert.ok(group.every((e) => e.subject === group[0].subject && e.size === group[0].size), `${label}: one subject and size`);
          assert.equal(new Set(group.map((e) => e.userId)).size, group.length, `${label}: no user twice`);
          for (const [a, b] of subsets(group, 2)) assert.ok(allowed(a, b, OPTS), `${label}: ${a.id} and ${b.id} are compatible`);
        }
        grouped += groups.flat().length;

        // Maximality: among those left waiting, no complete compatible group exists.
        const buckets = new Map<string, QueueEntry[]>();
        for (const e of waiting) buckets.set(`${e.subject}/${e.size}`, [...(buckets.get(`${e.subject}/${e.size}`) ?? []), e]);
        for (const bucket of buckets.values()) {
          for (const candidate of subsets(bucket, bucket[0].size)) {
            const ok = [...subsets(candidate, 2)].every(([a, b]) => allowed(a, b, OPTS));
            assert.ok(!ok, `seed ${seed}: ${candidate.map((e) => e.id).join(',')} could have formed a group`);
          }
        }
      }
      assert.ok(grouped > 40 * 200 * 0.5, `most entries are grouped (${grouped})`);
    });
  });
});
