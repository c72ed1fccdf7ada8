import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { createAuthHooks } from './auth/auth-hooks.js';
import { CLOCK_TOLERANCE_SEC, createTokenVerifier } from './auth/jwt.js';
import { buildServices, startBoards, type AppServices } from './app-services.js';
import type { Backends } from './backends.js';
import type { Config } from './config.js';
import { AppError } from './errors.js';
import { addressTrust } from './http/client-address.js';
import { answerUnmetExpectation, handleClientError, lacksHost } from './http/client-error-handler.js';
import { ConnectionGuard } from './http/connection-guard.js';
import { registerErrorHandlers, sendError } from './http/error-handler.js';
import { httpServerOptions } from './http/http-server-options.js';
import { securityHeaders } from './http/security-headers.js';
import { healthRoutes } from './http/health-routes.js';
import { pageRoutes } from './http/page-routes.js';
import { createValidatorCompiler } from './http/validation.js';
import { Metrics } from './metrics/metrics.js';
import { instrumentRequests, metricsRoutes } from './metrics/metrics-routes.js';
import { adminRoutes } from './integrity/admin-routes.js';
import { userRoutes } from './users/user-routes.js';
import { compatRoutes } from './compat/compat-routes.js';
import { leaderboardRoutes } from './leaderboard/leaderboard-routes.js';
import { clientAddress, scoreRoutes } from './scores/score-routes.js';
import { boardAdminRoutes } from './boards/board-admin-routes.js';
import { boardRoutes } from './boards/board-routes.js';
import { attachRealtime, type RealtimeServer } from './realtime/realtime-server.js';

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

declare module 'fastify' {
  interface FastifyInstance {
    /** The domain services, for the realtime layer, the CLI and tests. */
    services: AppServices;
    /** The Socket.IO layer on this app's HTTP server. */
    realtime: RealtimeServer;
    /** Set when shutdown begins; /health/ready then answers 503. */
    lifecycle: { shuttingDown: boolean };
    /** The per-address cap on open connections. */
    connectionGuard: ConnectionGuard;
  }
}

export type { AppServices };

export interface BuildAppOptions {
  /** The process logger (see `createLogger`); none by default. */
  logger?: FastifyBaseLogger;
  /** HTTPS options for the underlying server. */
  https?: { cert: Buffer; key: Buffer; minVersion: 'TLSv1.3' } | null;
  /**
   * The clock that places scores in board periods and ends them (tests move it near a period's
   * boundary). @default Date.now
   */
  clock?: () => number;
}

/**
 * The whole HTTP application as a Fastify instance that does not listen: `server.ts` listens,
 * tests inject. `config` must carry its secrets (see `resolveSecrets`).
 */
export async function buildApp(config: Config, backends: Backends, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  if (!config.jwtSecret || !config.hmacSecretKey) throw new Error('buildApp needs JWT_SECRET and HMAC_SECRET_KEY resolved');
  const server = httpServerOptions(config.http);
  const app = Fastify({
    ...server.fastify,
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: config.bodyLimitBytes,
    trustProxy: addressTrust(config.trustProxy),
    // User ids may be 255 characters, percent-encoded up to three times that.
    routerOptions: { maxParamLength: 1024 },
    // Malformed URLs (bad percent-encoding) get the envelope too.
    frameworkErrors: (error, request, reply) => {
      reply.header('x-request-id', request.id);
      return sendError(request, reply, new AppError('INVALID_REQUEST', `Malformed request: ${error.message.slice(0, 200)}`));
    },
    requestIdHeader: false,
    genReqId: (request) => {
      const supplied = request.headers['x-request-id'];
      return typeof supplied === 'string' && REQUEST_ID_PATTERN.test(supplied) ? supplied : randomUUID();
    },
    // Answered below in the envelope: Fastify's own 503 while closing is a bare body.
    return503OnClosing: false,
    // What Node's parser refuses (oversized headers, bad framing, timeouts) gets the envelope too.
    clientErrorHandler: handleClientError,
    ...(options.https ? { https: { ...options.https, ...server.node } } : { http: server.node }),
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.server.on('checkExpectation', answerUnmetExpectation);
  const connectionGuard = new ConnectionGuard({
    maxPerAddress: config.http.maxConnectionsPerIp,
    trust: addressTrust(config.trustProxy),
    tls: Boolean(options.https),
  });
  connectionGuard.attach(app.server);
  app.decorate('connectionGuard', connectionGuard);
  let closing = false;

  app.setValidatorCompiler(createValidatorCompiler());
  registerErrorHandlers(app);
  const metrics = new Metrics();
  instrumentRequests(app, metrics);

  const headers = securityHeaders({
    // The pages load only their own scripts and styles; the API answers JSON.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'", 'ws:', 'wss:'],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        // Would send a page served over plain HTTP (a LAN address, say) looking for HTTPS.
        upgradeInsecureRequests: options.https ? [] : null,
      },
    },
    strictTransportSecurity: options.https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    crossOriginResourcePolicy: { policy: config.corsOrigins.length > 0 ? 'cross-origin' : 'same-origin' },
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.headers(headers).header('x-request-id', request.id);
    if (closing) {
      reply.header('connection', 'close');
      return sendError(request, reply, new AppError('SERVICE_UNAVAILABLE', 'The server is shutting down; retry', { retryAfterSec: 1 }));
    }
    if (lacksHost(request.raw)) {
      reply.header('connection', 'close');
      return sendError(request, reply, new AppError('INVALID_REQUEST', 'An HTTP/1.1 request must carry a Host header'));
    }
  });
  await app.register(cors, {
    origin: config.corsOrigins.length > 0 ? config.corsOrigins : false,
    credentials: true,
    exposedHeaders: ['X-Request-Id', 'Retry-After', 'ETag'],
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Scoreboard API',
        version: '1',
        description:
          'Signed score updates, a live leaderboard and ranks. `/api/v1` is canonical; the routes tagged ' +
          '"compatibility" serve the Score Management API over the same services.',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      tags: [
        { name: 'scores', description: 'The write path and player lookups' },
        { name: 'leaderboard', description: 'Reading the board' },
        { name: 'admin', description: 'Needs a token with the admin role' },
        { name: 'compatibility (Score Management API)', description: 'Compatibility surface of the second specification, over the same services' },
        { name: 'operations', description: 'Health and metrics' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });

  const log = app.log;
  const services = buildServices(config, backends, log, metrics, options.clock);
  const { leaderboard, scores, users, players, integrity, accounts, erasure, userExports, boards } = services;
  // The boards before anything is served: the catalogue loaded, BOARDS_CONFIG applied.
  app.addHook('onReady', async () => {
    await startBoards(boards.catalogue, config.boards, log);
    boards.maintenance.start();
  });
  app.addHook('onClose', async () => {
    boards.catalogue.stop();
    await boards.maintenance.stop();
  });
  app.addHook('onReady', () => integrity.start());
  app.addHook('onClose', () => integrity.stop());
  app.decorate('services', services);
  const verifyToken = createTokenVerifier(config.jwtSecret, { maxAgeSec: config.jwtMaxAgeSec, clockToleranceSec: CLOCK_TOLERANCE_SEC });
  const auth = createAuthHooks({ verifyToken, provision: (principal) => users.ensure(principal) });
  let realtime: RealtimeServer | null = null;
  const lifecycle = { shuttingDown: false };
  app.decorate('lifecycle', lifecycle);
  app.addHook('preClose', async () => {
    lifecycle.shuttingDown = true;
    closing = true;
  });

  await app.register(healthRoutes, {
    mode: config.mode,
    probes: {
      database: async () => {
        await backends.sql.query('SELECT 1', [], { name: 'ping' });
        return true;
      },
      redis: async () => {
        if (!backends.redis) return 'embedded';
        if (backends.redis.status !== 'ready') return 'disconnected';
        await backends.redis.ping();
        return 'connected';
      },
      websocket: () => (realtime ? 'active' : 'unavailable'),
      accepting: () => !lifecycle.shuttingDown,
    },
  });
  await app.register(scoreRoutes, { auth, scores, history: backends.stores.history, players });
  await app.register(leaderboardRoutes, { auth, leaderboard, leaderboardPublic: config.leaderboardPublic, metrics });
  await app.register(adminRoutes, { auth, flags: backends.stores.integrity, accounts, integrity });
  await app.register(userRoutes, { auth, erasure, userExports });
  await app.register(compatRoutes, { auth, scores, leaderboard, leaderboardPublic: config.leaderboardPublic, metrics });
  await app.register(boardRoutes, {
    auth,
    reads: boards.reads,
    submissions: boards.submissions,
    admit: (principal, ipAddress) => scores.admit(principal, ipAddress),
    clientAddress,
    leaderboardPublic: config.leaderboardPublic,
  });
  await app.register(boardAdminRoutes, { auth, catalogue: boards.catalogue, reads: boards.reads, moderation: boards.moderation });
  await app.register(metricsRoutes, { metrics });
  await app.register(pageRoutes);
  realtime = await attachRealtime({
    app,
    config,
    redis: backends.redis,
    verifyToken,
    users,
    leaderboard,
    scores,
    integrity,
    boards: { catalogue: boards.catalogue, rankings: boards.rankings, submissions: boards.submissions },
    pubsub: backends.pubsub,
    log,
    metrics,
    now: options.clock,
  });
  metrics.watchConnections(realtime.connectionCount);
  app.decorate('realtime', realtime);

  registerCacheMaintenance(app, config, backends, (why) => boards.rankings.rebuildAll(why));
  return app;
}

/** How long start waits for the first rank index rebuild before serving from SQL meanwhile. */
const INITIAL_REBUILD_WAIT_MS = 5000;

/**
 * The rank index is a cache of SQL: filled at start, refilled when Redis comes back, and
 * refilled every CACHE_REFRESH_INTERVAL_MS to repair any drift.
 */
function registerCacheMaintenance(app: FastifyInstance, config: Config, backends: Backends, rebuildAll: (why: string) => Promise<number>): void {
  let timer: NodeJS.Timeout | undefined;
  const rebuild = (why: string) =>
    rebuildAll(why).catch((error: unknown) => app.log.warn({ err: error, why }, 'rank index rebuild failed'));

  app.addHook('onReady', async () => {
    // Wait for a small board; a large one (millions of players take seconds) goes on in the
    // background while reads fall back to SQL (RebuildGuardedRankIndex), so start never times out.
    const initial = rebuild('start');
    let waited: NodeJS.Timeout | undefined;
    await Promise.race([initial, new Promise((resolve) => (waited = setTimeout(resolve, INITIAL_REBUILD_WAIT_MS)))]);
    clearTimeout(waited);
    if (config.cacheRefreshIntervalMs > 0) {
      timer = setInterval(() => void rebuild('periodic'), config.cacheRefreshIntervalMs);
      timer.unref();
    }
    if (backends.redis) {
      let lost = backends.redis.status !== 'ready';
      backends.redis.on('close', () => {
        lost = true;
      });
      backends.redis.on('ready', () => {
        if (!lost) return;
        lost = false;
        app.log.info('redis is back; rebuilding the rank index');
        void rebuild('redis reconnected');
      });
    }
  });
  app.addHook('onClose', async () => {
    clearInterval(timer);
  });
}
