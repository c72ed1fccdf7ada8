import { randomUUID } from 'node:crypto';
import { createTokenSigner } from '../../src/auth/jwt.js';
import { signSubmission } from '../../src/boards/board-signature.js';
import { signAction } from '../../src/scores/signature.js';

/** The one action type of the bench's catalogue: no minimum duration, a large maximum. */
export const BENCH_ACTION = 'BENCH_ACTION';
export const BENCH_ACTIONS_CATALOGUE = { [BENCH_ACTION]: { maxScore: 1_000_000_000, minDuration: 0 } };

export interface Secrets {
  jwtSecret: string;
  hmacSecretKey: string;
}

/** Player ids `<prefix><zero-padded n>`, n from 1 to count. */
export function playerId(prefix: string, n: number, width = 7): string {
  return `${prefix}${String(n).padStart(width, '0')}`;
}

/**
 * Signs one token per player before a run (signing per request would measure the generator).
 * Tokens carry the same username the bench's seeded rows have, so no request rewrites a name.
 */
export function presignTokens(secrets: Secrets, ids: string[], expiry = '2h'): string[] {
  const sign = createTokenSigner(secrets.jwtSecret, expiry);
  return ids.map((userId) => sign({ userId, username: userId }));
}

/** An admin's token (board definitions through the admin API). */
export function adminToken(secrets: Secrets): string {
  return createTokenSigner(secrets.jwtSecret, '2h')({ userId: 'bench-admin', username: 'bench-admin', role: 'admin' });
}

/** A fresh, valid, signed body of POST /api/v1/scores/update, and its actionId. */
export function updateBody(secrets: Secrets, scoreIncrement: number): { body: string; actionId: string } {
  const fields = { actionId: randomUUID(), actionType: BENCH_ACTION, scoreIncrement, timestamp: new Date().toISOString() };
  return { body: JSON.stringify({ ...fields, clientSignature: signAction(secrets.hmacSecretKey, fields) }), actionId: fields.actionId };
}

/** A fresh, valid, signed body of POST /api/v1/boards/:boardId/scores (DESIGN section 11), and its actionId. */
export function submissionBody(secrets: Secrets, boardId: string, score: number): { body: string; actionId: string } {
  const fields = { actionId: randomUUID(), score, timestamp: new Date().toISOString() };
  const clientSignature = signSubmission(secrets.hmacSecretKey, { ...fields, boardId });
  return { body: JSON.stringify({ ...fields, clientSignature }), actionId: fields.actionId };
}
