import { timingSafeEqual, createHash } from 'node:crypto';
import express, { type Application, type RequestHandler } from 'express';
import { monitor } from '@colyseus/monitor';
import type { Services } from '../services';
import { accountsRouter } from './accounts.routes';
import { battlesRouter } from './battles.routes';
import { errorBody, errorHandler, notFound } from './errors';
import { leaderboardsRouter } from './leaderboards.routes';
import { opsRouter } from './ops.routes';
import { parentsRouter } from './parents.routes';
import { ratingsRouter } from './ratings.routes';

/** Records latency per matched route (never per raw path, which would explode label cardinality). */
function httpMetrics(s: Services): RequestHandler {
  return (req, res, next) => {
    const end = s.metrics.httpDuration.startTimer();
    res.on('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}

function sameSecret(a: string, b: string): boolean {
  // Compare digests so that length differences do not short-circuit.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** HTTP Basic auth for the monitor: user `admin`, password MONITOR_PASSWORD. */
export function monitorAuth(password: string): RequestHandler {
  return (req, res, next) => {
    const header = req.headers.authorization ?? '';
    const [scheme, encoded] = header.split(' ');
    if (scheme === 'Basic' && encoded) {
      const decoded = Buffer.from(encoded, 'base64').toString('utf8');
      const sep = decoded.indexOf(':');
      if (sep > 0 && sameSecret(decoded.slice(0, sep), 'admin') && sameSecret(decoded.slice(sep + 1), password)) return next();
    }
    res.setHeader('WWW-Authenticate', 'Basic realm="Quest Arena monitor", charset="UTF-8"');
    res.status(401).json(errorBody('UNAUTHENTICATED', 'Monitor credentials required.'));
  };
}

/** Mounts every HTTP route on the app Colyseus serves (one port for HTTP and WebSocket). */
export function mountHttp(app: Application, s: Services): void {
  app.disable('x-powered-by');
  app.use(httpMetrics(s));
  const json = express.json({ limit: s.config.httpBodyLimitBytes, type: () => true, strict: true });
  if (s.config.monitorPassword) {
    app.use('/colyseus', monitorAuth(s.config.monitorPassword), monitor());
  }
  app.use(opsRouter(s));
  app.use(accountsRouter(s, json));
  app.use(parentsRouter(s, json));
  app.use(battlesRouter(s));
  app.use(ratingsRouter(s));
  app.use(leaderboardsRouter(s));
  app.use(notFound);
  app.use(errorHandler(s.logger, s.metrics));
}
