import { Type, type TSchema } from '@sinclair/typebox';
import type { AppError } from '../errors.js';

/** The error envelope every 4xx/5xx carries (DESIGN section 3). */
export const ErrorEnvelope = Type.Object(
  {
    success: Type.Literal(false),
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(Type.Unknown()),
      timestamp: Type.String({ format: 'date-time' }),
      requestId: Type.String(),
    }),
  },
  { $id: 'ErrorEnvelope' },
);

/** The envelope's body for `error`, as every error answer carries it (routed or not). */
export function errorBody(error: AppError, requestId: string) {
  return {
    success: false as const,
    error: {
      code: error.code,
      message: error.message,
      ...(error.details === undefined ? {} : { details: error.details }),
      timestamp: new Date().toISOString(),
      requestId,
    },
  };
}

/** `{success: true, data}` around a payload schema. */
export function ok<T extends TSchema>(data: T) {
  return Type.Object({ success: Type.Literal(true), data });
}

/** The error responses a route documents next to its success. */
export const errorResponses = {
  '4xx': ErrorEnvelope,
  '5xx': ErrorEnvelope,
};
