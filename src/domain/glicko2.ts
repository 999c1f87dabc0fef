/**
 * Glicko-2 skill rating, following Mark Glickman, "Example of the Glicko-2 system" (2013, rev. 2022).
 * Step numbers in comments refer to that paper. Pure: one call is one rating period.
 */

/**
 * Glicko-2 constants.
 * - defaultRating / defaultDeviation / defaultVolatility: a new player's rating, the paper's suggested start.
 * - tau: constrains how fast volatility changes; the paper suggests 0.3–1.2, 0.5 is its example value.
 * - epsilon: convergence tolerance of the volatility iteration (step 5), as in the paper.
 * - scale: conversion factor between the Glicko scale and the Glicko-2 scale (step 2).
 * - maxDeviation: an unknown player's uncertainty; inactivity never makes a player more unknown than new.
 * - minDeviation: NOT part of Glicko-2 — our choice. Without a floor a very active player's deviation shrinks
 *   until results barely move the rating; children improve quickly, so ratings must stay responsive.
 */
export const GLICKO2 = {
  defaultRating: 1500,
  defaultDeviation: 350,
  defaultVolatility: 0.06,
  tau: 0.5,
  epsilon: 0.000001,
  scale: 173.7178,
  maxDeviation: 350,
  minDeviation: 30,
} as const;

export interface Rating {
  rating: number;
  deviation: number;
  volatility: number;
}

export type GameScore = 0 | 0.5 | 1;

export interface Game {
  opponent: Rating;
  score: GameScore;
}

export interface BattlePlayer {
  id: string;
  placement: number;
  rating: Rating;
}

/** A new player's rating, so callers never spell out the defaults themselves. */
export function initialRating(): Rating {
  return { rating: GLICKO2.defaultRating, deviation: GLICKO2.defaultDeviation, volatility: GLICKO2.defaultVolatility };
}

function assertRating(r: Rating, what: string): void {
  if (!Number.isFinite(r.rating)) throw new RangeError(`${what}: rating must be finite, got ${r.rating}`);
  if (!Number.isFinite(r.deviation) || r.deviation <= 0) throw new RangeError(`${what}: deviation must be positive, got ${r.deviation}`);
  if (!Number.isFinite(r.volatility) || r.volatility <= 0) throw new RangeError(`${what}: volatility must be positive, got ${r.volatility}`);
}

function clampDeviation(rd: number): number {
  return Math.min(GLICKO2.maxDeviation, Math.max(GLICKO2.minDeviation, rd));
}

// Step 3/4 helpers.
function g(phi: number): number {
  return 1 / Math.sqrt(1 + (3 * phi * phi) / (Math.PI * Math.PI));
}

function expected(mu: number, muJ: number, phiJ: number): number {
  return 1 / (1 + Math.exp(-g(phiJ) * (mu - muJ)));
}

/** Step 5: the new volatility by the Illinois algorithm, the paper's root finder (robust where Newton diverges). */
function newVolatility(phi: number, sigma: number, v: number, delta: number): number {
  const { tau, epsilon } = GLICKO2;
  const a = Math.log(sigma * sigma);
  const phi2 = phi * phi;
  const delta2 = delta * delta;
  const f = (x: number): number => {
    const ex = Math.exp(x);
    return (ex * (delta2 - phi2 - v - ex)) / (2 * (phi2 + v + ex) ** 2) - (x - a) / (tau * tau);
  };

  let A = a;
  let B: number;
  if (delta2 > phi2 + v) {
    B = Math.log(delta2 - phi2 - v);
  } else {
    let k = 1;
    while (f(a - k * tau) < 0) k++;
    B = a - k * tau;
  }

  let fA = f(A);
  let fB = f(B);
  while (Math.abs(B - A) > epsilon) {
    const C = A + ((A - B) * fA) / (fB - fA);
    const fC = f(C);
    if (fC * fB <= 0) {
      A = B;
      fA = fB;
    } else {
      fA = fA / 2;
    }
    B = C;
    fB = fC;
  }
  return Math.exp(A / 2);
}

/** Grows the deviation for one period without games (step 6): an idle player's skill becomes less certain. */
function idlePeriod(r: Rating): Rating {
  const phi = r.deviation / GLICKO2.scale;
  const phiStar = Math.sqrt(phi * phi + r.volatility * r.volatility);
  return { rating: r.rating, deviation: clampDeviation(phiStar * GLICKO2.scale), volatility: r.volatility };
}

/** One Glicko-2 rating period; ratings must be updated from everyone's pre-period values (see rateBattle). */
export function updateRating(player: Rating, games: ReadonlyArray<Game>): Rating {
  assertRating(player, 'player');
  if (games.length === 0) return idlePeriod(player);

  // Step 2: to the Glicko-2 scale.
  const { scale } = GLICKO2;
  const mu = (player.rating - GLICKO2.defaultRating) / scale;
  const phi = player.deviation / scale;

  // Steps 3 and 4: estimated variance v and improvement delta.
  let invV = 0;
  let sum = 0;
  for (const game of games) {
    assertRating(game.opponent, 'opponent');
    if (game.score !== 0 && game.score !== 0.5 && game.score !== 1) throw new RangeError(`score must be 0, 0.5 or 1, got ${game.score}`);
    const muJ = (game.opponent.rating - GLICKO2.defaultRating) / scale;
    const phiJ = game.opponent.deviation / scale;
    const gJ = g(phiJ);
    const e = expected(mu, muJ, phiJ);
    invV += gJ * gJ * e * (1 - e);
    sum += gJ * (game.score - e);
  }
  const v = 1 / invV;
  const delta = v * sum;

  // Step 5: new volatility.
  const sigmaPrime = newVolatility(phi, player.volatility, v, delta);

  // Steps 6 and 7: new deviation and rating.
  const phiStar = Math.sqrt(phi * phi + sigmaPrime * sigmaPrime);
  const phiPrime = 1 / Math.sqrt(1 / (phiStar * phiStar) + 1 / v);
  const muPrime = mu + phiPrime * phiPrime * sum;

  // Step 8: back to the Glicko scale.
  return {
    rating: scale * muPrime + GLICKO2.defaultRating,
    deviation: clampDeviation(scale * phiPrime),
    volatility: sigmaPrime,
  };
}

/** Applies `periods` idle rating periods at once, e.g. when a player returns after a break. */
export function decayDeviation(player: Rating, periods: number): Rating {
  assertRating(player, 'player');
  if (!Number.isInteger(periods) || periods < 0) throw new RangeError(`periods must be a non-negative integer, got ${periods}`);
  let r: Rating = { ...player };
  for (let i = 0; i < periods && r.deviation < GLICKO2.maxDeviation; i++) r = idlePeriod(r);
  return r;
}

function checkBattle(players: ReadonlyArray<BattlePlayer>): void {
  const ids = new Set<string>();
  for (const p of players) {
    if (ids.has(p.id)) throw new RangeError(`duplicate player id ${p.id}`);
    ids.add(p.id);
    if (!Number.isInteger(p.placement) || p.placement < 1) throw new RangeError(`placement must be a positive integer, got ${p.placement}`);
    assertRating(p.rating, p.id);
  }
}

/** Splits a multi-player battle into pairwise games, the usual way to rate free-for-all results with Glicko. */
export function pairwiseGames(placements: ReadonlyArray<BattlePlayer>): Map<string, Game[]> {
  checkBattle(placements);
  const out = new Map<string, Game[]>();
  for (const me of placements) {
    const games: Game[] = [];
    for (const other of placements) {
      if (other === me) continue;
      const score: GameScore = me.placement < other.placement ? 1 : me.placement === other.placement ? 0.5 : 0;
      games.push({ opponent: other.rating, score });
    }
    out.set(me.id, games);
  }
  return out;
}

/** Rates a whole battle from pre-battle ratings only, so the order players are processed in cannot matter. */
export function rateBattle(players: ReadonlyArray<BattlePlayer>): Map<string, Rating> {
  const games = pairwiseGames(players);
  const out = new Map<string, Rating>();
  for (const p of players) out.set(p.id, updateRating(p.rating, games.get(p.id) ?? []));
  return out;
}
