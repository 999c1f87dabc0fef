/**
 * Settling a finished battle: who won, what each human earns, how ratings move and which levels are
 * reached. Pure: BattleService reads the players' current profiles, calls `settleBattle`, and stores the
 * outcome in one transaction, so the same record and profiles always settle the same way.
 */
import type { BattleRecord, ParticipantResult, Standing } from './battleRecord';
import { initialRating, rateBattle, type Rating } from './glicko2';
import { levelForXp, levelsGained } from './levels';
import { SUBJECTS, type Subject } from './questionPack';
import { decayedRating } from './ratingPeriods';
import { computeRewards, type Rewards } from './rewards';

/** What a bot shows as its rating in standings: bots are not rated, so before = after and delta is 0. */
export const BOT_SHOWN_RATING = 0;

/** A human player's profile just before the battle is applied (read under a row lock). */
export interface PlayerProfile {
  /** The overall rating as stored (before inactivity decay). */
  rating: Rating;
  xp: number;
  /** When the overall rating last moved; null (or absent) when it never did, so nothing decays. */
  ratedAt?: Date | null;
  /**
   * The stored rating in the battle's subject, with when it last moved; null (or absent) when the player
   * has no rated battle in that subject yet, so it starts from the Glicko-2 defaults.
   */
  subjectRating?: { rating: Rating; ratedAt: Date } | null;
}

/** The outcome for one human participant. */
export interface PlayerSettlement {
  participant: ParticipantResult;
  /** Sole first place (a tie for first has no winner). */
  won: boolean;
  rewards: Rewards;
  /** The overall rating the battle used: the stored one, its deviation grown for idle periods when rated. */
  ratingBefore: Rating;
  ratingAfter: Rating;
  /** The subject rating before (decayed, or the defaults for a first battle) and after; null when it does not move. */
  subjectBefore: Rating | null;
  subjectAfter: Rating | null;
  xpBefore: number;
  xpAfter: number;
  levelAfter: number;
  /** Every level newly reached, one `level_up` notification each. */
  levelsGained: number[];
}

export interface BattleSettlement {
  /** The sole placement-1 participant (human or bot); '' when first place is shared (contract). */
  winnerUserId: string;
  /** Whether ratings actually move: a rated battle with at least two humans. */
  ratingsApplied: boolean;
  /** The subject whose ratings move as well: the battle's subject when ratings apply and it is not 'mixed'. */
  ratedSubject: Subject | null;
  players: PlayerSettlement[];
  bots: ParticipantResult[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a canonical textual UUID (what the database's uuid columns accept). */
export function isUuid(s: string): boolean {
  return UUID.test(s);
}

/**
 * Checks what persistence relies on and the engine could get wrong; throws RangeError naming every
 * problem, so a bad record fails before anything is written rather than as an obscure SQL error.
 */
export function checkBattleRecord(r: BattleRecord): void {
  const problems: string[] = [];
  if (!isUuid(r.battleId)) problems.push(`battleId must be a UUID, got ${JSON.stringify(r.battleId)}`);
  // 0 rounds is a real case: everyone but one player left during the countdown.
  if (!Number.isInteger(r.rounds) || r.rounds < 0) problems.push(`rounds must be a non-negative integer, got ${r.rounds}`);
  if (!Number.isInteger(r.questionMs) || r.questionMs < 1) problems.push(`questionMs must be a positive integer, got ${r.questionMs}`);
  if (!(r.startedAt instanceof Date) || Number.isNaN(r.startedAt.getTime())) problems.push('startedAt must be a valid Date');
  if (!(r.endedAt instanceof Date) || Number.isNaN(r.endedAt.getTime())) problems.push('endedAt must be a valid Date');
  else if (r.endedAt.getTime() < r.startedAt.getTime()) problems.push('endedAt is before startedAt');
  if (r.participants.length === 0) problems.push('a battle needs at least one participant');
  const ids = new Set<string>();
  for (const p of r.participants) {
    if (ids.has(p.userId)) problems.push(`participant ${p.userId} appears twice`);
    ids.add(p.userId);
    if (!p.isBot && !isUuid(p.userId)) problems.push(`human participant id must be a UUID, got ${JSON.stringify(p.userId)}`);
    if (p.isBot && (p.userId.length === 0 || p.userId.length > 64)) problems.push(`bot id must be 1–64 characters, got ${JSON.stringify(p.userId)}`);
    if (!Number.isInteger(p.placement) || p.placement < 1 || p.placement > r.participants.length) {
      problems.push(`placement of ${p.userId} must be in 1..${r.participants.length}, got ${p.placement}`);
    }
    if (!Number.isInteger(p.score)) problems.push(`score of ${p.userId} must be an integer, got ${p.score}`);
    if (!Number.isInteger(p.correctAnswers) || p.correctAnswers < 0 || p.correctAnswers > r.rounds) {
      problems.push(`correctAnswers of ${p.userId} must be in 0..${r.rounds}, got ${p.correctAnswers}`);
    }
  }
  const answered = new Set<string>();
  for (const a of r.answers) {
    if (!ids.has(a.userId)) problems.push(`answer of round ${a.round} by ${a.userId}, who is not a participant`);
    const key = `${a.round}\u0000${a.userId}`;
    if (answered.has(key)) problems.push(`${a.userId} answered round ${a.round} twice`);
    answered.add(key);
  }
  if (problems.length > 0) throw new RangeError(`invalid battle record ${r.battleId}: ${problems.join('; ')}`);
}

/** True for one of the four subjects (not 'mixed'): the subjects that have their own ratings and boards. */
export function isSubject(s: string): s is Subject {
  return (SUBJECTS as readonly string[]).includes(s);
}

/**
 * Settles a battle for its humans. `profiles` holds each human's current rating and XP; bots are carried
 * through untouched (never rated, never rewarded).
 *
 * When ratings apply, each rating first decays for the idle periods between its last change and the
 * battle's end (`record.endedAt`, not the wall clock: the same record always settles the same way, even
 * when storing it is retried later). A subject battle also rates the players' subject ratings, from the
 * same placements, independently of the overall ones.
 */
export function settleBattle(record: BattleRecord, profiles: ReadonlyMap<string, PlayerProfile>): BattleSettlement {
  checkBattleRecord(record);
  const humans = record.participants.filter((p) => !p.isBot);
  const bots = record.participants.filter((p) => p.isBot);
  for (const h of humans) if (!profiles.has(h.userId)) throw new RangeError(`no profile for participant ${h.userId}`);

  const first = record.participants.filter((p) => p.placement === 1);
  const winnerUserId = first.length === 1 ? first[0].userId : '';

  // Rated only against other humans: one human among bots has no one to be rated against, and rating an
  // empty period would only inflate their deviation.
  const ratingsApplied = record.rated && humans.length >= 2;
  const ratedSubject = ratingsApplied && isSubject(record.subject) ? record.subject : null;
  const at = record.endedAt;
  const overallBefore = new Map<string, Rating>(humans.map((h): [string, Rating] => {
    const p = profiles.get(h.userId)!;
    return [h.userId, ratingsApplied ? decayedRating(p.rating, p.ratedAt ?? null, at) : p.rating];
  }));
  const subjectBefore = new Map<string, Rating>(ratedSubject ? humans.map((h): [string, Rating] => {
    const s = profiles.get(h.userId)!.subjectRating;
    return [h.userId, s ? decayedRating(s.rating, s.ratedAt, at) : initialRating()];
  }) : []);
  const rated = ratingsApplied
    ? rateBattle(humans.map((h) => ({ id: h.userId, placement: h.placement, rating: overallBefore.get(h.userId)! })))
    : null;
  const ratedInSubject = ratedSubject
    ? rateBattle(humans.map((h) => ({ id: h.userId, placement: h.placement, rating: subjectBefore.get(h.userId)! })))
    : null;

  const players = humans.map((participant): PlayerSettlement => {
    const profile = profiles.get(participant.userId)!;
    const won = winnerUserId === participant.userId;
    const rewards = computeRewards({
      placement: participant.placement,
      playerCount: record.participants.length,
      correctAnswers: participant.correctAnswers,
      rounds: record.rounds,
      won,
      rated: record.rated,
      forfeited: participant.forfeited,
    });
    const xpAfter = profile.xp + rewards.xp;
    return {
      participant,
      won,
      rewards,
      ratingBefore: overallBefore.get(participant.userId)!,
      ratingAfter: rated?.get(participant.userId) ?? profile.rating,
      subjectBefore: subjectBefore.get(participant.userId) ?? null,
      subjectAfter: ratedInSubject?.get(participant.userId) ?? null,
      xpBefore: profile.xp,
      xpAfter,
      levelAfter: levelForXp(xpAfter),
      levelsGained: levelsGained(profile.xp, xpAfter),
    };
  });
  return { winnerUserId, ratingsApplied, ratedSubject, players, bots };
}

/** Standings in the order clients list them: by placement, then by id so ties have a stable order. */
export function sortStandings(standings: Standing[]): Standing[] {
  return standings.slice().sort((a, b) => a.placement - b.placement || (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
}

/** A rating as clients show it (whole points). */
export function shownRating(r: number): number {
  return Math.round(r);
}
