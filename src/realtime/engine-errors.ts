import type { IncomingMessage } from 'node:http';
import { AppError, type ErrorCode } from '../errors.js';
import { answerSocketRequest } from './socket-answers.js';

/** What the engine's numbered refusals mean, as the service answers them. */
const ENGINE_REFUSALS: Record<number, { status: number; code: ErrorCode; reason: string; message: string }> = {
  0: { status: 400, code: 'INVALID_REQUEST', reason: 'UNKNOWN_TRANSPORT', message: 'Unknown Socket.IO transport (use websocket or polling)' },
  1: { status: 400, code: 'INVALID_REQUEST', reason: 'UNKNOWN_SESSION', message: 'Unknown or expired Socket.IO session id' },
  2: { status: 400, code: 'INVALID_REQUEST', reason: 'BAD_HANDSHAKE_METHOD', message: 'A Socket.IO handshake must be a GET request' },
  3: { status: 400, code: 'INVALID_REQUEST', reason: 'BAD_REQUEST', message: 'Malformed Socket.IO request' },
  4: { status: 403, code: 'FORBIDDEN', reason: 'NOT_ALLOWED', message: 'Socket.IO session refused' },
  5: { status: 400, code: 'INVALID_REQUEST', reason: 'UNSUPPORTED_PROTOCOL_VERSION', message: 'Unsupported Socket.IO protocol version' },
};

/** The part of the engine this needs: it reports each refusal just before answering it itself. */
export interface EngineErrorSource {
  on(event: 'connection_error', listener: (failure: { req: IncomingMessage; code: number }) => void): unknown;
}

/**
 * Answers the engine's refusals (bad transport, unknown session, bad handshake method, …) in the
 * error envelope with a request id. The engine reports each one before writing its own bare body,
 * and writes nothing on a response or connection that is already answered.
 */
export function answerEngineErrorsInEnvelope(engine: EngineErrorSource): void {
  engine.on('connection_error', ({ req, code }) => {
    const refusal = ENGINE_REFUSALS[code] ?? ENGINE_REFUSALS[3]!;
    answerSocketRequest(req, refusal.status, new AppError(refusal.code, refusal.message, { details: { reason: refusal.reason } }));
  });
}
