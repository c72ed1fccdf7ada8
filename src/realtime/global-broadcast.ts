import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { LeaderboardService, TopSnapshot } from '../boards/leaderboard-service.js';
import type { PubSub } from '../cache/pub-sub.js';
import type { Metrics } from '../metrics/metrics.js';
import { LeaderboardBroadcaster } from './leaderboard-broadcaster.js';
import type { LiveServer, LiveSocket } from './live-server.js';
import { legacyPayload, snapshotPayload } from './live-payloads.js';
import { rooms } from './realtime-events.js';

export interface GlobalBroadcastOptions {
  io: LiveServer;
  leaderboard: LeaderboardService;
  pubsub: PubSub;
  intervalMs: number;
  /** After each broadcast (the global board's board:update subscribers). */
  onBroadcast?: (snapshot: TopSnapshot, seq: number) => void;
  log: FastifyBaseLogger;
  metrics?: Metrics;
}

/** The global board's live top: `leaderboard:update` (and legacy `leaderboard_changed`) to the leaderboard rooms. */
export interface GlobalBroadcast {
  broadcaster: LeaderboardBroadcaster;
  /** Joins the socket to its protocol's leaderboard room (once) and sends it the snapshot. */
  join(socket: LiveSocket): Promise<void>;
  /** The last broadcast, to one socket (a connect, a recovered connection). */
  sendSnapshot(socket: LiveSocket): void;
  stop(): Promise<void>;
}

export async function startGlobalBroadcast(options: GlobalBroadcastOptions): Promise<GlobalBroadcast> {
  const { io } = options;
  const broadcaster = new LeaderboardBroadcaster({
    leaderboard: options.leaderboard,
    pubsub: options.pubsub,
    intervalMs: options.intervalMs,
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
      options.onBroadcast?.(snapshot, seq);
    },
  });
  await broadcaster.start();
  const sendSnapshot = (socket: LiveSocket) => {
    const { snapshot, seq } = broadcaster.current();
    const payload = snapshotPayload(snapshot, seq);
    if (socket.data.protocol === 'legacy') {
      socket.emit('leaderboard_changed', { ...legacyPayload('leaderboard_changed', null, payload.timestamp), leaderboard: payload.leaderboard });
    } else {
      socket.emit('leaderboard:update', payload);
    }
  };
  return {
    broadcaster,
    sendSnapshot,
    async join(socket) {
      const room = rooms.leaderboard(socket.data.protocol);
      if (socket.rooms.has(room)) return;
      await socket.join(room);
      sendSnapshot(socket);
    },
    stop: () => broadcaster.stop(),
  };
}
