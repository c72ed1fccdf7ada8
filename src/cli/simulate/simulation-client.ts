import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createTokenSigner } from '../../auth/jwt.js';
import { signSubmission } from '../../boards/board-signature.js';
import { signAction } from '../../scores/signature.js';

/** The simulator's side of HTTP: tokens, signed bodies, and one method per request it makes. */

const REQUEST_TIMEOUT_MS = 10_000;
export const POLL_TIMEOUT_MS = 5_000;
/** Tokens are signed for a day and re-signed every hour, so runs of any length keep going. */
const TOKEN_EXPIRY = '24h';
export const TOKEN_REFRESH_MS = 3_600_000;

/** What a request came to: an answer (its body parsed, undefined when not JSON), or no answer. */
export type Answer = { kind: 'answered'; status: number; body: unknown; latencyMs: number } | { kind: 'failed'; code: string; error: unknown };

export interface TokenClaims {
  userId: string;
  username: string;
  role?: 'admin';
}

/** Signs players' (and the admin's) tokens with the server's JWT_SECRET, with its issuer and audience when it checks them. */
export function createTokenMinter(jwtSecret: string, checked: { issuer?: string | null; audience?: string | null } = {}): (claims: TokenClaims) => string {
  return createTokenSigner(jwtSecret, TOKEN_EXPIRY, checked);
}

/** A score update's body, signed with `key` (the server's HMAC_SECRET_KEY, or a forger's). */
export function signedUpdateBody(key: string, choice: { actionType: string; scoreIncrement: number }, atMs: number): string {
  const unsigned = { actionId: randomUUID(), actionType: choice.actionType, scoreIncrement: choice.scoreIncrement, timestamp: new Date(atMs).toISOString() };
  return JSON.stringify({ ...unsigned, clientSignature: signAction(key, unsigned) });
}

/** A direct submission's body for `boardId`, signed as DESIGN section 11 says. */
export function signedSubmissionBody(key: string, boardId: string, score: number, atMs: number): string {
  const unsigned = { actionId: randomUUID(), score, timestamp: new Date(atMs).toISOString() };
  return JSON.stringify({ ...unsigned, clientSignature: signSubmission(key, { ...unsigned, boardId }) });
}

/** A key the server does not know, for cheaters that forge signatures. */
export function forgedKey(): string {
  return randomBytes(32).toString('hex');
}

/** The network code of a failed fetch: `ECONNREFUSED`, `ENOTFOUND`, `TIMEOUT`, ... */
export function networkCode(error: unknown): string {
  const err = error as { name?: string; cause?: { code?: unknown; message?: unknown; errors?: { code?: unknown }[] } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'TIMEOUT';
  const cause = err.cause;
  const code = cause?.code ?? cause?.errors?.find((e) => typeof e.code === 'string')?.code;
  if (typeof code === 'string' && code !== '') return code;
  // undici's own refusals carry only a message ("bad port").
  const message = typeof cause?.message === 'string' ? cause.message.trim().toUpperCase().replace(/[^A-Z0-9]+/g, '_').slice(0, 40) : '';
  return message || 'NETWORK_ERROR';
}

interface RequestOptions {
  token: string;
  method?: 'GET' | 'POST';
  body?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** The requests the simulator makes of one server (`base`, without a trailing slash). */
export class SimulationClient {
  readonly base: string;

  constructor(url: string) {
    this.base = url.replace(/\/+$/, '');
  }

  /** POST /api/v1/scores/update with a signed body; `forwardedFor` sets X-Forwarded-For. */
  postUpdate(token: string, body: string, forwardedFor?: string): Promise<Answer> {
    return this.request('/api/v1/scores/update', {
      token,
      method: 'POST',
      body,
      headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
    });
  }

  /** POST /api/v1/boards/:boardId/scores with a signed body. */
  postSubmission(token: string, boardId: string, body: string): Promise<Answer> {
    return this.request(`/api/v1/boards/${encodeURIComponent(boardId)}/scores`, { token, method: 'POST', body });
  }

  /** GET /api/v1/boards: every board with its definition and current period. */
  boards(token: string): Promise<Answer> {
    return this.request('/api/v1/boards', { token, timeoutMs: POLL_TIMEOUT_MS });
  }

  /** GET /api/v1/scores/leaderboard?limit=1: the leader, and the server's clock. */
  leaderboardTop(token: string, timeoutMs: number): Promise<Answer> {
    return this.request('/api/v1/scores/leaderboard?limit=1', { token, timeoutMs });
  }

  /** GET /api/v1/scores/user/:userId/history: what the server remembers of the player. */
  history(token: string, userId: string, limit: number): Promise<Answer> {
    return this.request(`/api/v1/scores/user/${encodeURIComponent(userId)}/history?limit=${limit}`, { token, timeoutMs: POLL_TIMEOUT_MS });
  }

  /** GET /api/v1/admin/suspicious-activity, a page of 500 (older than `before` when given). */
  suspiciousActivity(adminToken: string, before: number | null): Promise<Answer> {
    return this.request(`/api/v1/admin/suspicious-activity?limit=500${before === null ? '' : `&before=${before}`}`, { token: adminToken, timeoutMs: POLL_TIMEOUT_MS });
  }

  private async request(path: string, options: RequestOptions): Promise<Answer> {
    const startedAt = performance.now();
    let status: number;
    let text: string;
    try {
      const response = await fetch(`${this.base}${path}`, {
        method: options.method ?? 'GET',
        headers: {
          authorization: `Bearer ${options.token}`,
          ...(options.body === undefined ? {} : { 'content-type': 'application/json', 'user-agent': 'scoreboard-simulate' }),
          ...options.headers,
        },
        body: options.body,
        signal: AbortSignal.timeout(options.timeoutMs ?? REQUEST_TIMEOUT_MS),
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      return { kind: 'failed', code: networkCode(error), error };
    }
    const latencyMs = performance.now() - startedAt;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { kind: 'answered', status, body, latencyMs };
  }
}
