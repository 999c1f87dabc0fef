import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';
import { DomainError, ERROR_CODES, type ErrorCode } from '../errors';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';

/** The contract's error body. */
export function errorBody(code: ErrorCode | string, message: string, details?: unknown) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** Turns zod issues into field-level details clients can show next to inputs. */
export function validationDetails(error: z.ZodError) {
  return { fields: error.issues.map((i) => ({ path: i.path.join('.') || '(body)', message: i.message })) };
}

/** Parses `input` with `schema` or throws VALIDATION_FAILED naming each bad field. */
export function parseOr400<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw new DomainError('VALIDATION_FAILED', 'The request is not valid: ' + result.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '), validationDetails(result.error));
  return result.data;
}

/** 404 for any path no router answered, in the contract's shape. */
export const notFound: RequestHandler = (req, res) => {
  res.status(404).json(errorBody('NOT_FOUND', `No route for ${req.method} ${req.path}.`));
};

/**
 * The one place where errors become HTTP statuses: domain errors by their code, body-parser failures by
 * kind; anything else is a 500 that is logged and never leaks its message.
 */
export function errorHandler(logger: Logger, metrics: Metrics): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let status: number;
    let body: ReturnType<typeof errorBody>;
    if (err instanceof DomainError) {
      status = err.status;
      const { retryAfterMs, ...rest } = (err.details ?? {}) as { retryAfterMs?: number };
      if (typeof retryAfterMs === 'number') res.setHeader('Retry-After', String(Math.ceil(retryAfterMs / 1000)));
      body = errorBody(err.code, err.message, Object.keys(rest).length ? rest : undefined);
    } else if (err?.type === 'entity.parse.failed') {
      status = 400;
      body = errorBody('INVALID_JSON', ERROR_CODES.INVALID_JSON.message);
    } else if (err?.type === 'entity.too.large') {
      status = 413;
      body = errorBody('PAYLOAD_TOO_LARGE', ERROR_CODES.PAYLOAD_TOO_LARGE.message);
    } else if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500) {
      status = err.status;
      body = errorBody('VALIDATION_FAILED', 'The request could not be read.');
    } else {
      status = 500;
      logger.error({ err, method: req.method, path: req.path }, 'unhandled HTTP error');
      body = errorBody('INTERNAL', ERROR_CODES.INTERNAL.message);
    }
    metrics.countError('http', body.error.code);
    if (res.headersSent) return;
    res.status(status).json(body);
  };
}
