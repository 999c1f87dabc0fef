import assert from 'node:assert/strict';
import { REWARDS, type RewardInput, computeRewards } from '../../src/domain/rewards';

const base: RewardInput = { placement: 1, playerCount: 4, correctAnswers: 0, rounds: 10, won: false, rated: true };
const rewards = (over: Partial<RewardInput>) => computeRewards({ ...base, ...over });

describe('rewards', () => {
  it('documents the agreed amounts', () => {
    assert.equal(REWARDS.participationXp, 20);
    assert.equal(REWARDS.xpPerCorrectAnswer, 10);
    assert.deepEqual([REWARDS.winXp, REWARDS.winCoins], [50, 20]);
    assert.deepEqual([...REWARDS.placementCoins, REWARDS.otherPlacementCoins], [30, 20, 10, 5]);
    assert.deepEqual([REWARDS.perfectXp, REWARDS.perfectCoins], [25, 10]);
  });

  it('pays a rated winner with a perfect round everything, itemised', () => {
    const r = rewards({ placement: 1, won: true, correctAnswers: 10 });
    assert.deepEqual(r.items, [
      { kind: 'participation', xp: 20, coins: 0 },
      { kind: 'correct_answers', xp: 100, coins: 0 },
      { kind: 'win', xp: 50, coins: 20 },
      { kind: 'placement', xp: 0, coins: 30 },
      { kind: 'perfect', xp: 25, coins: 10 },
    ]);
    assert.equal(r.xp, 195);
    assert.equal(r.coins, 60);
  });

  it('pays placement coins 30/20/10/5 and correct answers at 10 XP each', () => {
    assert.deepEqual([1, 2, 3, 4].map((placement) => rewards({ placement }).coins), [30, 20, 10, 5]);
    const second = rewards({ placement: 2, correctAnswers: 7 });
    assert.equal(second.xp, 20 + 70);
    assert.equal(second.coins, 20);
    assert.deepEqual(second.items.map((i) => i.kind), ['participation', 'correct_answers', 'placement']);
  });

  it('gives tied first places placement coins but no win bonus when nobody won', () => {
    const tied = rewards({ placement: 1, won: false, correctAnswers: 5 });
    assert.equal(tied.coins, 30);
    assert.equal(tied.xp, 70);
    assert.ok(!tied.items.some((i) => i.kind === 'win'));
  });

  it('omits the correct-answers line when there were none, but always keeps participation', () => {
    const r = rewards({ placement: 4, correctAnswers: 0 });
    assert.deepEqual(r.items, [
      { kind: 'participation', xp: 20, coins: 0 },
      { kind: 'placement', xp: 0, coins: 5 },
    ]);
  });

  it('gives the perfect bonus only for every round correct', () => {
    assert.ok(rewards({ correctAnswers: 10 }).items.some((i) => i.kind === 'perfect'));
    assert.ok(!rewards({ correctAnswers: 9 }).items.some((i) => i.kind === 'perfect'));
    assert.ok(!rewards({ correctAnswers: 0, rounds: 0 }).items.some((i) => i.kind === 'perfect'));
  });

  it('halves XP (rounded down per line) and pays no coins in unrated battles', () => {
    const r = rewards({ rated: false, placement: 1, won: true, correctAnswers: 10 });
    assert.deepEqual(r.items, [
      { kind: 'participation', xp: 10, coins: 0 },
      { kind: 'correct_answers', xp: 50, coins: 0 },
      { kind: 'win', xp: 25, coins: 0 },
      { kind: 'perfect', xp: 12, coins: 0 },
    ]);
    assert.equal(r.xp, 97);
    assert.equal(r.coins, 0);
  });

  it('pays a forfeiting player participation and correct answers only', () => {
    const r = rewards({ placement: 4, correctAnswers: 3, forfeited: true });
    assert.deepEqual(r.items, [
      { kind: 'participation', xp: 20, coins: 0 },
      { kind: 'correct_answers', xp: 30, coins: 0 },
    ]);
    assert.equal(r.xp, 50);
    assert.equal(r.coins, 0);
    const perfectThenLeft = rewards({ placement: 1, correctAnswers: 10, forfeited: true });
    assert.equal(perfectThenLeft.xp, 120);
    assert.equal(perfectThenLeft.coins, 0);
  });

  it('keeps xp and coins equal to the sums of the items', () => {
    for (const rated of [true, false]) {
      for (let placement = 1; placement <= 4; placement++) {
        for (const correctAnswers of [0, 3, 10]) {
          const r = rewards({ rated, placement, correctAnswers, won: placement === 1 });
          assert.equal(r.xp, r.items.reduce((s, i) => s + i.xp, 0));
          assert.equal(r.coins, r.items.reduce((s, i) => s + i.coins, 0));
        }
      }
    }
  });

  it('rejects inconsistent input', () => {
    assert.throws(() => rewards({ placement: 0 }), RangeError);
    assert.throws(() => rewards({ placement: 5, playerCount: 4 }), RangeError);
    assert.throws(() => rewards({ playerCount: 0 }), RangeError);
    assert.throws(() => rewards({ correctAnswers: 11, rounds: 10 }), RangeError);
    assert.throws(() => rewards({ correctAnswers: -1 }), RangeError);
    assert.throws(() => rewards({ won: true, placement: 2 }), RangeError);
  });
});
