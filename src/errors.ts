/**
 * Named domain errors. The domain and services throw these; each transport maps them to its own wire
 * form in exactly one place (src/http/errors.ts for HTTP, src/realtime/roomKit.ts for rooms).
 */
export const ERROR_CODES = {
  VALIDATION_FAILED: { status: 400, message: 'The request is not valid.' },
  INVALID_JSON: { status: 400, message: 'The request body is not valid JSON.' },
  UNAUTHENTICATED: { status: 401, message: 'A valid token is required.' },
  TOKEN_EXPIRED: { status: 401, message: 'The token has expired; log in again.' },
  INVALID_CREDENTIALS: { status: 401, message: 'Wrong username or password.' },
  FORBIDDEN: { status: 403, message: 'You are not allowed to do that.' },
  WRONG_ROLE: { status: 403, message: 'Your account type cannot do that.' },
  NOT_FOUND: { status: 404, message: 'Not found.' },
  USER_NOT_FOUND: { status: 404, message: 'No such user.' },
  ROOM_NOT_FOUND: { status: 404, message: 'No room with that code.' },
  BATTLE_NOT_FOUND: { status: 404, message: 'No such battle.' },
  USERNAME_TAKEN: { status: 409, message: 'That username is taken.' },
  ALREADY_LINKED: { status: 409, message: 'That child is already linked to you.' },
  LINK_CODE_INVALID: { status: 404, message: 'That link code is unknown, used or expired.' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large.' },
  RATE_LIMITED: { status: 429, message: 'Too many attempts; wait and try again.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Send JSON (Content-Type: application/json).' },
  INTERNAL: { status: 500, message: 'Something went wrong on our side.' },
  UNAVAILABLE: { status: 503, message: 'The service is temporarily unavailable.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** A failure the caller can act on, with a stable code. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string = ERROR_CODES[code].message,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

/** True when `e` is a DomainError with one of the given codes (any code when none given). */
export function isDomainError(e: unknown, ...codes: ErrorCode[]): e is DomainError {
  return e instanceof DomainError && (codes.length === 0 || codes.includes(e.code));
}

/**
 * A game-rule refusal inside a room (LATE_ANSWER, ALREADY_ANSWERED, NOT_YOUR_TURN, …): sent to that
 * client alone as the contract's `"error" {code, message, type}`; the room carries on.
 */
export class RuleError extends Error {
  readonly code: string;

  /**
   * Refusals are expected traffic (a late answer, a flood of bad ones): no stack trace is captured, which
   * would cost more than the refusal itself.
   */
  constructor(code: string, message: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(message);
    } finally {
      Error.stackTraceLimit = limit;
    }
    this.code = code;
    this.name = 'RuleError';
  }
}
