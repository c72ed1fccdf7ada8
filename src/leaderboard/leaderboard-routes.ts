import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { AuthHooks } from '../auth/auth-hooks.js';
import type { Metrics } from '../metrics/metrics.js';
import { errorResponses, ok } from '../http/envelope.js';
import { ChangesData, ChangesQuery, LeaderboardData, LeaderboardQuery } from './leaderboard-schemas.js';
import type { LeaderboardService } from './leaderboard-service.js';
import { toLeaderboardEntry, type RankedEntry } from './rank-entry.js';

export interface LeaderboardRoutesOptions {
  auth: AuthHooks;
  leaderboard: LeaderboardService;
  /** When false, reading the leaderboard needs a token. */
  leaderboardPublic: boolean;
  metrics: Metrics;
}

function etagOf(entries: RankedEntry[]): string {
  const hash = createHash('sha1');
  for (const entry of entries) hash.update(`${entry.rank}\u0000${entry.userId}\u0000${entry.username ?? ''}\u0000${entry.score}\u0000${entry.lastUpdatedMs}\u0001`);
  return `"${hash.digest('base64url')}"`;
}

function matchesEtag(request: FastifyRequest, etag: string): boolean {
  const header = request.headers['if-none-match'];
  if (!header) return false;
  return header.split(',').some((candidate) => {
    const value = candidate.trim();
    return value === '*' || value === etag || value === `W/${etag}`;
  });
}

export const leaderboardRoutes: FastifyPluginAsyncTypebox<LeaderboardRoutesOptions> = async (app, options) => {
  const { auth, leaderboard } = options;
  const guard = options.leaderboardPublic ? auth.optionalUser : auth.requireUser;

  app.get(
    '/api/v1/scores/leaderboard',
    {
      schema: {
        tags: ['leaderboard'],
        summary: 'A page of the leaderboard (score descending, earlier first on ties)',
        querystring: LeaderboardQuery,
        response: { 200: ok(LeaderboardData), 304: { type: 'null', description: 'Not modified (If-None-Match)' }, ...errorResponses },
      },
      onRequest: guard,
    },
    async (request, reply) => {
      const { limit, offset } = request.query;
      const page = offset === 0 && limit <= leaderboard.topSize ? await leaderboard.top(limit) : await leaderboard.page(offset, limit);
      options.metrics.leaderboardRead(page.cacheHit);
      const etag = etagOf(page.entries);
      reply.header('etag', etag).header('cache-control', 'no-cache');
      if (matchesEtag(request, etag)) return reply.code(304).send();
      return {
        success: true as const,
        data: { leaderboard: page.entries.map(toLeaderboardEntry), timestamp: new Date().toISOString(), cacheHit: page.cacheHit },
      };
    },
  );

  app.get(
    '/api/v1/scores/leaderboard/changes',
    {
      schema: {
        tags: ['leaderboard'],
        summary: 'Polling fallback: whether the top 10 changed after `since`, and the current top 10',
        querystring: ChangesQuery,
        response: { 200: ok(ChangesData), ...errorResponses },
      },
      onRequest: guard,
    },
    async (request) => {
      const snapshot = await leaderboard.refreshTop();
      const sinceMs = request.query.since === undefined ? undefined : Date.parse(request.query.since);
      return {
        success: true as const,
        data: {
          hasChanges: sinceMs === undefined || snapshot.changedAtMs > sinceMs,
          leaderboard: snapshot.entries.map(toLeaderboardEntry),
          lastUpdated: new Date(snapshot.changedAtMs).toISOString(),
        },
      };
    },
  );
};
