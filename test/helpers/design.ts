import type { LightMyRequestResponse } from 'fastify';

/** The error table of DESIGN section 3, restated for the tests so that a drift in src/ is caught. */
export const DESIGN_STATUS = {
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
} as const;

export type DesignCode = keyof typeof DESIGN_STATUS;

/**
 * Why an answer to a hostile request breaks the rules, or null when it is a proper refusal: a 4xx
 * whose body is the error envelope of DESIGN section 3, with the code's own status, a message, an
 * ISO 8601 timestamp and the request id of the `x-request-id` header.
 */
export function envelopeViolation(res: LightMyRequestResponse): string | null {
  if (res.statusCode < 400 || res.statusCode > 499) return `status ${res.statusCode}`;
  let body: { success?: unknown; error?: Record<string, unknown> };
  try {
    body = res.json();
  } catch {
    return `status ${res.statusCode} with a body that is not JSON`;
  }
  const error = body.error;
  if (body.success !== false || !error || typeof error !== 'object') return `status ${res.statusCode} without the error envelope`;
  const code = String(error.code);
  if (!(code in DESIGN_STATUS)) return `unknown code ${code}`;
  if (DESIGN_STATUS[code as DesignCode] !== res.statusCode) return `code ${code} with status ${res.statusCode}`;
  if (typeof error.message !== 'string' || error.message === '') return 'no message';
  if (typeof error.timestamp !== 'string' || new Date(error.timestamp).toISOString() !== error.timestamp) return 'timestamp is not ISO 8601';
  const requestId = res.headers['x-request-id'];
  if (typeof requestId !== 'string' || requestId === '' || error.requestId !== requestId) return 'requestId differs from the x-request-id header';
  return null;
}
