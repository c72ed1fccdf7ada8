import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** A client-supplied `X-Request-Id` is echoed only when it looks like this. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's id: the client's own when well-formed, else a fresh one. */
export function requestIdOf(headers: IncomingHttpHeaders): string {
  const supplied = headers['x-request-id'];
  return typeof supplied === 'string' && REQUEST_ID_PATTERN.test(supplied) ? supplied : randomUUID();
}
