/** Every error code the API answers with, and the HTTP status it maps to (DESIGN section 3). */
export const ERROR_STATUS = {
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  INVALID_REQUEST: 400,
  INVALID_ACTION: 400,
  SCORE_VALIDATION_FAILED: 400,
  TIMESTAMP_OUT_OF_RANGE: 400,
  DUPLICATE_ACTION: 409,
  USER_NOT_FOUND: 404,
  BOARD_NOT_FOUND: 404,
  PERIOD_NOT_FOUND: 404,
  BOARD_EXISTS: 409,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMIT_EXCEEDED: 429,
  DATABASE_ERROR: 500,
  CACHE_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL_ERROR: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** `details.reason` values of a 403 FORBIDDEN. */
export type ForbiddenReason = 'INVALID_SIGNATURE' | 'TOO_FAST' | 'ACCOUNT_FROZEN' | 'BOARD_CLOSED' | 'NOT_ALLOWED';

/**
 * `details.reason` values of a 401 UNAUTHORIZED: which check a token failed, never what was expected
 * (no issuer, audience or key material). MISSING_CLAIM also names the claim in `details.claim`.
 */
export type UnauthorizedReason =
  | 'TOKEN_MISSING'
  | 'TOKEN_MALFORMED'
  | 'TOKEN_EXPIRED'
  | 'TOKEN_NOT_YET_VALID'
  | 'BAD_SIGNATURE'
  | 'WRONG_ISSUER'
  | 'WRONG_AUDIENCE'
  | 'MISSING_CLAIM';

export interface AppErrorOptions {
  details?: Record<string, unknown>;
  /** Seconds, sent as the `Retry-After` header (429, 503). */
  retryAfterSec?: number;
  cause?: unknown;
}

/** A failure with a stable code; routes turn it into the error envelope. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly details?: Record<string, unknown>;
  readonly retryAfterSec?: number;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.statusCode = ERROR_STATUS[code];
    this.details = options.details;
    this.retryAfterSec = options.retryAfterSec;
  }
}

export function forbidden(reason: ForbiddenReason, message: string, details: Record<string, unknown> = {}): AppError {
  return new AppError('FORBIDDEN', message, { details: { reason, ...details } });
}

export function unauthorized(reason: UnauthorizedReason, message: string, details: Record<string, unknown> = {}): AppError {
  return new AppError('UNAUTHORIZED', message, { details: { reason, ...details } });
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
