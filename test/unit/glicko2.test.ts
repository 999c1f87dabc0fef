import assert from 'node:assert/strict';
import {
  GLICKO2,
  type Rating,
  decayDeviation,
  initialRating,
  pairwiseGames,
  rateBattle,
  updateRating,
} from '../../src/domain/glicko2';

const rating = (r: number, rd: number, vol = 0.06): Rating => ({ rating: r, deviation: rd, volatility: vol });

function assertClose(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: expected ${expected} ± ${tolerance}, got ${actual}`);
}

describe('glicko2', () => {
  it('uses the paper constants', () => {
    assert.equal(GLICKO2.scale, 173.7178);
    assert.equal(GLICKO2.tau, 0.5);
    assert.deepEqual(initialRating(), rating(1500, 350, 0.06));
  });

  describe('updateRating', () => {
    it("reproduces Glickman's published example", () => {
      const updated = updateRating(rating(1500, 200), [
        { opponent: rating(1400, 30), score: 1 },
        { opponent: rating(1550, 100), score: 0 },
        { opponent: rating(1700, 300), score: 0 },
      ]);
      assertClose(updated.rating, 1464.06, 0.01, 'rating');
      assertClose(updated.deviation, 151.52, 0.01, 'deviation');
      assertClose(updated.volatility, 0.05999, 0.00001, 'volatility');
    });

    it('does not depend on the order of the games', () => {
      const games = [
        { opponent: rating(1400, 30), score: 1 as const },
        { opponent: rating(1550, 100), score: 0 as const },
        { opponent: rating(1700, 300), score: 0.5 as const },
      ];
      const a = updateRating(rating(1500, 200), games);
      const b = updateRating(rating(1500, 200), games.slice().reverse());
      assertClose(a.rating, b.rating, 1e-9, 'rating');
      assertClose(a.deviation, b.deviation, 1e-9, 'deviation');
    });

    it('only grows the deviation (step 6) when there are no games', () => {
      const updated = updateRating(rating(1500, 200), []);
      assert.equal(updated.rating, 1500);
      assert.equal(updated.volatility, 0.06);
      // phi* = sqrt((200/173.7178)^2 + 0.06^2) → 200.2714 on the Glicko scale
      assertClose(updated.deviation, 200.2714, 0.0001, 'deviation');
    });

    it('moves a rating up on a win and down on a loss against an equal opponent', () => {
      const up = updateRating(rating(1500, 100), [{ opponent: rating(1500, 100), score: 1 }]);
      const down = updateRating(rating(1500, 100), [{ opponent: rating(1500, 100), score: 0 }]);
      const draw = updateRating(rating(1500, 100), [{ opponent: rating(1500, 100), score: 0.5 }]);
      assert.ok(up.rating > 1500);
      assert.ok(down.rating < 1500);
      assertClose(up.rating - 1500, 1500 - down.rating, 1e-9, 'symmetry');
      assertClose(draw.rating, 1500, 1e-9, 'draw');
      assert.ok(draw.deviation < 100);
    });

    it('raises volatility after a big upset and lowers it after expected results', () => {
      const upset = updateRating(rating(1500, 50), Array.from({ length: 10 }, () => ({ opponent: rating(2200, 50), score: 1 as const })));
      assertClose(upset.volatility, 0.061296, 0.000001, 'upset volatility');
      assertClose(upset.rating, 1643.67, 0.01, 'upset rating');
      const steady = updateRating(rating(1500, 50), Array.from({ length: 10 }, () => ({ opponent: rating(1500, 50), score: 0.5 as const })));
      assertClose(steady.volatility, 0.059973, 0.000001, 'steady volatility');
      assert.equal(steady.rating, 1500);
    });

    it('keeps the deviation at the 30 floor for a very active, settled player', () => {
      const games = Array.from({ length: 40 }, (_, i) => ({ opponent: rating(1500 + (i % 5) * 20, 30), score: 0.5 as const }));
      const updated = updateRating(rating(1500, 30), games);
      assert.equal(updated.deviation, GLICKO2.minDeviation);
    });

    it('never returns a deviation above 350', () => {
      const updated = updateRating(rating(1500, 350, 0.5), []);
      assert.equal(updated.deviation, GLICKO2.maxDeviation);
    });

    it('rejects invalid ratings and scores', () => {
      assert.throws(() => updateRating(rating(Number.NaN, 200), []), RangeError);
      assert.throws(() => updateRating(rating(1500, 0), []), RangeError);
      assert.throws(() => updateRating(rating(1500, 200, 0), []), RangeError);
      assert.throws(() => updateRating(rating(1500, 200), [{ opponent: rating(1500, -1), score: 1 }]), RangeError);
      assert.throws(() => updateRating(rating(1500, 200), [{ opponent: rating(1500, 200), score: 2 as unknown as 1 }]), RangeError);
    });
  });

  describe('decayDeviation', () => {
    it('applies step 6 once per period', () => {
      const start = rating(1500, 50);
      let expected = start;
      for (let i = 0; i < 7; i++) expected = updateRating(expected, []);
      const decayed = decayDeviation(start, 7);
      assertClose(decayed.deviation, expected.deviation, 1e-9, 'deviation');
      // phi_n^2 = phi_0^2 + n * sigma^2 → 50 → sqrt(50^2 + 7 * (0.06 * 173.7178)^2) ≈ 57.10
      assertClose(decayed.deviation, Math.sqrt(50 ** 2 + 7 * (0.06 * 173.7178) ** 2), 1e-6, 'closed form');
      assertClose(decayed.deviation, 57.10, 0.01, 'deviation value');
      assert.equal(decayed.rating, 1500);
      assert.equal(decayed.volatility, 0.06);
    });

    it('returns the same rating for zero periods', () => {
      assert.deepEqual(decayDeviation(rating(1620, 80, 0.07), 0), rating(1620, 80, 0.07));
    });

    it('caps the deviation at 350 after a long absence', () => {
      assert.equal(decayDeviation(rating(1800, 60), 10_000).deviation, 350);
      assert.equal(decayDeviation(rating(1800, 350), 1).deviation, 350);
      assert.equal(decayDeviation(rating(1800, 350, 0.9), 1).deviation, 350);
    });

    it('rejects negative or fractional periods', () => {
      assert.throws(() => decayDeviation(rating(1500, 100), -1), RangeError);
      assert.throws(() => decayDeviation(rating(1500, 100), 1.5), RangeError);
    });
  });

  describe('pairwiseGames', () => {
    it('turns placements into a win/loss/draw against every other player', () => {
      const ra = rating(1500, 100), rb = rating(1600, 90), rc = rating(1400, 80);
      const games = pairwiseGames([
        { id: 'a', placement: 1, rating: ra },
        { id: 'b', placement: 1, rating: rb },
        { id: 'c', placement: 3, rating: rc },
      ]);
      assert.deepEqual(games.get('a'), [{ opponent: rb, score: 0.5 }, { opponent: rc, score: 1 }]);
      assert.deepEqual(games.get('b'), [{ opponent: ra, score: 0.5 }, { opponent: rc, score: 1 }]);
      assert.deepEqual(games.get('c'), [{ opponent: ra, score: 0 }, { opponent: rb, score: 0 }]);
    });

    it('rejects duplicate ids and bad placements', () => {
      const r = initialRating();
      assert.throws(() => pairwiseGames([{ id: 'a', placement: 1, rating: r }, { id: 'a', placement: 2, rating: r }]), RangeError);
      assert.throws(() => pairwiseGames([{ id: 'a', placement: 0, rating: r }]), RangeError);
    });
  });

  describe('rateBattle', () => {
    it('rates a 4-player battle: winner gains, last loses, changes sum to about zero', () => {
      const start = rating(1500, 100);
      const result = rateBattle(['w', 'x', 'y', 'l'].map((id, i) => ({ id, placement: i + 1, rating: start })));
      const change = (id: string) => result.get(id)!.rating - 1500;
      assert.ok(change('w') > 0, `winner change ${change('w')}`);
      assert.ok(change('l') < 0, `last change ${change('l')}`);
      assert.ok(change('w') > change('x') && change('x') > change('y') && change('y') > change('l'));
      assertClose(change('w'), 67.74, 0.01, 'winner gain');
      assertClose(change('x'), 22.58, 0.01, 'second gain');
      assertClose(change('w') + change('x') + change('y') + change('l'), 0, 1e-6, 'sum');
    });

    it('sums to roughly zero for different ratings with equal deviations', () => {
      const players = [
        { id: 'a', placement: 2, rating: rating(1650, 80) },
        { id: 'b', placement: 1, rating: rating(1500, 80) },
        { id: 'c', placement: 4, rating: rating(1450, 80) },
        { id: 'd', placement: 3, rating: rating(1380, 80) },
      ];
      const result = rateBattle(players);
      const sum = players.reduce((s, p) => s + result.get(p.id)!.rating - p.rating.rating, 0);
      assert.ok(Math.abs(sum) < 2, `sum of changes ${sum}`);
      assert.ok(result.get('b')!.rating > 1500);
      assert.ok(result.get('c')!.rating < 1450);
    });

    it('updates everyone from pre-battle ratings, so input order does not matter', () => {
      const players = [
        { id: 'a', placement: 1, rating: rating(1400, 200) },
        { id: 'b', placement: 2, rating: rating(1700, 60) },
        { id: 'c', placement: 2, rating: rating(1550, 120) },
      ];
      const forward = rateBattle(players);
      const backward = rateBattle(players.slice().reverse());
      for (const p of players) {
        const expected = updateRating(p.rating, pairwiseGames(players).get(p.id)!);
        assert.deepEqual(forward.get(p.id), expected);
        assertClose(backward.get(p.id)!.rating, expected.rating, 1e-9, `${p.id} rating`);
      }
      assert.deepEqual(players[0].rating, rating(1400, 200)); // inputs untouched
    });

    it('gives tied players the same draw-based change', () => {
      const r = initialRating();
      const result = rateBattle([{ id: 'a', placement: 1, rating: r }, { id: 'b', placement: 1, rating: r }]);
      assert.equal(result.get('a')!.rating, 1500);
      assert.equal(result.get('b')!.rating, 1500);
      assert.ok(result.get('a')!.deviation < 350);
    });
  });
});
