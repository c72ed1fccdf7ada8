import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { AppError } from '../errors.js';
import { errorBody } from './envelope.js';

/** How long a connection answered on the raw socket is read on before it is closed anyway. */
const LINGER_MS = 2000;

function answerHeaders(error: AppError, requestId: string, body: string): Record<string, string> {
  return {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    'X-Request-Id': requestId,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
    Connection: 'close',
    ...(error.retryAfterSec === undefined ? {} : { 'Retry-After': String(error.retryAfterSec) }),
  };
}

/**
 * A whole HTTP/1.1 answer in the error envelope, for a connection that no route serves (refused,
 * unparseable, timed out). `status` may differ from the code's own (431 with `INVALID_REQUEST`).
 */
export function rawErrorAnswer(status: number, error: AppError, requestId: string = randomUUID()): Buffer {
  const body = JSON.stringify(errorBody(error, requestId));
  const headers = { ...answerHeaders(error, requestId, body), Date: new Date().toUTCString() };
  const head = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
  return Buffer.from(`${head.join('\r\n')}\r\n\r\n${body}`);
}

/**
 * Writes `answer` and closes. With `linger`, the connection is read on (and the input dropped)
 * until the client closes or LINGER_MS pass: closing with unread input makes the kernel send a
 * reset, which can discard the answer before the client reads it. Only for connections whose
 * input can no longer become a request (no parser, or one that failed).
 */
export function answerOnSocket(socket: Socket, answer: Buffer, options: { linger: boolean }): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  if (!options.linger) {
    socket.end(answer);
    socket.destroySoon();
    return;
  }
  socket.end(answer);
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.once('end', () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.resume();
}

/** Answers a request that reached Node's HTTP layer but no route (an unmet `Expect`) in the envelope. */
export function answerOnResponse(response: ServerResponse, status: number, error: AppError): void {
  const requestId = randomUUID();
  const body = JSON.stringify(errorBody(error, requestId));
  response.shouldKeepAlive = false;
  response.writeHead(status, answerHeaders(error, requestId, body));
  response.end(body);
}
