import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuthHooks } from '../auth/auth-hooks.js';
import { requireSelfOrAdmin } from '../auth/auth-hooks.js';
import { AppError } from '../errors.js';
import { errorResponses, ok } from '../http/envelope.js';
import { UserIdParams } from '../http/path-params.js';
import type { UserErasure } from './user-erasure.js';
import type { UserExportService } from './user-export-service.js';

export interface UserRoutesOptions {
  auth: AuthHooks;
  erasure: UserErasure;
  userExports: UserExportService;
}

/** The player's rights over their data: access (export) and erasure. */
export const userRoutes: FastifyPluginAsyncTypebox<UserRoutesOptions> = async (app, options) => {
  const { auth, erasure, userExports } = options;

  app.get(
    '/api/v1/users/:userId/export',
    {
      schema: {
        tags: ['users'],
        summary: 'Everything stored about a user: profile, score, full history, flags (the user or an admin)',
        description:
          'Streamed as it is read. One export per user at a time, a few per instance, and EXPORT_RATE_LIMIT_MAX_REQUESTS ' +
          'per user per hour: 429 RATE_LIMIT_EXCEEDED with Retry-After beyond them.',
        security: [{ bearerAuth: [] }],
        params: UserIdParams,
        response: { 200: ok(Type.Object({}, { additionalProperties: true })), ...errorResponses },
      },
      onRequest: auth.requireUser,
    },
    async (request, reply) => {
      const { userId } = request.params;
      requireSelfOrAdmin(request, userId);
      // Refusals (429, 404) are thrown before the first byte, so they get the envelope.
      const document = await userExports.open(userId);
      return reply
        .header('content-disposition', `attachment; filename="scoreboard-export-${encodeURIComponent(userId)}.json"`)
        .type('application/json; charset=utf-8')
        // A stream is sent as it is, not serialized; the 200 schema documents what it carries.
        .send(document as never);
    },
  );

  app.delete(
    '/api/v1/users/:userId',
    {
      schema: {
        tags: ['users'],
        summary: 'Erase a user, their score, history and flags (the user or an admin); the leaderboard updates live',
        security: [{ bearerAuth: [] }],
        params: UserIdParams,
        response: { 200: ok(Type.Object({ userId: Type.String(), erased: Type.Literal(true) })), ...errorResponses },
      },
      onRequest: auth.requireUser,
    },
    async (request) => {
      const { userId } = request.params;
      const principal = requireSelfOrAdmin(request, userId);
      if (!(await erasure.erase(userId))) throw new AppError('USER_NOT_FOUND', `User ${userId} not found`);
      request.log.warn({ userId, by: principal.userId }, 'user erased');
      return { success: true as const, data: { userId, erased: true as const } };
    },
  );
};
