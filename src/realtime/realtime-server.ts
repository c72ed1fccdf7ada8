import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { TokenVerifier } from '../auth/jwt.js';
import type { PubSub } from '../cache/pub-sub.js';
import type { Config } from '../config.js';
import type { BoardCatalogue } from '../boards/board-catalogue.js';
import type { BoardRankings } from '../boards/board-rankings.js';
import type { BoardSubmissions } from '../boards/board-submissions.js';
import type { LeaderboardService } from '../boards/leaderboard-service.js';
import type { IntegrityService } from '../integrity/integrity-service.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ScoreService } from '../scores/score-service.js';
import type { UserProvisioner } from '../users/user-provisioner.js';
import { BoardBroadcasts } from './board-broadcasts.js';
import { handleBoardSubscriptions, resyncBoards, watchRanksOfHeldBoards, type BoardSubscriptionsOptions } from './board-subscriptions.js';
import { relayDomainEvents } from './domain-relay.js';
import { startGlobalBroadcast, type GlobalBroadcast } from './global-broadcast.js';
import { createLiveAdmission } from './live-admission.js';
import { createLiveServer, type LiveServer, type LiveSocket } from './live-server.js';
import { startPlayerWatch, type PlayerWatch } from './player-watch.js';
import { createSocketSignIn } from './socket-sign-in.js';
import { handleAuthenticate, useHandshakeAuth, type SocketAuthOptions } from './socket-auth.js';

export interface RealtimeOptions {
  app: FastifyInstance;
  config: Pick<Config, 'leaderboardPublic' | 'broadcastIntervalMs' | 'rankWatchIntervalMs' | 'corsOrigins' | 'redis' | 'sockets' | 'trustProxy'>;
  /** The backends' Redis client, null in embedded mode. */
  redis: Redis | null;
  verifyToken: TokenVerifier;
  users: UserProvisioner;
  leaderboard: LeaderboardService;
  scores: ScoreService;
  integrity?: IntegrityService;
  /** The boards domain: which boards exist, their rankings per period, direct submissions. */
  boards: { catalogue: BoardCatalogue; rankings: BoardRankings; submissions?: BoardSubmissions };
  pubsub: PubSub;
  log: FastifyBaseLogger;
  metrics?: Metrics;
  /** The clock board periods are read with (the boards domain's). @default Date.now */
  now?: () => number;
}

export interface RealtimeServer {
  io: LiveServer;
  /** Sockets connected to this instance. */
  connectionCount(): number;
}

/**
 * Socket.IO on the app's HTTP server, assembled from its parts: admission (a cap per address, the
 * engine's refusals in the envelope, slow readers cut), the global top-10 broadcast, the board
 * broadcasts and subscriptions, the players with a socket and the watchers that tell them when
 * others pass them, sign-in, and the relay of the domain's events.
 */
export async function attachRealtime(options: RealtimeOptions): Promise<RealtimeServer> {
  const { app, config, log, metrics } = options;
  const admission = createLiveAdmission({ config, log, metrics });
  const live = createLiveServer({ app, config, redis: options.redis, log, allowRequest: admission.allowRequest });
  const { io } = live;
  admission.guard(io);

  const { pubsub } = options;
  let boards: BoardBroadcasts | null = null;
  const global = await startGlobalBroadcast({ io, leaderboard: options.leaderboard, pubsub, intervalMs: config.broadcastIntervalMs, log, metrics, onBroadcast: (snapshot, seq) => boards?.sendGlobal(snapshot, seq) });
  boards = new BoardBroadcasts({ io, ...options.boards, pubsub, global: global.broadcaster, intervalMs: config.broadcastIntervalMs, rankWatchIntervalMs: config.rankWatchIntervalMs, log, metrics, now: options.now });
  await boards.start();
  const subscriptions: BoardSubscriptionsOptions = { catalogue: options.boards.catalogue, broadcasts: boards, leaderboardPublic: config.leaderboardPublic, log };
  const players = await startPlayerWatch({
    io,
    pubsub,
    ranksOf: (userIds) => options.leaderboard.ranksOf(userIds),
    intervalMs: config.rankWatchIntervalMs,
    onBoardRankTold: (told) => boards?.noteRankTold(told),
    log,
    metrics,
  });
  const auth: SocketAuthOptions = {
    verifyToken: options.verifyToken,
    signIn: createSocketSignIn({ users: options.users, players }),
    afterSignIn: async (socket) => {
      watchRanksOfHeldBoards(socket, subscriptions);
      await global.join(socket);
    },
    log,
    onTooManyFailures: () => metrics?.socketDisconnected('failed_sign_ins'),
  };
  useHandshakeAuth(io, auth);
  io.on('connection', (socket) => onConnection(socket, { config, global, players, auth, subscriptions }));

  const { scores, integrity } = options;
  const detach = relayDomainEvents({ io, leaderboard: options.leaderboard, scores, integrity, submissions: options.boards.submissions, broadcaster: global.broadcaster, signedIn: players.signedIn });
  app.addHook('preClose', async () => {
    detach();
    admission.stop();
    await players.stop();
    await boards?.stop();
    await global.stop();
    // Open sockets would keep the HTTP server from closing.
    io.local.disconnectSockets(true);
    io.engine.close();
  });
  app.addHook('onClose', () => live.close());

  return { io, connectionCount: () => io.engine.clientsCount };
}

interface ConnectionParts {
  config: Pick<Config, 'leaderboardPublic'>;
  global: GlobalBroadcast;
  players: PlayerWatch;
  auth: SocketAuthOptions;
  subscriptions: BoardSubscriptionsOptions;
}

/** A socket that passed the handshake: its leaderboard room and snapshot, and its events. */
function onConnection(socket: LiveSocket, parts: ConnectionParts): void {
  const { config, global, players, auth, subscriptions } = parts;
  // A recovered socket skipped the handshake sign-in (and its listener) but kept its user.
  if (socket.recovered && socket.data.userId !== null) players.followRanksTold(socket);
  // A recovered socket got its rooms and missed events back; a snapshot still resynchronises it.
  if (socket.data.userId !== null || config.leaderboardPublic) void global.join(socket);
  else if (socket.recovered) global.sendSnapshot(socket);
  handleAuthenticate(socket, auth);
  handleBoardSubscriptions(socket, subscriptions);
  if (socket.recovered) void resyncBoards(socket, subscriptions).catch((error: unknown) => subscriptions.log.warn({ err: error }, 'resynchronising a recovered socket’s boards failed'));
}
