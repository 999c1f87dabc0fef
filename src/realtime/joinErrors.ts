import { ErrorCode, matchMaker, ServerError } from '@colyseus/core';

/**
 * Colyseus answers a failed matchmaking request with its own codes (522 for both an unknown and a locked
 * room, a seat-reservation error for a full one). The contract promises 404 / 409 / 401: this is the one
 * place that translates, wrapping the matchmaking controller every transport goes through.
 */
export function mapMatchmakingErrors(): void {
  const controller = matchMaker.controller as typeof matchMaker.controller & { __arenaMapped?: boolean };
  if (controller.__arenaMapped) return;
  controller.__arenaMapped = true;
  const invoke = controller.invokeMethod.bind(controller);
  controller.invokeMethod = async (...args: Parameters<typeof invoke>) => {
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
