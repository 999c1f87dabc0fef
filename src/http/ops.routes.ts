import { Router } from 'express';
import { z } from 'zod';
import { DomainError } from '../errors';
import type { Services } from '../services';
import { parseOr400 } from './errors';

const CodeParams = z.object({ code: z.string().trim().regex(/^[A-Za-z0-9]{4,12}$/, 'code must be 4–12 letters and digits') });

/** Health, Prometheus metrics and the generic room-code lookup. */
export function opsRouter(s: Services): Router {
  const r = Router();

  r.get('/health', async (_req, res) => {
    try {
      await Promise.race([
        s.db.query('SELECT 1'),
        new Promise((_, reject) => setTimeout(() => reject(new Error('health check timed out')), 2000).unref()),
      ]);
      res.json({ status: 'ok', db: 'ok' });
    } catch (e) {
      s.logger.warn({ err: String(e) }, 'health check: database unreachable');
      res.status(503).json({ status: 'degraded', db: 'unreachable', error: { code: 'UNAVAILABLE', message: 'The database is unreachable.' } });
    }
  });

  r.get('/metrics', async (_req, res) => {
    const { contentType, body } = await s.metrics.render();
    res.setHeader('Content-Type', contentType);
    res.send(body);
  });

  r.get('/rooms/by-code/:code', async (req, res) => {
    const { code } = parseOr400(CodeParams, req.params);
    const room = await s.roomCodes.resolve(code);
    if (!room) throw new DomainError('ROOM_NOT_FOUND');
    res.json(room);
  });

  return r;
}
