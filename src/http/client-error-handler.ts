import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { AppError } from '../errors.js';
import { answerOnResponse, answerOnSocket, rawErrorAnswer } from './raw-answer.js';

export interface ClientErrorAnswer {
  status: number;
  error: AppError;
  /** Read on before closing: true when the input can no longer become a request (a parse error). */
  linger: boolean;
}

/** llhttp's reason for a parse error ("Invalid header value char"), which names no client data. */
function parseReason(error: NodeJS.ErrnoException): string {
  const reason = (error as { reason?: unknown }).reason;
  return typeof reason === 'string' && reason.length > 0 ? reason.slice(0, 120) : 'unreadable request';
}

/**
 * What to answer a connection whose request Node's HTTP parser refused or timed out, before any
 * route saw it; null when there is no one to answer (the connection failed or was reset).
 */
export function clientErrorAnswer(error: NodeJS.ErrnoException): ClientErrorAnswer | null {
  const code = error.code ?? '';
  if (code === 'HPE_HEADER_OVERFLOW') {
    return { status: 431, error: new AppError('INVALID_REQUEST', 'The request headers are too large'), linger: true };
  }
  if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') {
    return { status: 413, error: new AppError('PAYLOAD_TOO_LARGE', 'The chunk extensions of the body are too large'), linger: true };
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    // No lingering: the parser is still healthy and late bytes could complete the request.
    return { status: 408, error: new AppError('INVALID_REQUEST', 'The request did not arrive in time'), linger: false };
  }
  if (code.startsWith('HPE_')) {
    return { status: 400, error: new AppError('INVALID_REQUEST', `Malformed HTTP request: ${parseReason(error)}`), linger: true };
  }
  return null;
}

/** The response Node is writing on `socket`, if any (Node's own field, which its handler reads too). */
function responseInFlight(socket: Socket): ServerResponse | undefined {
  return (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
}

/** Sockets already answered: a failed parser reports again on every later chunk. */
const answered = new WeakSet<Socket>();

/**
 * Fastify's `clientErrorHandler` (called with the Fastify instance as `this`): answers in the error
 * envelope on the raw socket, with a new request id, unless a response has already begun there
 * (then it only closes). Logged at debug level: these are the client's faults, and plentiful under attack.
 */
export function handleClientError(this: { log: FastifyBaseLogger }, error: NodeJS.ErrnoException, socket: Socket): void {
  if (answered.has(socket)) return;
  answered.add(socket);
  const answer = clientErrorAnswer(error);
  this.log.debug({ code: error.code, status: answer?.status ?? null }, 'client error');
  if (!answer || socket.destroyed || !socket.writable || responseInFlight(socket)?.headersSent) {
    socket.destroy();
    return;
  }
  answerOnSocket(socket, rawErrorAnswer(answer.status, answer.error), { linger: answer.linger });
}

/** Node's `checkExpectation`: an `Expect` other than `100-continue` is 417, in the envelope. */
export function answerUnmetExpectation(_request: IncomingMessage, response: ServerResponse): void {
  answerOnResponse(response, 417, new AppError('INVALID_REQUEST', 'Only the 100-continue expectation is supported'));
}

/** An HTTP/1.1 request without Host, which RFC 9112 says must be refused with 400. */
export function lacksHost(request: IncomingMessage): boolean {
  return request.httpVersion === '1.1' && request.headers.host === undefined;
}
