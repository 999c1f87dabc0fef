import type { RequestHandler, Response } from 'express';
import { getBearerToken } from '@colyseus/core';
import type { Principal, TokenService } from '../auth/tokens';
import type { Role } from '../persistence/entities';

/** Middleware: a valid bearer token (optionally of given roles) or 401/403 via the error handler. */
export function requireAuth(tokens: TokenService, roles?: readonly Role[]): RequestHandler {
  return (req, res, next) => {
    res.locals.principal = tokens.verify(getBearerToken(req.headers.authorization ?? ""), roles);
    next();
  };
}

/** The principal requireAuth put on the response. */
export function principalOf(res: Response): Principal {
  const p = res.locals.principal as Principal | undefined;
  if (!p) throw new Error('principalOf used on a route without requireAuth');
  return p;
}
