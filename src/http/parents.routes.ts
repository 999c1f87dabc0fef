import express, { Router } from 'express';
import { z } from 'zod';
import { DomainError } from '../errors';
import type { Services } from '../services';
import { principalOf, requireAuth } from './auth';
import { parseOr400 } from './errors';

const LinkBody = z.strictObject({ code: z.string().trim().min(4).max(16).regex(/^[A-Za-z0-9]+$/, 'code must be letters and digits') });
const ChildParams = z.object({ childId: z.uuid() });

/** Parent monitoring: link a child with their code, list and read only one's own children. */
export function parentsRouter(s: Services, json: express.RequestHandler): Router {
  const r = Router();
  const parentOnly = requireAuth(s.tokens, ['parent']);

  r.post('/parent/children', parentOnly, json, async (req, res) => {
    const body = parseOr400(LinkBody, req.body);
    const parent = principalOf(res);
    res.status(201).json(await s.accounts.redeemLinkCode(parent, body.code));
  });

  r.get('/parent/children', parentOnly, async (_req, res) => {
    res.json(await s.accounts.listChildren(principalOf(res).userId));
  });

  r.get('/parent/children/:childId', parentOnly, async (req, res) => {
    const { childId } = parseOr400(ChildParams, req.params);
    const parent = principalOf(res);
    if (!(await s.accounts.isParentOf(parent.userId, childId))) throw new DomainError('FORBIDDEN', 'That child is not linked to your account.');
    const child = (await s.accounts.listChildren(parent.userId)).find((c) => c.id === childId);
    if (!child) throw new DomainError('USER_NOT_FOUND');
    res.json(child);
  });

  return r;
}
