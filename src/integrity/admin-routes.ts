import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuthHooks } from '../auth/auth-hooks.js';
import type { ScoreStore } from '../db/score-store.js';
import { AppError } from '../errors.js';
import { errorResponses, ok } from '../http/envelope.js';
import { UserIdParams } from '../scores/score-schemas.js';
import type { PlayerLookup } from '../scores/player-lookup.js';

export interface AdminRoutesOptions {
  auth: AuthHooks;
  store: ScoreStore;
  players: PlayerLookup;
}

const StatusData = Type.Object({
  userId: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('frozen')]),
  reason: Type.Union([Type.String(), Type.Null()]),
});

export const adminRoutes: FastifyPluginAsyncTypebox<AdminRoutesOptions> = async (app, options) => {
  const { auth, store, players } = options;

  async function setStatus(userId: string, status: 'active' | 'frozen', reason: string | null) {
    if (!(await store.setStatus(userId, status, reason))) throw new AppError('USER_NOT_FOUND', `User ${userId} not found`);
    await players.forget(userId);
    return { success: true as const, data: { userId, status, reason } };
  }

  app.post(
    '/api/v1/admin/users/:userId/freeze',
    {
      schema: {
        tags: ['admin'],
        summary: 'Freeze an account: its score updates are refused (403 ACCOUNT_FROZEN) until unfrozen',
        security: [{ bearerAuth: [] }],
        params: UserIdParams,
        body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false }),
        response: { 200: ok(StatusData), ...errorResponses },
      },
      onRequest: auth.requireAdmin,
    },
    async (request) => {
      const data = await setStatus(request.params.userId, 'frozen', request.body.reason);
      request.log.warn({ userId: request.params.userId, admin: request.principal?.userId }, 'account frozen');
      return data;
    },
  );

  app.post(
    '/api/v1/admin/users/:userId/unfreeze',
    {
      schema: {
        tags: ['admin'],
        summary: 'Unfreeze an account',
        security: [{ bearerAuth: [] }],
        params: UserIdParams,
        body: Type.Optional(Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false })),
        response: { 200: ok(StatusData), ...errorResponses },
      },
      onRequest: auth.requireAdmin,
    },
    async (request) => {
      const data = await setStatus(request.params.userId, 'active', null);
      request.log.warn({ userId: request.params.userId, admin: request.principal?.userId }, 'account unfrozen');
      return data;
    },
  );
};
