import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

export type ServiceState = 'connected' | 'disconnected' | 'embedded';

export interface HealthProbes {
  database(): Promise<boolean>;
  /** `embedded` when the service runs without Redis. */
  redis(): Promise<ServiceState>;
  /** A word on the realtime layer, e.g. `active`. */
  websocket(): string;
  /** False once shutdown has begun: load balancers should stop sending. */
  accepting(): boolean;
}

const HealthBody = Type.Object({
  status: Type.Union([Type.Literal('healthy'), Type.Literal('degraded'), Type.Literal('unhealthy')]),
  timestamp: Type.String({ format: 'date-time' }),
  services: Type.Object({
    database: Type.Union([Type.Literal('connected'), Type.Literal('disconnected')]),
    redis: Type.Union([Type.Literal('connected'), Type.Literal('disconnected'), Type.Literal('embedded')]),
    websocket: Type.String(),
  }),
  uptime: Type.Number({ description: 'Seconds since the process started' }),
  mode: Type.String(),
});

const PROBE_TIMEOUT_MS = 2000;

async function within<T>(probe: Promise<T>, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), PROBE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([probe.catch(() => fallback), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export const healthRoutes: FastifyPluginAsyncTypebox<{ probes: HealthProbes; mode: string }> = async (app, options) => {
  const { probes } = options;

  app.get(
    '/health',
    {
      schema: {
        tags: ['operations'],
        summary: 'Health of the service and its backends (503 when the database is down)',
        response: { 200: HealthBody, 503: HealthBody },
      },
    },
    async (_request, reply) => {
      const [database, redis] = await Promise.all([within(probes.database(), false), within(probes.redis(), 'disconnected' as const)]);
      const status = !database ? 'unhealthy' : redis === 'disconnected' ? 'degraded' : 'healthy';
      reply.code(status === 'unhealthy' ? 503 : 200);
      return {
        status,
        timestamp: new Date().toISOString(),
        services: { database: database ? 'connected' : 'disconnected', redis, websocket: probes.websocket() },
        uptime: Math.round(process.uptime() * 1000) / 1000,
        mode: options.mode,
      } as const;
    },
  );

  app.get(
    '/health/live',
    { schema: { tags: ['operations'], summary: 'Liveness: the process answers', response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/health/ready',
    {
      schema: {
        tags: ['operations'],
        summary: 'Readiness: the database answers and the server is not shutting down (503 otherwise)',
        response: { 200: Type.Object({ status: Type.String() }), 503: Type.Object({ status: Type.String() }) },
      },
    },
    async (_request, reply) => {
      if (!probes.accepting()) return reply.code(503).send({ status: 'shutting down' });
      const database = await within(probes.database(), false);
      reply.code(database ? 200 : 503);
      return { status: database ? 'ready' : 'not ready' };
    },
  );
};
