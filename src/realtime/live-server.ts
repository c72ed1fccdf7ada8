import type { IncomingMessage } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { Server, type Socket } from 'socket.io';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { Config } from '../config.js';
import type { ClientToServerEvents, ServerToClientEvents, SocketData } from './realtime-events.js';

export type LiveServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
export type LiveSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

/** How long a disconnected client's rooms and missed events are kept for it to recover. */
const RECOVERY_WINDOW_MS = 2 * 60 * 1000;

export interface LiveServerOptions {
  app: FastifyInstance;
  config: Pick<Config, 'corsOrigins' | 'redis'>;
  /** The backends' Redis client (null in embedded mode): the adapter reads and writes on duplicates of it. */
  redis: Redis | null;
  log: FastifyBaseLogger;
  /** Decides whether a new session (polling or WebSocket handshake) may open. */
  allowRequest?: (request: IncomingMessage, callback: (error: string | null | undefined, success: boolean) => void) => void;
}

/**
 * Records every connection the Socket.IO adapter opens from `redis`, so that a shutdown can close
 * them whatever they are waiting for.
 */
function trackDuplicates(redis: Redis): Redis[] {
  const clients: Redis[] = [];
  const duplicate = redis.duplicate.bind(redis);
  redis.duplicate = (override) => {
    const client = duplicate(override);
    clients.push(client);
    return client;
  };
  return clients;
}

/**
 * Socket.IO on the app's HTTP server at `/socket.io`. With Redis, the Redis streams adapter carries
 * room events to every instance and keeps connection-state recovery working across them. `close`
 * stops the adapter's Redis reads (the HTTP server itself is Fastify's to close).
 */
export function createLiveServer(options: LiveServerOptions): { io: LiveServer; close: () => Promise<void> } {
  const { config, log } = options;
  let adapterRedis: Redis | null = null;
  let adapterClients: Redis[] = [];
  if (options.redis && config.redis) {
    // Its own connection: the adapter blocks on XREAD and must queue through short outages (the
    // backends' client fails fast instead).
    adapterRedis = options.redis.duplicate({
      lazyConnect: false,
      enableOfflineQueue: true,
      enableAutoPipelining: false,
      maxRetriesPerRequest: null,
      commandTimeout: undefined,
      connectTimeout: 10_000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    adapterRedis.on('error', (error: Error) => log.debug({ err: error }, 'socket.io adapter redis error'));
    adapterClients = trackDuplicates(adapterRedis);
  }
  const io: LiveServer = new Server(options.app.server, {
    path: '/socket.io',
    serveClient: true,
    cors: config.corsOrigins.length > 0 ? { origin: config.corsOrigins, credentials: true } : undefined,
    connectionStateRecovery: { maxDisconnectionDuration: RECOVERY_WINDOW_MS, skipMiddlewares: true },
    ...(options.allowRequest ? { allowRequest: options.allowRequest } : {}),
    ...(adapterRedis
      ? {
          adapter: createAdapter(adapterRedis, {
            streamName: `${config.redis!.keyPrefix}socket.io`,
            sessionKeyPrefix: `${config.redis!.keyPrefix}sio:session:`,
            channelPrefix: `${config.redis!.keyPrefix}socket.io`,
            onlyPlaintext: true,
          }),
        }
      : {}),
  });
  return {
    io,
    async close() {
      await io.of('/').adapter.close?.();
      adapterRedis?.disconnect();
      // The adapter's stream reader waits for Redis while it is away and only then closes its client.
      for (const client of adapterClients) client.disconnect();
    },
  };
}
