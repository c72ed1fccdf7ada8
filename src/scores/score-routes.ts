import { isIP } from 'node:net';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuthHooks } from '../auth/auth-hooks.js';
import { principalOf, requireSelfOrAdmin } from '../auth/auth-hooks.js';
import type { HistoryStore } from '../db/history-store.js';
import { AppError } from '../errors.js';
import { errorResponses, ok } from '../http/envelope.js';
import { UserIdParams } from '../http/path-params.js';
import { HistoryData, HistoryQuery, ScoreUpdateBody, ScoreUpdateData, UserScoreData } from './score-schemas.js';
import type { PlayerLookup } from './player-lookup.js';
import type { ScoreService } from './score-service.js';

export interface ScoreRoutesOptions {
  auth: AuthHooks;
  scores: ScoreService;
  history: HistoryStore;
  players: PlayerLookup;
}

/** The client's address for the audit trail, or null when it is not an IP address. */
export function clientAddress(ip: string | undefined): string | null {
  return ip && isIP(ip) ? ip : null;
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export const scoreRoutes: FastifyPluginAsyncTypebox<ScoreRoutesOptions> = async (app, options) => {
  const { auth, scores, history, players } = options;

  app.post(
    '/api/v1/scores/update',
    {
      schema: {
        tags: ['scores'],
        summary: 'Apply a signed score update',
        security: [{ bearerAuth: [] }],
        body: ScoreUpdateBody,
        response: { 200: ok(ScoreUpdateData), ...errorResponses },
      },
      config: { scoreUpdate: true },
      // Before the body is parsed: every attempt counts against the rate limits, malformed ones too.
      onRequest: [auth.requireScorer, async (request) => scores.admit(principalOf(request), clientAddress(request.ip))],
      onError: auth.provisionRefused,
    },
    async (request) => {
      const data = await scores.submit(principalOf(request), request.body, {
        ipAddress: clientAddress(request.ip),
        userAgent: request.headers['user-agent']?.slice(0, 512) ?? null,
      });
      return { success: true as const, data };
    },
  );

  app.get(
    '/api/v1/scores/user/:userId',
    {
      schema: {
        tags: ['scores'],
        summary: "A player's score, rank and totals",
        security: [{ bearerAuth: [] }],
        params: UserIdParams,
        response: { 200: ok(UserScoreData), ...errorResponses },
      },
      onRequest: auth.requireUser,
    },
    async (request) => {
      const { userId } = request.params;
      const user = await players.get(userId);
      if (!user) throw new AppError('USER_NOT_FOUND', `User ${userId} not found`);
      return {
        success: true as const,
        data: {
          userId: user.userId,
          username: user.username,
          score: user.score,
          rank: user.rank,
          lastUpdated: user.lastUpdatedMs === null ? null : new Date(user.lastUpdatedMs).toISOString(),
          totalActions: user.totalActions,
          firstAction: iso(user.firstAction),
          lastAction: iso(user.lastAction),
        },
      };
    },
  );

  app.get(
    '/api/v1/scores/user/:userId/history',
    {
      schema: {
        tags: ['scores'],
        summary: "A player's audit trail, newest first (the player or an admin)",
        security: [{ bearerAuth: [] }],
        params: UserIdParams,
        querystring: HistoryQuery,
        response: { 200: ok(HistoryData), ...errorResponses },
      },
      onRequest: auth.requireUser,
    },
    async (request) => {
      const { userId } = request.params;
      requireSelfOrAdmin(request, userId);
      const { limit, before } = request.query;
      const entries = await history.history(userId, limit, before ?? null);
      if (entries.length === 0 && !before && !(await players.get(userId))) {
        throw new AppError('USER_NOT_FOUND', `User ${userId} not found`);
      }
      return {
        success: true as const,
        data: {
          userId,
          history: entries.map((entry) => ({ ...entry, createdAt: entry.createdAt.toISOString() })),
          nextBefore: entries.length === limit ? entries[entries.length - 1]!.id : null,
        },
      };
    },
  );
};
