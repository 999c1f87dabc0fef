import { Router } from 'express';
import { z } from 'zod';
import type { Services } from '../services';
import { principalOf, requireAuth } from './auth';
import { parseOr400 } from './errors';

const HistoryQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(50).default(20),
  before: z.iso.datetime({ offset: true }).optional(),
});
const BattleParams = z.object({ id: z.uuid() });

/** A player's battle history and the detail of one battle (players and their linked parents only). */
export function battlesRouter(s: Services): Router {
  const r = Router();
  const auth = requireAuth(s.tokens);

  r.get('/me/battles', auth, async (req, res) => {
    const q = parseOr400(HistoryQuery, req.query);
    res.json(await s.battles.history(principalOf(res).userId, { limit: q.limit, before: q.before }));
  });

  r.get('/battles/:id', auth, async (req, res) => {
    const { id } = parseOr400(BattleParams, req.params);
    res.json(await s.battles.get(id, principalOf(res)));
  });

  return r;
}
