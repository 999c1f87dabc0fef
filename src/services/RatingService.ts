import type { DataSource } from 'typeorm';
import { DomainError } from '../errors';
import type { Rating } from '../domain/glicko2';
import type { Subject } from '../domain/questionPack';
import { decayedRating } from '../domain/ratingPeriods';
import { isSubject, shownRating } from '../domain/settlement';
import type { RatingScope } from '../persistence/entities';

/** A rating as the matchmaker uses it: Glicko-2 scale, unrounded, deviation decayed up to now. */
export interface RatingEstimate {
  rating: number;
  deviation: number;
}

/** One line of the rating history (GET /me/ratings). */
export interface RatingHistoryItem {
  scope: RatingScope;
  battleId: string;
  before: number;
  after: number;
  delta: number;
  at: string;
}

/** GET /me/ratings. Deviations include inactivity decay up to now (computed, not stored). */
export interface RatingsView {
  overall: { value: number; deviation: number };
  subjects: Partial<Record<Subject, { value: number; deviation: number; battles: number }>>;
  history: RatingHistoryItem[];
}

interface RatingRow {
  id: string;
  rating: number;
  rating_deviation: number;
  rating_volatility: number;
  rated_at: Date | null;
  s_rating: number | null;
  s_deviation: number | null;
  s_volatility: number | null;
  s_rated_at: Date | null;
}

const HISTORY_LIMIT_MAX = 100;

/**
 * Reads ratings: a player's overall and per-subject ratings with their history, and the ratings the
 * matchmaker pairs by. Writing ratings is BattleService.finish's job (one transaction per battle).
 * "Now" is the injected service clock: stored ratings decay from their rated_at (a battle's end) to now.
 */
export class RatingService {
  constructor(private readonly db: DataSource, private readonly now: () => Date) {}

  /** The rating to pair `userId` by for a battle in `subject`: their subject rating when they have one, else overall. */
  async ratingFor(userId: string, subject: Subject | 'mixed'): Promise<RatingEstimate> {
    const found = (await this.ratingsFor([userId], subject)).get(userId);
    if (!found) throw new DomainError('USER_NOT_FOUND');
    return found;
  }

  /** ratingFor for many users in one query; unknown ids are absent from the map. */
  async ratingsFor(userIds: readonly string[], subject: Subject | 'mixed'): Promise<Map<string, RatingEstimate>> {
    if (subject !== 'mixed' && !isSubject(subject)) throw new DomainError('VALIDATION_FAILED', `subject must be one of math, science, language, geography or mixed, got ${String(subject)}`);
    if (userIds.length === 0) return new Map();
    const rows: RatingRow[] = await this.db.query(
      `SELECT u."id", u."rating", u."rating_deviation", u."rating_volatility", u."rated_at",
              s."rating" AS s_rating, s."deviation" AS s_deviation, s."volatility" AS s_volatility, s."rated_at" AS s_rated_at
         FROM "users" u LEFT JOIN "subject_ratings" s ON s."user_id" = u."id" AND s."subject" = $2
        WHERE u."id" = ANY($1::uuid[])`, [[...new Set(userIds)], subject]);
    const now = this.now();
    return new Map(rows.map((r) => {
      const current = r.s_rating !== null ? this.subjectDecayed(r, now) : this.overallDecayed(r, now);
      return [r.id, { rating: current.rating, deviation: current.deviation }];
    }));
  }

  /** A user's overall and subject ratings (rounded as shown) and their newest `limit` (1..100) rating changes. */
  async myRatings(userId: string, limit = 50): Promise<RatingsView> {
    if (!Number.isInteger(limit) || limit < 1 || limit > HISTORY_LIMIT_MAX) {
      throw new DomainError('VALIDATION_FAILED', `limit must be an integer from 1 to ${HISTORY_LIMIT_MAX}, got ${limit}`);
    }
    const now = this.now();
    const [user]: RatingRow[] = await this.db.query(
      `SELECT "id", "rating", "rating_deviation", "rating_volatility", "rated_at" FROM "users" WHERE "id" = $1`, [userId]);
    if (!user) throw new DomainError('USER_NOT_FOUND');
    const subjects: Array<{ subject: Subject; rating: number; deviation: number; volatility: number; rated_at: Date; battles: number }> = await this.db.query(
      `SELECT "subject", "rating", "deviation", "volatility", "rated_at", "battles" FROM "subject_ratings" WHERE "user_id" = $1 ORDER BY "subject"`, [userId]);
    const history: Array<{ scope: RatingScope; battle_id: string; rating_before: number; rating_after: number; created_at: Date }> = await this.db.query(
      `SELECT "scope", "battle_id", "rating_before", "rating_after", "created_at" FROM "rating_history" WHERE "user_id" = $1
        ORDER BY "created_at" DESC, "battle_id" DESC, ("scope" = 'overall') DESC, "scope" LIMIT $2`, [userId, limit]);

    const overall = this.overallDecayed(user, now);
    const view: RatingsView = { overall: { value: shownRating(overall.rating), deviation: Math.round(overall.deviation) }, subjects: {}, history: [] };
    for (const s of subjects) {
      const r = decayedRating({ rating: s.rating, deviation: s.deviation, volatility: s.volatility }, new Date(s.rated_at), now);
      view.subjects[s.subject] = { value: shownRating(r.rating), deviation: Math.round(r.deviation), battles: s.battles };
    }
    view.history = history.map((h) => {
      const before = shownRating(h.rating_before);
      const after = shownRating(h.rating_after);
      return { scope: h.scope, battleId: h.battle_id, before, after, delta: after - before, at: new Date(h.created_at).toISOString() };
    });
    return view;
  }

  private overallDecayed(r: RatingRow, now: Date): Rating {
    return decayedRating({ rating: r.rating, deviation: r.rating_deviation, volatility: r.rating_volatility }, r.rated_at ? new Date(r.rated_at) : null, now);
  }

  private subjectDecayed(r: RatingRow, now: Date): Rating {
    return decayedRating({ rating: r.s_rating!, deviation: r.s_deviation!, volatility: r.s_volatility! }, new Date(r.s_rated_at!), now);
  }
}
