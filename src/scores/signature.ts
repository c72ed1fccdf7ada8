import { createHmac, timingSafeEqual } from 'node:crypto';

/** The fields a client signs, exactly as sent. */
export interface SignedFields {
  actionId: string;
  actionType: string;
  scoreIncrement: number;
  /** The exact timestamp string of the request. */
  timestamp: string;
}

const HEX_SIGNATURE = /^[0-9a-fA-F]{64}$/;

function digest(key: string, fields: SignedFields): Buffer {
  return createHmac('sha256', key)
    .update(fields.actionId + fields.actionType + String(fields.scoreIncrement) + fields.timestamp)
    .digest();
}

/** hex(HMAC-SHA256(key, actionId + actionType + String(scoreIncrement) + timestamp)). */
export function signAction(key: string, fields: SignedFields): string {
  return digest(key, fields).toString('hex');
}

/** Compares in constant time; upper- or lower-case hex are both accepted. */
export function verifySignature(key: string, fields: SignedFields, signature: string): boolean {
  if (!HEX_SIGNATURE.test(signature)) return false;
  return timingSafeEqual(digest(key, fields), Buffer.from(signature, 'hex'));
}

/** `verifySignature` under the current key or, during a rotation, the previous one. */
export function verifySignatureWithKeys(keys: { current: string; previous?: string | undefined }, fields: SignedFields, signature: string): boolean {
  return verifySignature(keys.current, fields, signature) || (keys.previous !== undefined && verifySignature(keys.previous, fields, signature));
}
