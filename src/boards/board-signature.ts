import { createHmac, timingSafeEqual } from 'node:crypto';

/** The fields of a direct submission a client signs, exactly as sent. */
export interface SignedSubmission {
  actionId: string;
  boardId: string;
  score: number;
  timestamp: string;
}

const HEX_SIGNATURE = /^[0-9a-fA-F]{64}$/;

/** The signed message: the fields joined by `|`, which none of them may contain. */
function digest(key: string, fields: SignedSubmission): Buffer {
  return createHmac('sha256', key).update(`${fields.actionId}|${fields.boardId}|${String(fields.score)}|${fields.timestamp}`).digest();
}

/** hex(HMAC-SHA256(key, actionId + "|" + boardId + "|" + String(score) + "|" + timestamp)). */
export function signSubmission(key: string, fields: SignedSubmission): string {
  return digest(key, fields).toString('hex');
}

/** Compares in constant time; upper- or lower-case hex are both accepted. */
export function verifySubmission(key: string, fields: SignedSubmission, signature: string): boolean {
  if (!HEX_SIGNATURE.test(signature) || fields.timestamp.includes('|')) return false;
  return timingSafeEqual(digest(key, fields), Buffer.from(signature, 'hex'));
}

/** `verifySubmission` under the current key or, during a rotation, the previous one. */
export function verifySubmissionWithKeys(keys: { current: string; previous?: string | undefined }, fields: SignedSubmission, signature: string): boolean {
  return verifySubmission(keys.current, fields, signature) || (keys.previous !== undefined && verifySubmission(keys.previous, fields, signature));
}
