import { readFileSync } from 'node:fs';
import { createServer as createNetServer, type Server } from 'node:net';
import { createSecureContext } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { createTokenSigner } from './auth/jwt.js';
import { createBackends, type Backends } from './backends.js';
import { ConfigError, StartupError, type Config } from './config.js';
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

/**
 * Longest time `close()` keeps accepting connections that clients had already opened. A loaded
 * machine accepted only ~25 a second while it answered the requests in flight (3 s left one of 200
 * in the accept queue, reset); 5 s still leaves the rest of SHUTDOWN_TIMEOUT_MS for the requests.
 */
export const SHUTDOWN_DRAIN_MAX_MS = 5_000;
/** `close()` stops accepting once no connection arrived for this long. */
const DRAIN_QUIET_MS = 25;

function readTlsFile(variable: 'TLS_CERT_FILE' | 'TLS_KEY_FILE', file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new ConfigError(`${variable}: cannot read "${file}": ${(error as Error).message}`);
  }
}

/** The HTTPS options, checked here so that a bad file is a configuration error naming it. */
function httpsOptions(tls: NonNullable<Config['tls']>) {
  const options = { cert: readTlsFile('TLS_CERT_FILE', tls.certFile), key: readTlsFile('TLS_KEY_FILE', tls.keyFile), minVersion: 'TLSv1.3' as const };
  try {
    createSecureContext(options);
  } catch (error) {
    throw new ConfigError(
      `TLS_CERT_FILE ("${tls.certFile}") and TLS_KEY_FILE ("${tls.keyFile}") must be a PEM certificate and its private key: ${(error as Error).message}`,
    );
  }
  return options;
}

/**
 * Closing the listening socket resets every connection still waiting in the kernel's accept
 * queue, and Node drops accepted connections whose request it has not parsed yet: both are
 * requests a client has already sent. So, before closing, keep accepting until no new connection
 * has arrived for a moment (at most `maxMs`); what is accepted meanwhile is served normally.
 */
async function drainPendingConnections(server: Server, maxMs: number): Promise<{ ms: number; arrivals: number; capped: boolean }> {
  const started = Date.now();
  let arrivals = 0;
  if (!server.listening) return { ms: 0, arrivals, capped: false };
  const arrived = () => {
    arrivals += 1;
  };
  server.on('connection', arrived);
  server.on('secureConnection', arrived);
  try {
    let seen = -1;
    while (seen !== arrivals && Date.now() - started < maxMs) {
      seen = arrivals;
      await new Promise((resolve) => setTimeout(resolve, DRAIN_QUIET_MS));
      // A timer can fire before the loop polls again: make sure one poll (accepts, reads) ran.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return { ms: Date.now() - started, arrivals, capped: seen !== arrivals };
  } finally {
    server.off('connection', arrived);
    server.off('secureConnection', arrived);
  }
}

/** The listen failure as one line naming PORT/HOST (exit 1 when another process may free it, 2 when a setting is wrong). */
function listenError(config: Config, error: unknown): StartupError | null {
  const code = (error as { code?: unknown } | null)?.code;
  const where = `PORT ${config.port} on HOST ${config.host}`;
  if (code === 'EADDRINUSE') return new StartupError(`${where}: the address is already in use (another process listens there)`, 1, { cause: error });
  if (code === 'EACCES') return new StartupError(`${where}: permission denied (ports below 1024 need privileges)`, 2, { cause: error });
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return new StartupError(`${where}: HOST is not an address of this machine`, 2, { cause: error });
  return null;
}

/**
 * Fails fast when the port cannot be bound, before the database is opened and the rank index rebuilt
 * (seconds on a large board): the real listen comes after, and reports the same way if it loses a race.
 */
async function assertCanListen(config: Config): Promise<void> {
  if (config.port === 0) return;
  const probe = createNetServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error) => reject(listenError(config, error) ?? error));
    probe.listen({ port: config.port, host: config.host, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/** Builds everything from the configuration and listens. */
export async function startServer(baseConfig: Config): Promise<RunningServer> {
  const secrets = resolveSecrets(baseConfig);
  const config = withSecrets(baseConfig, secrets);
  const https = config.tls ? httpsOptions(config.tls) : null;
  await assertCanListen(config);
  const logger = createLogger(config);
  const backends = await createBackends(config, logger);
  let app: FastifyInstance;
  try {
    app = await buildApp(config, backends, { https, logger });
    await app.listen({ port: config.port, host: config.host }).catch((error: unknown) => {
      throw listenError(config, error) ?? error;
    });
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
    const token = createTokenSigner(config.jwtSecret!, config.jwtExpiry, config.tokens)({ userId: 'dev-player', username: 'Dev Player' });
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
        // Readiness turns 503 first, so that load balancers stop sending while the queue drains.
        app.lifecycle.shuttingDown = true;
        const drained = await drainPendingConnections(app.server, SHUTDOWN_DRAIN_MAX_MS);
        app.log[drained.capped ? 'warn' : 'info'](
          drained,
          drained.capped ? 'connections were still arriving; stopped accepting anyway' : 'stopped accepting connections',
        );
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
