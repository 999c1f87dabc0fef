import { Router } from 'express';
import { z } from 'zod';
import type { Services } from '../services';
import { principalOf, requireAuth } from './auth';
import { parseOr400 } from './errors';

const RatingsQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(50) });

/** The caller's ratings: overall, per subject, and the history of changes. */
export function ratingsRouter(s: Services): Router {
  const r = Router();

  r.get('/me/ratings', requireAuth(s.tokens), async (req, res) => {
    const q = parseOr400(RatingsQuery, req.query);
    res.json(await s.ratings.myRatings(principalOf(res).userId, q.limit));
  });

  return r;
}
