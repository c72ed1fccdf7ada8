import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Metrics } from './metrics.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Marks the score-update routes of both surfaces: counted in score_update_total. */
    scoreUpdate?: boolean;
  }
  interface FastifyRequest {
    /** The error code this request was answered with, for metrics (set by the error envelope). */
    errorCode?: string;
  }
}

/** Times every request (route pattern, not the raw URL) and counts score updates by result. */
export function instrumentRequests(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const seconds = reply.elapsedTime / 1000;
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequest(request.method, route, reply.statusCode, seconds);
    if (request.routeOptions.config?.scoreUpdate) {
      metrics.scoreUpdate(reply.statusCode === 200 ? 'success' : (request.errorCode ?? `HTTP_${reply.statusCode}`), seconds);
    }
  });
}

/** GET /metrics in the Prometheus text format. */
export const metricsRoutes: FastifyPluginAsync<{ metrics: Metrics }> = async (app, { metrics }) => {
  app.get('/metrics', { schema: { tags: ['operations'], summary: 'Prometheus metrics', produces: ['text/plain'] } }, async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
};
