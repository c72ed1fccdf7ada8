import { WriteQueueTimeoutError } from './group-commit.js';

/** PostgreSQL's SQLSTATE of an error from either client, if it has one. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);

/**
 * True when the database could not be reached or went away: the caller may retry later. A statement
 * cut off by a read timeout may still have committed, so retries must be idempotent (an action id
 * is applied at most once).
 */
export function isConnectionError(error: unknown): boolean {
  if (error instanceof WriteQueueTimeoutError) return true;
  const state = sqlState(error);
  // 08: connection exception; 57P01..57P03: admin shutdown, crash shutdown, cannot connect now.
  if (state) return state.startsWith('08') || ['57P01', '57P02', '57P03'].includes(state);
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) return true;
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connect ECONNREFUSED|Query read timeout/i.test(message);
}
