import { Router } from 'express';
import { z } from 'zod';
import type { Services } from '../services';
import { MAX_BOARD_LIMIT } from '../services/LeaderboardService';
import { principalOf, requireAuth } from './auth';
import { parseOr400 } from './errors';

const BoardParams = z.object({ board: z.string().max(64) });
const BoardQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(MAX_BOARD_LIMIT).default(10),
  around: z.literal('me').optional(),
});

/**
 * Leaderboards, for any signed-in user (parents included). Not public: boards list children's usernames,
 * and the contract asks for a token everywhere but register, login and health. `around=me` is about the
 * caller, who must be a student (the only ones on boards).
 */
export function leaderboardsRouter(s: Services): Router {
  const r = Router();

  r.get('/leaderboards/:board', requireAuth(s.tokens), async (req, res) => {
    const { board } = parseOr400(BoardParams, req.params);
    s.leaderboards.spec(board); // an unknown board is a 404 whatever the query says
    const q = parseOr400(BoardQuery, req.query);
    res.json(q.around === 'me'
      ? await s.leaderboards.around(board, principalOf(res).userId, q.limit)
      : await s.leaderboards.top(board, q.limit));
  });

  return r;
}
