import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { ErrorCode, matchMaker, ServerError } from '@colyseus/core';

/**
 * Colyseus answers a failed matchmaking request with its own codes (522 for both an unknown and a locked
 * room, a seat-reservation error for a full one). The contract promises 404 / 409 / 401: this is the one
 * place that translates, wrapping the matchmaking controller every transport goes through. It also refuses
 * (422) join options that are not a JSON object: a string or `null` reached the rooms and failed there as
 * a 500, a list was taken as options.
 */
export function mapMatchmakingErrors(): void {
  const controller = matchMaker.controller as typeof matchMaker.controller & { __arenaMapped?: boolean };
  if (controller.__arenaMapped) return;
  controller.__arenaMapped = true;
  const invoke = controller.invokeMethod.bind(controller);
  controller.invokeMethod = async (...args: Parameters<typeof invoke>) => {
    const options: unknown = args[2];
    // A body that is not an object (a string, a number, null, a list) would reach the rooms as their options.
    if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
      throw new ServerError(422, 'The join options must be a JSON object.');
    }
    try {
      return await invoke(...args);
    } catch (e) {
      throw translate(e);
    }
  };
}

/** Maps one matchmaking failure to the contract's join codes; codes already in the 4xx range pass. */
export function translate(e: unknown): unknown {
  if (!(e instanceof ServerError)) return e;
  const message = e.message ?? '';
  switch (e.code) {
    case ErrorCode.MATCHMAKE_INVALID_ROOM_ID:
      return new ServerError(/locked/.test(message) ? 409 : 404, /locked/.test(message) ? 'This room has already started or is full.' : 'No such room.');
    case ErrorCode.MATCHMAKE_INVALID_CRITERIA:
    case ErrorCode.MATCHMAKE_NO_HANDLER:
      return new ServerError(404, message || 'No such room.');
    case ErrorCode.AUTH_FAILED:
      return new ServerError(401, 'A valid token is required.');
    case ErrorCode.MATCHMAKE_UNHANDLED:
      if (/already full/.test(message)) return new ServerError(409, 'This room is full.');
      return e;
    default:
      return e;
  }
}

/** The largest matchmaking request body taken (join options are a few dozen bytes). */
export const MATCHMAKE_BODY_LIMIT = 16 * 1024;

/**
 * Colyseus' matchmaking route reads and parses a body of any size before any token is checked (a 2 MB
 * body was read, parsed and the join served). In front of it, on the HTTP server's `request` event (the
 * route runs before Express): a POST under /matchmake/ must give its length (411 for a chunked body) and
 * keep it within MATCHMAKE_BODY_LIMIT (413), answered as the route answers its errors (`{code, error}`,
 * the framework's CORS headers), and the connection is closed rather than read to the end.
 */
export function limitMatchmakeBodies(server: HttpServer): void {
  const prefix = `/${matchMaker.controller.matchmakeRoute}/`;
  const emit = server.emit as (this: HttpServer, event: string | symbol, ...args: unknown[]) => boolean;
  server.emit = function (this: HttpServer, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'request') {
      const [req, res] = args as [IncomingMessage, ServerResponse];
      if (req.method === 'POST' && req.url?.startsWith(prefix)) {
        const length = req.headers['content-length'];
        if (length === undefined && req.headers['transfer-encoding'] !== undefined) {
          refuse(req, res, 411, 'A matchmaking request must give its Content-Length.');
          return true;
        }
        if (Number(length) > MATCHMAKE_BODY_LIMIT) {
          refuse(req, res, 413, `A matchmaking request's body may be at most ${MATCHMAKE_BODY_LIMIT} bytes.`);
          return true;
        }
      }
    }
    return emit.call(this, event, ...args);
  } as HttpServer['emit'];
}

function refuse(req: IncomingMessage, res: ServerResponse, code: number, error: string): void {
  const { body, headers } = routeErrorAnswer(req, code, error);
  res.writeHead(code, { ...headers, connection: 'close' });
  res.end(body);
}

/** A refusal of a matchmaking request as Colyseus' route answers its own: `{code, error}`, its CORS headers. */
export function routeErrorAnswer(req: IncomingMessage, code: number, error: string): { body: string; headers: Record<string, string | number> } {
  const body = JSON.stringify({ code, error });
  return {
    body,
    headers: {
      ...matchMaker.controller.DEFAULT_CORS_HEADERS,
      ...matchMaker.controller.getCorsHeaders(new Headers(req.headers as Record<string, string>)),
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    },
  };
}
