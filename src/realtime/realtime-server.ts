import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { Server, type Socket } from 'socket.io';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { TokenVerifier } from '../auth/jwt.js';
import type { Principal } from '../auth/principal.js';
import type { PubSub } from '../cache/pub-sub.js';
import type { Config } from '../config.js';
import type { SuspiciousActivity } from '../db/integrity-store.js';
import type { LeaderboardService, TopSnapshot } from '../leaderboard/leaderboard-service.js';
import { toLeaderboardEntry } from '../leaderboard/rank-entry.js';
import type { IntegrityService } from '../integrity/integrity-service.js';
import type { Metrics } from '../metrics/metrics.js';
import type { AppliedScoreEvent, ScoreService } from '../scores/score-service.js';
import type { UserProvisioner } from '../users/user-provisioner.js';
import { LeaderboardBroadcaster, type TopCause } from './leaderboard-broadcaster.js';
import { SignedInPlayers } from './signed-in-players.js';
import {
  rooms,
  type ClientToServerEvents,
  type LegacyEventPayload,
  type Protocol,
  type ServerToClientEvents,
  type SocketData,
} from './realtime-events.js';

type LiveServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type LiveSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

export interface RealtimeOptions {
  app: FastifyInstance;
  config: Pick<Config, 'leaderboardPublic' | 'broadcastIntervalMs' | 'corsOrigins' | 'redis'>;
  verifyToken: TokenVerifier;
  users: UserProvisioner;
  leaderboard: LeaderboardService;
  scores: ScoreService;
  integrity?: IntegrityService;
  pubsub: PubSub;
  log: FastifyBaseLogger;
  metrics?: Metrics;
}

export interface RealtimeServer {
  io: LiveServer;
  /** Sockets connected to this instance. */
  connectionCount(): number;
}

/** How long a disconnected client's rooms and missed events are kept for it to recover. */
const RECOVERY_WINDOW_MS = 2 * 60 * 1000;

function legacyPayload(event: LegacyEventPayload['event'], cause: TopCause | null, timestamp: string): LegacyEventPayload {
  return {
    event,
    userId: cause?.userId ?? null,
    newScore: cause?.newScore ?? null,
    scoreIncrease: cause?.increment ?? null,
    newRank: cause?.rank ?? null,
    timestamp,
  };
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
 * Socket.IO on the app's HTTP server (path `/socket.io`): authentication, rooms, the coalesced
 * top-10 broadcast and each player's own events. With Redis, the Redis streams adapter carries
 * room events to every instance and keeps connection-state recovery working across them.
 */
export async function attachRealtime(options: RealtimeOptions): Promise<RealtimeServer> {
  const { app, config, leaderboard, scores, log } = options;
  let adapterRedis: Redis | null = null;
  let adapterClients: Redis[] = [];
  if (config.redis) {
    // Its own connection: the adapter blocks on XREAD and must queue through short outages.
    adapterRedis = new Redis(config.redis.url, { maxRetriesPerRequest: null, retryStrategy: (attempt) => Math.min(attempt * 200, 2000) });
    adapterRedis.on('error', (error: Error) => log.debug({ err: error }, 'socket.io adapter redis error'));
    adapterClients = trackDuplicates(adapterRedis);
  }
  const io: LiveServer = new Server(app.server, {
    path: '/socket.io',
    serveClient: true,
    cors: config.corsOrigins.length > 0 ? { origin: config.corsOrigins, credentials: true } : undefined,
    connectionStateRecovery: { maxDisconnectionDuration: RECOVERY_WINDOW_MS, skipMiddlewares: true },
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

  const snapshotPayload = (snapshot: TopSnapshot, seq: number) => ({
    leaderboard: snapshot.entries.map(toLeaderboardEntry),
    timestamp: new Date().toISOString(),
    seq,
  });

  const broadcaster = new LeaderboardBroadcaster({
    leaderboard,
    pubsub: options.pubsub,
    intervalMs: config.broadcastIntervalMs,
    instanceId: randomUUID(),
    log,
    // One payload per broadcast; Socket.IO encodes a room broadcast once for all its sockets.
    // `local`: every instance broadcasts to its own sockets, after reading the shared top itself.
    send(snapshot, seq, cause) {
      options.metrics?.broadcast();
      const payload = snapshotPayload(snapshot, seq);
      io.local.to(rooms.leaderboard('v1')).emit('leaderboard:update', payload);
      io.local
        .to(rooms.leaderboard('legacy'))
        .emit('leaderboard_changed', { ...legacyPayload('leaderboard_changed', cause, payload.timestamp), leaderboard: payload.leaderboard });
    },
  });
  await broadcaster.start();

  function sendSnapshot(socket: LiveSocket): void {
    const { snapshot, seq } = broadcaster.current();
    const payload = snapshotPayload(snapshot, seq);
    if (socket.data.protocol === 'legacy') {
      socket.emit('leaderboard_changed', { ...legacyPayload('leaderboard_changed', null, payload.timestamp), leaderboard: payload.leaderboard });
    } else {
      socket.emit('leaderboard:update', payload);
    }
  }

  const signedIn = new SignedInPlayers({
    pubsub: options.pubsub,
    local: function* () {
      for (const room of io.of('/').adapter.rooms.keys()) {
        if (room.startsWith('user:')) yield room.slice('user:'.length);
        else if (room.startsWith('legacy:user:')) yield room.slice('legacy:user:'.length);
      }
    },
  });
  await signedIn.start();

  async function signIn(socket: LiveSocket, principal: Principal): Promise<void> {
    await options.users.ensure(principal);
    signedIn.signedIn(principal.userId);
    const { protocol } = socket.data;
    if (socket.data.userId && socket.data.userId !== principal.userId) await socket.leave(rooms.user(protocol, socket.data.userId));
    socket.data.userId = principal.userId;
    await socket.join(rooms.user(protocol, principal.userId));
    if (principal.isAdmin && protocol === 'v1') await socket.join(rooms.admin);
  }

  async function joinLeaderboard(socket: LiveSocket): Promise<void> {
    const room = rooms.leaderboard(socket.data.protocol);
    if (socket.rooms.has(room)) return;
    await socket.join(room);
    sendSnapshot(socket);
  }

  io.use((socket, next) => {
    const auth = (socket.handshake.auth ?? {}) as { token?: unknown; protocol?: unknown };
    const protocol: Protocol = auth.protocol === 'legacy' ? 'legacy' : 'v1';
    socket.data = { protocol, userId: null };
    if (auth.token === undefined || auth.token === null || auth.token === '') return next();
    if (typeof auth.token !== 'string') return next(new Error('UNAUTHORIZED'));
    let principal: Principal;
    try {
      principal = options.verifyToken(auth.token);
    } catch {
      return next(new Error('UNAUTHORIZED'));
    }
    signIn(socket as LiveSocket, principal).then(
      () => next(),
      (error: unknown) => {
        log.warn({ err: error }, 'socket sign-in failed');
        next(new Error('UNAVAILABLE'));
      },
    );
  });

  io.on('connection', (socket) => {
    // A recovered socket got its rooms and missed events back; a snapshot still resynchronises it.
    const authenticated = socket.data.userId !== null;
    if (authenticated || config.leaderboardPublic) void joinLeaderboard(socket);
    else if (socket.recovered) sendSnapshot(socket);

    socket.on('authenticate', (payload, ack) => {
      const reply = typeof ack === 'function' ? ack : () => undefined;
      const token = payload && typeof payload === 'object' ? payload.token : undefined;
      if (typeof token !== 'string' || token === '') return reply({ ok: false, error: 'UNAUTHORIZED' });
      let principal: Principal;
      try {
        principal = options.verifyToken(token);
      } catch {
        return reply({ ok: false, error: 'UNAUTHORIZED' });
      }
      signIn(socket, principal)
        .then(() => joinLeaderboard(socket))
        .then(
          () => reply({ ok: true, userId: principal.userId }),
          () => reply({ ok: false, error: 'UNAVAILABLE' }),
        );
    });
  });

  const onApplied = (event: AppliedScoreEvent) => {
    const { userId } = event;
    const cause: TopCause = { userId, newScore: event.newScore, increment: event.increment, rank: event.rank, timestamp: event.timestamp };
    if (event.rank <= leaderboard.topSize || (event.previousRank !== null && event.previousRank <= leaderboard.topSize)) {
      broadcaster.noteCause(cause);
    }
    // Nobody to tell: each emit below is a write to the Redis stream that every instance reads.
    if (!signedIn.has(userId)) return;
    io.to(rooms.user('v1', userId)).emit('score:updated', { userId, newScore: event.newScore, increment: event.increment });
    const moved = event.previousRank !== event.rank;
    if (moved) {
      io.to(rooms.user('v1', userId)).emit('rank:changed', { userId, newRank: event.rank, oldRank: event.previousRank, newScore: event.newScore });
    }
    const legacyRoom = io.to(rooms.user('legacy', userId));
    legacyRoom.emit('score_updated', legacyPayload('score_updated', cause, event.timestamp));
    if (moved) legacyRoom.emit('user_position_changed', legacyPayload('user_position_changed', cause, event.timestamp));
  };
  scores.on('applied', onApplied);
  const onFlagged = (flag: SuspiciousActivity & { frozen: boolean }) => {
    io.to(rooms.admin).emit('suspicious:flagged', {
      id: flag.id,
      userId: flag.userId,
      reason: flag.reason,
      details: flag.details,
      createdAt: flag.createdAt.toISOString(),
      frozen: flag.frozen,
    });
  };
  options.integrity?.on('flagged', onFlagged);

  app.addHook('preClose', async () => {
    scores.off('applied', onApplied);
    options.integrity?.off('flagged', onFlagged);
    await broadcaster.stop();
    await signedIn.stop();
    // Open sockets would keep the HTTP server from closing.
    io.local.disconnectSockets(true);
    io.engine.close();
  });
  app.addHook('onClose', async () => {
    // The adapter's Redis reads stop here; the HTTP server itself is Fastify's to close.
    await io.of('/').adapter.close?.();
    adapterRedis?.disconnect();
    // The adapter's stream reader waits for Redis while it is away and only then closes its client.
    for (const client of adapterClients) client.disconnect();
  });

  return { io, connectionCount: () => io.engine.clientsCount };
}
