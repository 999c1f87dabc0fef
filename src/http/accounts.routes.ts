import express, { Router } from 'express';
import { z } from 'zod';
import { DISPLAY_NAME, GRADE, PASSWORD, USERNAME } from '../domain/accounts';
import type { Services } from '../services';
import { principalOf, requireAuth } from './auth';
import { parseOr400 } from './errors';

const RegisterBody = z.strictObject({
  username: USERNAME,
  password: PASSWORD,
  role: z.enum(['student', 'parent']),
  displayName: DISPLAY_NAME.optional(),
  grade: GRADE.optional(),
}).refine((b) => b.grade === undefined || b.role === 'student', { path: ['grade'], message: 'grade is only for student accounts' });
const LoginBody = z.strictObject({ username: z.string().min(1).max(64), password: z.string().min(1).max(200) });
const NotificationsQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(50) });
const MarkReadBody = z.strictObject({ ids: z.array(z.uuid()).min(1).max(100) });

/** Register, login, /me and the student's link codes. */
export function accountsRouter(s: Services, json: express.RequestHandler): Router {
  const r = Router();
  const auth = requireAuth(s.tokens);

  r.post('/auth/register', json, async (req, res) => {
    const body = parseOr400(RegisterBody, req.body);
    res.status(201).json(await s.accounts.register(body));
  });

  r.post('/auth/login', json, async (req, res) => {
    const body = parseOr400(LoginBody, req.body);
    res.json(await s.accounts.login(body, req.ip ?? req.socket.remoteAddress ?? 'unknown'));
  });

  r.get('/me', auth, async (_req, res) => {
    res.json(await s.accounts.me(principalOf(res).userId));
  });

  r.post('/me/link-codes', requireAuth(s.tokens, ['student']), async (_req, res) => {
    res.status(201).json(await s.accounts.createLinkCode(principalOf(res).userId));
  });

  r.get('/me/notifications', auth, async (req, res) => {
    const q = parseOr400(NotificationsQuery, req.query);
    res.json({ items: await s.notifications.recent(principalOf(res).userId, q.limit) });
  });

  r.post('/me/notifications/read', auth, json, async (req, res) => {
    const body = parseOr400(MarkReadBody, req.body);
    res.json({ updated: (await s.notifications.markRead(principalOf(res).userId, body.ids)).length });
  });

  return r;
}
