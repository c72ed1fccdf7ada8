import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuthHooks } from '../auth/auth-hooks.js';
import type { Metrics } from '../metrics/metrics.js';
import { errorResponses, ok } from '../http/envelope.js';
import { matchesEtag } from '../http/etag.js';
import { ChangesData, ChangesQuery, LeaderboardData, LeaderboardQuery } from './leaderboard-schemas.js';
import type { LeaderboardPage, LeaderboardService, TopSnapshot } from '../boards/leaderboard-service.js';
import { toLeaderboardEntry, type RankedEntry } from '../boards/rank-entry.js';

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

/** A page of the top as sent: its ETag and its entries' JSON, made once per snapshot and size. */
interface RenderedPage {
  etag: string;
  leaderboardJson: string;
}

function render(entries: RankedEntry[]): RenderedPage {
  return { etag: etagOf(entries), leaderboardJson: JSON.stringify(entries.map(toLeaderboardEntry)) };
}

/**
 * The top is read far more often than it changes: its ETag and JSON are made once per snapshot and
 * page size, and each answer only adds its own timestamp (the body is the schema's, field for field).
 */
class TopRenderCache {
  private snapshot: TopSnapshot | null = null;
  private readonly bySize = new Map<string, RenderedPage>();

  get(page: LeaderboardPage, limit: number): RenderedPage {
    if (!page.snapshot) return render(page.entries);
    if (page.snapshot !== this.snapshot) {
      this.snapshot = page.snapshot;
      this.bySize.clear();
    }
    const key = `${limit}:${page.cacheHit}`;
    let rendered = this.bySize.get(key);
    if (!rendered) {
      rendered = render(page.entries);
      this.bySize.set(key, rendered);
    }
    return rendered;
  }
}

export const leaderboardRoutes: FastifyPluginAsyncTypebox<LeaderboardRoutesOptions> = async (app, options) => {
  const { auth, leaderboard } = options;
  const guard = options.leaderboardPublic ? auth.optionalUser : auth.requireUser;
  const rendered = new TopRenderCache();

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
      const { etag, leaderboardJson } = rendered.get(page, limit);
      reply.header('etag', etag).header('cache-control', 'no-cache');
      if (matchesEtag(request, etag)) return reply.code(304).send();
      // A string body with a JSON content type is sent as it is, past the response serializer.
      const body = `{"success":true,"data":{"leaderboard":${leaderboardJson},"timestamp":"${new Date().toISOString()}","cacheHit":${page.cacheHit}}}`;
      return reply.type('application/json; charset=utf-8').send(body);
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
