import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isConnectionError, sqlState } from '../sql-errors.js';
import { AppError, type ErrorCode } from '../errors.js';
import { errorBody } from './envelope.js';

/** Seconds a client should wait before retrying while the database is unreachable. */
export const DATABASE_RETRY_AFTER_SEC = 5;

export function sendError(request: FastifyRequest, reply: FastifyReply, error: AppError): FastifyReply {
  const reason = (error.details as { reason?: unknown } | undefined)?.reason;
  request.errorCode = typeof reason === 'string' ? reason : error.code;
  if (error.retryAfterSec !== undefined) reply.header('retry-after', String(error.retryAfterSec));
  return reply
    .code(error.statusCode)
    .type('application/json; charset=utf-8')
    .send(errorBody(error, request.id));
}

function validationError(error: FastifyError): AppError {
  const part = error.validationContext ?? 'request';
  const fields = (error.validation ?? []).map((issue) => {
    const missing = (issue.params as { missingProperty?: string; additionalProperty?: string } | undefined) ?? {};
    const path = issue.instancePath.replace(/^\//, '').replace(/\//g, '.');
    const field = missing.missingProperty ?? missing.additionalProperty ?? path;
    return { field: field || part, message: issue.message ?? 'is invalid', ...(missing.additionalProperty ? { reason: 'not allowed' } : {}) };
  });
  return new AppError('INVALID_REQUEST', `Invalid ${part}: ${fields.map((f) => `${f.field} ${f.message}`).join('; ')}`, {
    details: { part, fields },
  });
}

/** Turns anything thrown into a coded error; unknown failures become 5xx without their message. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) return validationError(fastifyError);
  if (isConnectionError(error)) {
    return new AppError('SERVICE_UNAVAILABLE', 'The database is unavailable (unreachable or saturated); retry later with the same actionId (it is applied at most once)', {
      retryAfterSec: DATABASE_RETRY_AFTER_SEC,
    });
  }
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const byStatus: Record<number, [ErrorCode, string]> = {
      404: ['NOT_FOUND', 'Not found'],
      413: ['PAYLOAD_TOO_LARGE', 'The request body is too large'],
      415: ['INVALID_REQUEST', 'Content-Type must be application/json'],
    };
    const [code, message] = byStatus[status] ?? ['INVALID_REQUEST', safeClientMessage(fastifyError)];
    return new AppError(code, message);
  }
  if (sqlState(error)) return new AppError('DATABASE_ERROR', 'A database error occurred');
  return new AppError('INTERNAL_ERROR', 'An unexpected error occurred');
}

function safeClientMessage(error: FastifyError): string {
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) return 'The body is not valid JSON';
  if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return 'The body is empty';
  return (error.message || 'Bad request').slice(0, 200);
}

/**
 * True when `error` is the request body's stream failing because the client closed the connection
 * before sending all of it: the client's doing, and nobody is left to answer.
 */
export function isAbortedRequest(request: FastifyRequest, error: unknown): boolean {
  return request.raw.readableAborted && (error as { code?: unknown } | null)?.code === 'ECONNRESET';
}

/** The envelope for every error and for unknown routes. */
export function registerErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    if (isAbortedRequest(request, error)) {
      request.log.info('the client closed the connection before its request was complete');
      return sendError(request, reply, new AppError('INVALID_REQUEST', 'The request was aborted'));
    }
    const appError = toAppError(error);
    if (appError.statusCode >= 500) {
      request.log.error({ err: error, code: appError.code }, 'request failed');
    } else {
      request.log.info({ code: appError.code, status: appError.statusCode }, appError.message);
    }
    return sendError(request, reply, appError);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(request, reply, new AppError('NOT_FOUND', `Route ${request.method} ${request.url.split('?')[0]?.slice(0, 200)} not found`)),
  );
}
