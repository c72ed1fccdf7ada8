import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { createTokenSigner } from './auth/jwt.js';
import { createBackends, type Backends } from './backends.js';
import type { Config } from './config.js';
import { createLogger } from './logger.js';
import { resolveSecrets, withSecrets } from './secrets.js';

export interface RunningServer {
  app: FastifyInstance;
  backends: Backends;
  config: Config;
  /** The address it listens on, e.g. `http://127.0.0.1:3000`. */
  url: string;
  /** Stops accepting, lets in-flight requests finish, closes sockets and pools. */
  close(): Promise<void>;
}

/** How long a graceful shutdown may take before the process exits anyway. */
export const SHUTDOWN_TIMEOUT_MS = 10_000;

/** Builds everything from the configuration and listens. */
export async function startServer(baseConfig: Config): Promise<RunningServer> {
  const secrets = resolveSecrets(baseConfig);
  const config = withSecrets(baseConfig, secrets);
  const https = config.tls
    ? { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile), minVersion: 'TLSv1.3' as const }
    : null;
  const logger = createLogger(config);
  const backends = await createBackends(config, logger);
  let app: FastifyInstance;
  try {
    app = await buildApp(config, backends, { https, logger });
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await backends.close().catch(() => undefined);
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const scheme = https ? 'https' : 'http';
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = `${scheme}://${shownHost}:${port}`;
  app.log.info({ mode: config.mode, url, redis: Boolean(config.redis) }, 'scoreboard listening');
  if (secrets.generated.length > 0) {
    app.log.warn({ generated: secrets.generated, file: secrets.file ?? 'memory only' }, 'development secrets generated');
  }
  if (config.nodeEnv !== 'production') {
    const token = createTokenSigner(config.jwtSecret!, config.jwtExpiry)({ userId: 'dev-player', username: 'Dev Player' });
    process.stdout.write(
      `\n  Scoreboard (${config.mode} mode) on ${url}\n  Live leaderboard: ${url}/\n` +
        `  Development token for user "dev-player" (valid ${config.jwtExpiry}):\n  ${token}\n\n`,
    );
  }
  let closing: Promise<void> | null = null;
  return {
    app,
    backends,
    config,
    url,
    close() {
      closing ??= (async () => {
        await app.close();
        await backends.close();
      })();
      return closing;
    },
  };
}

/** Exits 0 after a graceful close on SIGTERM or SIGINT (1 if it could not finish in time). */
export function closeOnSignals(server: RunningServer): void {
  const shutdown = (signal: string) => {
    server.app.log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      server.app.log.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        server.app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}
