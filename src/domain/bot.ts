import type { Rng } from './random';

/**
 * The practice bot: a server-side opponent for a child nobody suitable is queued against. It plays like a
 * child of the same strength: its accuracy follows the player's rating (the Glicko-2 expected score of an
 * equal opponent is 50 %; a quiz "accuracy" of ~65 % at 1500 feels even to children in playtests of quiz
 * games), and it answers at a human pace, slower when it is less sure.
 */
export const BOT = {
  /** Accuracy at rating 1500. */
  baseAccuracy: 0.65,
  /** How much accuracy moves per 400 rating points (logistic slope). */
  accuracySpread: 0.25,
  minAccuracy: 0.3,
  maxAccuracy: 0.92,
  /** Fastest and slowest answer, as fractions of the question time. */
  fastestFraction: 0.15,
  slowestFraction: 0.75,
} as const;

/** Names shown for bots (always marked as bots to the child). */
export const BOT_NAMES = ['Professor Owl', 'Robo Fox', 'Captain Quiz', 'Dr. Panda', 'Sparky'] as const;

/** How often a bot facing a player of `rating` answers correctly. */
export function botAccuracy(rating: number): number {
  const logistic = 1 / (1 + Math.exp(-(rating - 1500) / 400));
  const accuracy = BOT.baseAccuracy + BOT.accuracySpread * 2 * (logistic - 0.5);
  return Math.min(BOT.maxAccuracy, Math.max(BOT.minAccuracy, accuracy));
}

/** The bot's answer to one question: which choice, and after how long. Deterministic for the same rng state. */
export function botAnswer(input: { rating: number; choices: number; correctChoice: number; questionMs: number }, rng: Rng): { choice: number; delayMs: number } {
  const accuracy = botAccuracy(input.rating);
  const correct = rng.next() < accuracy;
  let choice = input.correctChoice;
  if (!correct && input.choices > 1) {
    const wrong = rng.int(0, input.choices - 2);
    choice = wrong >= input.correctChoice ? wrong + 1 : wrong;
  }
  // Less sure means slower: the spread of answer times shifts later as accuracy drops.
  const span = BOT.slowestFraction - BOT.fastestFraction;
  const fraction = BOT.fastestFraction + span * (0.5 * rng.next() + 0.5 * (1 - accuracy));
  return { choice, delayMs: Math.round(fraction * input.questionMs) };
}
