/**
 * Battle rewards: XP and coins a player earns from one battle, itemised as ledger lines
 * so the client can show where every point came from and the ledger can be audited.
 */

/**
 * Reward constants.
 * - participationXp: every player gets something for playing, so losing still feels worthwhile.
 * - xpPerCorrectAnswer: learning is rewarded independently of beating other players.
 * - winXp / winCoins: bonus for the sole winner (a tie for first has no winner).
 * - placementCoins: coins by placement, index 0 = 1st; placements beyond the list get otherPlacementCoins.
 * - perfectXp / perfectCoins: for answering every round correctly, the goal we most want to encourage.
 * - unratedXpFactor: practice/unrated battles give this share of XP (each line rounded down) and no coins,
 *   so farming easy practice games is not worth more than playing real ones.
 */
export const REWARDS = {
  participationXp: 20,
  xpPerCorrectAnswer: 10,
  winXp: 50,
  winCoins: 20,
  placementCoins: [30, 20, 10] as readonly number[],
  otherPlacementCoins: 5,
  perfectXp: 25,
  perfectCoins: 10,
  unratedXpFactor: 0.5,
} as const;

export type RewardKind = 'participation' | 'correct_answers' | 'win' | 'placement' | 'perfect';

export interface RewardItem {
  kind: RewardKind;
  xp: number;
  coins: number;
}

export interface RewardInput {
  /** 1-based competition placement (ties share a placement). */
  placement: number;
  playerCount: number;
  correctAnswers: number;
  rounds: number;
  /** Sole first place; must imply placement 1. */
  won: boolean;
  /** False for practice/unrated battles. */
  rated: boolean;
  /** The player left and did not return: only participation and correct answers are paid. */
  forfeited?: boolean;
}

export interface Rewards {
  xp: number;
  coins: number;
  items: RewardItem[];
}

function assertNonNegInt(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${what} must be a non-negative integer, got ${n}`);
}

/** Coins for a placement; ties share a placement, so tied players get the same coins. */
function coinsForPlacement(placement: number): number {
  return REWARDS.placementCoins[placement - 1] ?? REWARDS.otherPlacementCoins;
}

/** Computes one player's battle rewards; lines that award nothing are left out, except participation. */
export function computeRewards(input: RewardInput): Rewards {
  const { placement, playerCount, correctAnswers, rounds, won, rated } = input;
  const forfeited = input.forfeited ?? false;
  assertNonNegInt(playerCount, 'playerCount');
  if (playerCount < 1) throw new RangeError('playerCount must be at least 1');
  if (!Number.isInteger(placement) || placement < 1 || placement > playerCount) {
    throw new RangeError(`placement must be an integer in [1, ${playerCount}], got ${placement}`);
  }
  assertNonNegInt(rounds, 'rounds');
  assertNonNegInt(correctAnswers, 'correctAnswers');
  if (correctAnswers > rounds) throw new RangeError(`correctAnswers (${correctAnswers}) exceeds rounds (${rounds})`);
  if (won && placement !== 1) throw new RangeError(`a winner must have placement 1, got ${placement}`);

  const xpOf = (xp: number): number => (rated ? xp : Math.floor(xp * REWARDS.unratedXpFactor));
  const coinsOf = (coins: number): number => (rated ? coins : 0);

  const lines: RewardItem[] = [
    { kind: 'participation', xp: xpOf(REWARDS.participationXp), coins: 0 },
    { kind: 'correct_answers', xp: xpOf(REWARDS.xpPerCorrectAnswer * correctAnswers), coins: 0 },
  ];
  // A forfeiter's placement is an artefact of leaving, so none of the result-based rewards apply.
  if (!forfeited) {
    if (won) lines.push({ kind: 'win', xp: xpOf(REWARDS.winXp), coins: coinsOf(REWARDS.winCoins) });
    lines.push({ kind: 'placement', xp: 0, coins: coinsOf(coinsForPlacement(placement)) });
    if (rounds > 0 && correctAnswers === rounds) {
      lines.push({ kind: 'perfect', xp: xpOf(REWARDS.perfectXp), coins: coinsOf(REWARDS.perfectCoins) });
    }
  }

  const items = lines.filter((l) => l.kind === 'participation' || l.xp > 0 || l.coins > 0);
  return {
    xp: items.reduce((s, l) => s + l.xp, 0),
    coins: items.reduce((s, l) => s + l.coins, 0),
    items,
  };
}
