import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuthHooks } from '../auth/auth-hooks.js';
import { principalOf } from '../auth/auth-hooks.js';
import { AppError } from '../errors.js';
import type { Metrics } from '../metrics/metrics.js';
import { errorResponses } from '../http/envelope.js';
import type { LeaderboardService } from '../boards/leaderboard-service.js';
import { clientAddress } from '../scores/score-routes.js';
import type { ScoreService } from '../scores/score-service.js';
import { ActionCompleteBody, ActionCompleteResponse, CompatLeaderboardQuery, CompatLeaderboardResponse } from './compat-schemas.js';

export interface CompatRoutesOptions {
  auth: AuthHooks;
  scores: ScoreService;
  leaderboard: LeaderboardService;
  leaderboardPublic: boolean;
  metrics: Metrics;
}

const TAG = 'compatibility (Score Management API)';

/**
 * The second specification's surface, over the same services as /api/v1: the same checks, the
 * same storage, the same live updates. Only the shapes of requests and responses differ.
 */
export const compatRoutes: FastifyPluginAsyncTypebox<CompatRoutesOptions> = async (app, options) => {
  const { auth, scores, leaderboard } = options;

  app.post(
    '/api/actions/complete',
    {
      schema: {
        tags: [TAG],
        summary: 'Complete an action (compatibility surface of POST /api/v1/scores/update)',
        security: [{ bearerAuth: [] }],
        body: ActionCompleteBody,
        response: { 200: ActionCompleteResponse, ...errorResponses },
      },
      config: { scoreUpdate: true },
      onRequest: [auth.requireScorer, async (request) => scores.admit(principalOf(request), clientAddress(request.ip))],
      onError: auth.provisionRefused,
    },
    async (request) => {
      const { body } = request;
      const header = request.headers['x-client-signature'];
      const clientSignature = body.clientSignature ?? (typeof header === 'string' ? header.trim() : undefined);
      if (!clientSignature || !/^[0-9a-fA-F]{64}$/.test(clientSignature)) {
        throw new AppError('INVALID_REQUEST', 'clientSignature (body) or X-Client-Signature (header) must be 64 hex characters', {
          details: { part: 'body', fields: [{ field: 'clientSignature', message: 'is required as 64 hex characters' }] },
        });
      }
      const result = await scores.submit(
        principalOf(request),
        { actionId: body.actionId, actionType: body.metadata.actionType, scoreIncrement: body.score, timestamp: body.timestamp, clientSignature },
        {
          ipAddress: clientAddress(request.ip),
          userAgent: request.headers['user-agent']?.slice(0, 512) ?? null,
          claimedDurationMs: body.metadata.duration,
        },
      );
      return {
        success: true as const,
        newScore: result.newScore,
        previousScore: result.previousScore,
        leaderboardPosition: result.rank,
        actionId: body.actionId,
      };
    },
  );

  app.get(
    '/api/leaderboard',
    {
      schema: {
        tags: [TAG],
        summary: 'The top of the leaderboard (compatibility surface of GET /api/v1/scores/leaderboard)',
        querystring: CompatLeaderboardQuery,
        response: { 200: CompatLeaderboardResponse, ...errorResponses },
      },
      onRequest: options.leaderboardPublic ? auth.optionalUser : auth.requireUser,
    },
    async (request) => {
      const [page, totalUsers, snapshot] = await Promise.all([
        (request.query.limit <= leaderboard.topSize ? leaderboard.top(request.query.limit) : leaderboard.page(0, request.query.limit)).then((page) => {
          options.metrics.leaderboardRead(page.cacheHit);
          return page;
        }),
        leaderboard.count(),
        leaderboard.refreshTop(),
      ]);
      return {
        leaderboard: page.entries.map((entry) => ({
          rank: entry.rank,
          userId: entry.userId,
          username: entry.username,
          score: entry.score,
          lastUpdate: new Date(entry.lastUpdatedMs).toISOString(),
        })),
        totalUsers,
        lastUpdated: new Date(snapshot.changedAtMs).toISOString(),
      };
    },
  );
};
