import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuthHooks } from '../auth/auth-hooks.js';
import type { IntegrityStore } from '../db/integrity-store.js';
import { AppError } from '../errors.js';
import type { IntegrityService } from './integrity-service.js';
import { ADMIN_SECURITY } from '../http/api-docs.js';
import { errorResponses, ok } from '../http/envelope.js';
import { UserIdParams } from '../http/path-params.js';
import type { AccountStatus } from './account-status.js';

export interface AdminRoutesOptions {
  auth: AuthHooks;
  flags: IntegrityStore;
  accounts: AccountStatus;
  integrity: IntegrityService;
}

const SuspiciousEntry = Type.Object({
  id: Type.Integer(),
  userId: Type.String(),
  username: Type.Union([Type.String(), Type.Null()]),
  status: Type.String(),
  hidden: Type.Boolean({ description: 'The player is off every board now (frozen with hide), until unfrozen' }),
  reason: Type.String(),
  details: Type.Record(Type.String(), Type.Unknown()),
  createdAt: Type.String({ format: 'date-time' }),
});

const ActivityData = Type.Object({
  seconds: Type.Array(
    Type.Object({ second: Type.Integer(), applied: Type.Integer(), rejected: Type.Record(Type.String(), Type.Integer()) }),
  ),
  note: Type.String(),
});

const StatusData = Type.Object({
  userId: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('frozen')]),
  reason: Type.Union([Type.String(), Type.Null()]),
  /** Off every board (frozen with `hide`). */
  hidden: Type.Boolean(),
});

export const adminRoutes: FastifyPluginAsyncTypebox<AdminRoutesOptions> = async (app, options) => {
  const { auth, flags, accounts, integrity } = options;

  app.get(
    '/api/v1/admin/suspicious-activity',
    {
      schema: {
        tags: ['admin'],
        summary: 'Flags raised by the anomaly detectors, newest first',
        security: ADMIN_SECURITY,
        querystring: Type.Object({
          userId: Type.Optional(UserIdParams.properties.userId),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
          before: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'An id from the previous page' })),
        }),
        response: { 200: ok(Type.Object({ activity: Type.Array(SuspiciousEntry), nextBefore: Type.Union([Type.Integer(), Type.Null()]) })), ...errorResponses },
      },
      onRequest: auth.requireAdmin,
    },
    async (request) => {
      const { userId, limit, before } = request.query;
      const rows = await flags.listSuspicious({ userId, limit, beforeId: before });
      return {
        success: true as const,
        data: {
          activity: rows.map((row) => ({ ...row, username: row.username ?? null, status: row.status ?? 'active', hidden: row.hidden ?? false, createdAt: row.createdAt.toISOString() })),
          nextBefore: rows.length === limit ? rows[rows.length - 1]!.id : null,
        },
      };
    },
  );

  app.get(
    '/api/v1/admin/activity',
    {
      schema: {
        tags: ['admin'],
        summary: "Score updates applied and refused per second (this instance's traffic), for the dashboard's charts",
        security: ADMIN_SECURITY,
        querystring: Type.Object({ seconds: Type.Integer({ minimum: 10, maximum: 600, default: 300 }) }),
        response: { 200: ok(ActivityData), ...errorResponses },
      },
      onRequest: auth.requireAdmin,
    },
    async (request) => ({
      success: true as const,
      data: { seconds: integrity.activityWindow(request.query.seconds), note: 'counts of the instance that answered' },
    }),
  );

  app.post(
    '/api/v1/admin/users/:userId/freeze',
    {
      schema: {
        tags: ['admin'],
        summary: 'Freeze an account: its score updates are refused (403 ACCOUNT_FROZEN) until unfrozen; with hide, it is also off every board',
        security: ADMIN_SECURITY,
        params: UserIdParams,
        body: Type.Object(
          {
            reason: Type.String({ minLength: 1, maxLength: 500 }),
            hide: Type.Optional(Type.Boolean({ description: 'Also take the player off every board (global included) until unfrozen; the entries are kept' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: ok(StatusData), ...errorResponses },
      },
      onRequest: auth.requireAdmin,
    },
    async (request) => {
      const { userId } = request.params;
      const hidden = request.body.hide === true;
      if (!(await accounts.freeze(userId, { reason: request.body.reason, hide: hidden }))) throw new AppError('USER_NOT_FOUND', `User ${userId} not found`);
      request.log.warn({ userId, admin: request.principal?.userId, hidden }, 'account frozen');
      return { success: true as const, data: { userId, status: 'frozen' as const, reason: request.body.reason, hidden } };
    },
  );

  app.post(
    '/api/v1/admin/users/:userId/unfreeze',
    {
      schema: {
        tags: ['admin'],
        summary: 'Unfreeze an account',
        security: ADMIN_SECURITY,
        params: UserIdParams,
        body: Type.Optional(Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false })),
        response: { 200: ok(StatusData), ...errorResponses },
      },
      onRequest: auth.requireAdmin,
    },
    async (request) => {
      const { userId } = request.params;
      if (!(await accounts.unfreeze(userId))) throw new AppError('USER_NOT_FOUND', `User ${userId} not found`);
      request.log.warn({ userId, admin: request.principal?.userId }, 'account unfrozen');
      return { success: true as const, data: { userId, status: 'active' as const, reason: null, hidden: false } };
    },
  );
};
