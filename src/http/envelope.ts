import { Type, type TSchema } from '@sinclair/typebox';

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

/** `{success: true, data}` around a payload schema. */
export function ok<T extends TSchema>(data: T) {
  return Type.Object({ success: Type.Literal(true), data });
}

/** The error responses a route documents next to its success. */
export const errorResponses = {
  '4xx': ErrorEnvelope,
  '5xx': ErrorEnvelope,
};
