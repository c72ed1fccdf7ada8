import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import cors from '@fastify/cors';
import { createApiKeyAuth, type ApiKeyAuth } from './api-keys/api-key-auth.js';
import { apiKeyAdminRoutes } from './api-keys/api-key-admin-routes.js';
import { serverScoreRoutes } from './api-keys/server-score-routes.js';
import { createAuthHooks } from './auth/auth-hooks.js';
import { tokenVerifierFor } from './auth/jwt.js';
import { buildServices, startBoards, type AppServices } from './app-services.js';
import type { Backends } from './backends.js';
import type { Config } from './config.js';
import type { ConnectionGuard } from './http/connection-guard.js';
import { registerErrorHandlers } from './http/error-handler.js';
import { createFastify, guardRequests } from './http/fastify-instance.js';
import { registerApiDocs } from './http/api-docs.js';
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
  const app = createFastify(config, options);
  app.setValidatorCompiler(createValidatorCompiler());
  registerErrorHandlers(app);
  const metrics = new Metrics();
  instrumentRequests(app, metrics);
  guardRequests(app, config, Boolean(options.https));
  await app.register(cors, {
    origin: config.corsOrigins.length > 0 ? config.corsOrigins : false,
    credentials: true,
    exposedHeaders: ['X-Request-Id', 'Retry-After', 'ETag'],
  });
  await registerApiDocs(app);

  const services = buildServices(config, backends, app.log, metrics, options.clock);
  app.decorate('services', services);
  startServices(app, services, config);
  const lifecycle = { shuttingDown: false };
  app.decorate('lifecycle', lifecycle);
  app.addHook('preClose', async () => {
    lifecycle.shuttingDown = true;
  });
  const verifyToken = tokenVerifierFor(config);
  const keyAuth = createApiKeyAuth({ keys: services.apiKeys, limiter: backends.apiKeyLimiter, metrics });
  const auth = createAuthHooks({ verifyToken, provision: (principal) => services.users.ensure(principal), adminKey: keyAuth.admin });
  let realtime: RealtimeServer | null = null;
  await app.register(healthRoutes, { mode: config.mode, probes: healthProbes(backends, lifecycle, () => realtime !== null) });
  await registerRoutes(app, { config, backends, services, auth, keyAuth, metrics });
  realtime = await attachRealtime({
    app,
    config,
    redis: backends.redis,
    verifyToken,
    users: services.users,
    leaderboard: services.leaderboard,
    scores: services.scores,
    integrity: services.integrity,
    boards: { catalogue: services.boards.catalogue, rankings: services.boards.rankings, submissions: services.boards.submissions },
    pubsub: backends.pubsub,
    log: app.log,
    metrics,
    now: options.clock,
  });
  metrics.watchConnections(realtime.connectionCount);
  app.decorate('realtime', realtime);

  registerCacheMaintenance(app, config, backends, (why) => services.boards.rankings.rebuildAll(why));
  return app;
}

/** The boards before anything is served (the catalogue loaded, BOARDS_CONFIG applied), their maintenance, the detectors. */
function startServices(app: FastifyInstance, services: AppServices, config: Config): void {
  const { boards, integrity } = services;
  app.addHook('onReady', async () => {
    await startBoards(boards.catalogue, config.boards, app.log);
    boards.maintenance.start();
  });
  app.addHook('onClose', async () => {
    boards.catalogue.stop();
    await boards.maintenance.stop();
  });
  app.addHook('onReady', () => integrity.start());
  app.addHook('onClose', () => integrity.stop());
  app.addHook('onReady', () => services.apiKeys.start());
  app.addHook('onClose', () => services.apiKeys.stop());
}

/** What `/health` reports of each dependency. */
function healthProbes(backends: Backends, lifecycle: { shuttingDown: boolean }, realtimeUp: () => boolean) {
  return {
    database: async () => {
      await backends.sql.query('SELECT 1', [], { name: 'ping' });
      return true;
    },
    redis: async () => {
      if (!backends.redis) return 'embedded' as const;
      if (backends.redis.status !== 'ready') return 'disconnected' as const;
      await backends.redis.ping();
      return 'connected' as const;
    },
    websocket: () => (realtimeUp() ? ('active' as const) : ('unavailable' as const)),
    accepting: () => !lifecycle.shuttingDown,
  };
}

interface RouteDeps {
  config: Config;
  backends: Backends;
  services: AppServices;
  auth: ReturnType<typeof createAuthHooks>;
  keyAuth: ApiKeyAuth;
  metrics: Metrics;
}

/** Every route of the API, the metrics and the pages. */
async function registerRoutes(app: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { config, backends, auth, keyAuth, metrics } = deps;
  const { leaderboard, scores, players, integrity, accounts, erasure, userExports, boards, apiKeys } = deps.services;
  const leaderboardPublic = config.leaderboardPublic;
  await app.register(scoreRoutes, { auth, scores, history: backends.stores.history, players });
  await app.register(leaderboardRoutes, { auth, leaderboard, leaderboardPublic, metrics });
  await app.register(adminRoutes, { auth, flags: backends.stores.integrity, accounts, integrity });
  await app.register(userRoutes, { auth, erasure, userExports });
  await app.register(compatRoutes, { auth, scores, leaderboard, leaderboardPublic, metrics });
  await app.register(boardRoutes, {
    auth,
    reads: boards.reads,
    submissions: boards.submissions,
    admit: (principal, ipAddress) => scores.admit(principal, ipAddress),
    clientAddress,
    leaderboardPublic,
  });
  await app.register(boardAdminRoutes, { auth, catalogue: boards.catalogue, reads: boards.reads, moderation: boards.moderation });
  await app.register(apiKeyAdminRoutes, { auth, keys: apiKeys });
  await app.register(serverScoreRoutes, { auth, keyAuth, scores, submissions: boards.submissions, clientAddress });
  await app.register(metricsRoutes, { metrics });
  await app.register(pageRoutes);
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
