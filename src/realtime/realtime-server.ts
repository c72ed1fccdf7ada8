import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { TokenVerifier } from '../auth/jwt.js';
import type { Principal } from '../auth/principal.js';
import type { PubSub } from '../cache/pub-sub.js';
import type { Config } from '../config.js';
import type { SuspiciousActivity } from '../db/integrity-store.js';
import { addressTrust } from '../http/client-address.js';
import type { LeaderboardService } from '../boards/leaderboard-service.js';
import type { IntegrityService } from '../integrity/integrity-service.js';
import type { Metrics } from '../metrics/metrics.js';
import type { AppliedScoreEvent, ScoreService } from '../scores/score-service.js';
import type { UserProvisioner } from '../users/user-provisioner.js';
import { answerEngineErrorsInEnvelope } from './engine-errors.js';
import { LeaderboardBroadcaster, type TopCause } from './leaderboard-broadcaster.js';
import { createLiveServer, type LiveServer, type LiveSocket } from './live-server.js';
import { legacyPayload, snapshotPayload } from './live-payloads.js';
import { rankToldIn, sendMove, sendOwnUpdate } from './player-events.js';
import { RankWatcher } from './rank-watcher.js';
import { rooms } from './realtime-events.js';
import { SignedInPlayers } from './signed-in-players.js';
import { SlowReaderGuard } from './slow-readers.js';
import { SocketAddressCap } from './socket-address-cap.js';
import { handleAuthenticate, useHandshakeAuth } from './socket-auth.js';

export interface RealtimeOptions {
  app: FastifyInstance;
  config: Pick<Config, 'leaderboardPublic' | 'broadcastIntervalMs' | 'rankWatchIntervalMs' | 'corsOrigins' | 'redis' | 'sockets' | 'trustProxy'>;
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

/**
 * Socket.IO on the app's HTTP server: admission (a cap per address, the engine's refusals in the
 * envelope, slow readers cut), sign-in, the coalesced top-10 broadcast, each player's own events
 * and the rank watcher that tells players when others pass them.
 */
export async function attachRealtime(options: RealtimeOptions): Promise<RealtimeServer> {
  const { app, config, log, metrics } = options;
  const cap = new SocketAddressCap({ maxPerAddress: config.sockets.maxPerIp, trust: addressTrust(config.trustProxy), onRefused: () => metrics?.socketRefused() });
  const live = createLiveServer({ app, config, log, allowRequest: cap.allowRequest });
  const { io } = live;
  cap.watch(io.engine);
  answerEngineErrorsInEnvelope(io.engine);
  const slowReaders = new SlowReaderGuard({
    // The engine's sessions by id (public in its JavaScript, protected in its typings).
    sessions: () => (io.engine as unknown as { clients: Record<string, unknown> }).clients,
    maxBufferedBytes: config.sockets.maxBufferedBytes,
    log,
    onDisconnect: () => metrics?.socketDisconnected('slow_reader'),
  });
  slowReaders.start();

  const broadcaster = await startBroadcaster(io, options);
  const signedIn = new SignedInPlayers({ pubsub: options.pubsub, local: () => localPlayers(io) });
  await signedIn.start();
  const watcher = new RankWatcher({
    ranksOf: (userIds) => options.leaderboard.ranksOf(userIds),
    players: () => signedIn.localPlayers(),
    tell: (move) => sendMove(io, move),
    intervalMs: config.rankWatchIntervalMs,
    log,
    metrics,
  });
  watcher.start();

  const joinLeaderboard = async (socket: LiveSocket) => {
    const room = rooms.leaderboard(socket.data.protocol);
    if (socket.rooms.has(room)) return;
    await socket.join(room);
    sendSnapshot(socket, broadcaster);
  };
  const signIn = async (socket: LiveSocket, principal: Principal) => {
    await options.users.ensure(principal);
    signedIn.signedIn(principal.userId);
    const { protocol } = socket.data;
    if (socket.data.userId && socket.data.userId !== principal.userId) await socket.leave(rooms.user(protocol, socket.data.userId));
    // Whatever rank event reaches this socket (from any instance) is a rank the player now knows.
    if (socket.data.userId === null) socket.onAnyOutgoing((event: string, payload: unknown) => noteRankTold(watcher, event, payload));
    socket.data.userId = principal.userId;
    await socket.join(rooms.user(protocol, principal.userId));
    if (principal.isAdmin && protocol === 'v1') await socket.join(rooms.admin);
  };
  const auth = { verifyToken: options.verifyToken, signIn, afterSignIn: joinLeaderboard, log, onTooManyFailures: () => metrics?.socketDisconnected('failed_sign_ins') };
  useHandshakeAuth(io, auth);

  io.on('connection', (socket) => {
    // A recovered socket skipped the handshake sign-in (and its listener) but kept its user.
    if (socket.recovered && socket.data.userId !== null) socket.onAnyOutgoing((event: string, payload: unknown) => noteRankTold(watcher, event, payload));
    // A recovered socket got its rooms and missed events back; a snapshot still resynchronises it.
    if (socket.data.userId !== null || config.leaderboardPublic) void joinLeaderboard(socket);
    else if (socket.recovered) sendSnapshot(socket, broadcaster);
    handleAuthenticate(socket, auth);
  });

  const detach = relayDomainEvents(io, options, broadcaster, signedIn);
  app.addHook('preClose', async () => {
    detach();
    slowReaders.stop();
    await watcher.stop();
    await broadcaster.stop();
    await signedIn.stop();
    // Open sockets would keep the HTTP server from closing.
    io.local.disconnectSockets(true);
    io.engine.close();
  });
  app.addHook('onClose', () => live.close());

  return { io, connectionCount: () => io.engine.clientsCount };
}

function noteRankTold(watcher: RankWatcher, event: string, payload: unknown): void {
  const told = rankToldIn(event, payload);
  if (told) watcher.noteTold(told.userId, told.rank);
}

/** Players with a signed-in socket on this instance: the user rooms of the local adapter. */
function* localPlayers(io: LiveServer): Iterable<string> {
  for (const room of io.of('/').adapter.rooms.keys()) {
    if (room.startsWith('user:')) yield room.slice('user:'.length);
    else if (room.startsWith('legacy:user:')) yield room.slice('legacy:user:'.length);
  }
}

function sendSnapshot(socket: LiveSocket, broadcaster: LeaderboardBroadcaster): void {
  const { snapshot, seq } = broadcaster.current();
  const payload = snapshotPayload(snapshot, seq);
  if (socket.data.protocol === 'legacy') {
    socket.emit('leaderboard_changed', { ...legacyPayload('leaderboard_changed', null, payload.timestamp), leaderboard: payload.leaderboard });
  } else {
    socket.emit('leaderboard:update', payload);
  }
}

async function startBroadcaster(io: LiveServer, options: RealtimeOptions): Promise<LeaderboardBroadcaster> {
  const broadcaster = new LeaderboardBroadcaster({
    leaderboard: options.leaderboard,
    pubsub: options.pubsub,
    intervalMs: options.config.broadcastIntervalMs,
    instanceId: randomUUID(),
    log: options.log,
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
  return broadcaster;
}

/** Applied updates and integrity flags, to the sockets that want them; returns the detach. */
function relayDomainEvents(io: LiveServer, options: RealtimeOptions, broadcaster: LeaderboardBroadcaster, signedIn: SignedInPlayers): () => void {
  const { leaderboard, scores, integrity } = options;
  const onApplied = (event: AppliedScoreEvent) => {
    const cause: TopCause = { userId: event.userId, newScore: event.newScore, increment: event.increment, rank: event.rank, timestamp: event.timestamp };
    if (event.rank <= leaderboard.topSize || (event.previousRank !== null && event.previousRank <= leaderboard.topSize)) {
      broadcaster.noteCause(cause);
    }
    // Nobody to tell: each emit is a write to the Redis stream that every instance reads.
    if (signedIn.has(event.userId)) sendOwnUpdate(io, event, cause);
  };
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
  scores.on('applied', onApplied);
  integrity?.on('flagged', onFlagged);
  return () => {
    scores.off('applied', onApplied);
    integrity?.off('flagged', onFlagged);
  };
}
