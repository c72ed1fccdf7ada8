import type { ServerOptions } from 'node:http';
import type { Config } from '../config.js';

/**
 * A connection on which no byte moves either way for this long is closed. Longer than a Socket.IO
 * long-polling request is held open without traffic (the 25 s ping interval, plus its 20 s
 * timeout), so polling clients are never cut; WebSocket connections leave Node's HTTP handling
 * at the upgrade and are kept alive by Socket.IO's pings instead.
 */
export const SOCKET_IDLE_TIMEOUT_MS = 60_000;

/** The longest pause between two checks of the header and request timeouts. */
const MAX_CHECK_INTERVAL_MS = 1000;
/** The shortest: each check walks every connection still receiving a request. */
const MIN_CHECK_INTERVAL_MS = 100;

export interface HttpServerOptions {
  /** For `http.createServer` (Fastify's `http`) and, with TLS, merged into the `https` options. */
  node: Pick<ServerOptions, 'headersTimeout' | 'requestTimeout' | 'connectionsCheckingInterval' | 'requireHostHeader'>;
  /** Fastify's own server options, which it applies to the server after creating it. */
  fastify: { requestTimeout: number; connectionTimeout: number };
}

/**
 * The timeouts that keep slow or silent clients from holding connections: the whole header block
 * within `headersTimeoutMs`, the whole request (a 16 KiB body at most) within `requestTimeoutMs`,
 * checked often enough that they bite within a fraction of themselves (Node's default checks every
 * 30 s). Fastify sets `requestTimeout` on the server after creating it (0 would switch it off), so
 * it is given to Fastify as well.
 */
export function httpServerOptions(http: Config['http']): HttpServerOptions {
  const checkEveryMs = Math.min(MAX_CHECK_INTERVAL_MS, Math.max(MIN_CHECK_INTERVAL_MS, Math.floor(http.headersTimeoutMs / 4)));
  return {
    node: {
      headersTimeout: http.headersTimeoutMs,
      requestTimeout: http.requestTimeoutMs,
      connectionsCheckingInterval: checkEveryMs,
      // Node would answer a missing Host with a bare 400; the app answers it in the envelope.
      requireHostHeader: false,
    },
    fastify: { requestTimeout: http.requestTimeoutMs, connectionTimeout: SOCKET_IDLE_TIMEOUT_MS },
  };
}
