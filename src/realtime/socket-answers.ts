import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppError } from '../errors.js';
import { errorBody } from '../http/envelope.js';
import { answerOnSocket, rawErrorAnswer } from '../http/raw-answer.js';
import { requestIdOf } from '../http/request-id.js';

/**
 * Answers a Socket.IO request that will not be served, in the error envelope: a polling request
 * on its response, a WebSocket upgrade on its connection (no response object exists for it).
 * Returns false when something was already answered.
 */
export function answerSocketRequest(request: IncomingMessage, status: number, error: AppError): boolean {
  const requestId = requestIdOf(request.headers);
  // The engine puts the polling request's response on it; an upgrade has none.
  const response = (request as IncomingMessage & { res?: ServerResponse }).res;
  if (response) {
    if (response.headersSent) return false;
    const body = JSON.stringify(errorBody(error, requestId));
    response.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(body)),
      'X-Request-Id': requestId,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
      ...(error.retryAfterSec === undefined ? {} : { 'Retry-After': String(error.retryAfterSec) }),
    });
    response.end(body);
    return true;
  }
  const socket = request.socket;
  if (socket.destroyed || !socket.writable) return false;
  answerOnSocket(socket, rawErrorAnswer(status, error, requestId), { linger: false });
  return true;
}
