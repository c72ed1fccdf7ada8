import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { LeaderboardService, TopSnapshot } from '../boards/leaderboard-service.js';
import type { PubSub } from '../cache/pub-sub.js';
import type { Metrics } from '../metrics/metrics.js';
import { LeaderboardBroadcaster } from './leaderboard-broadcaster.js';
import type { LiveServer, LiveSocket } from './live-server.js';
import { legacyPayload, snapshotPayload } from './live-payloads.js';
import { rooms } from './realtime-events.js';
import { emitThroughAdapter, emitToSocket } from './socket-emit.js';

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
  /** The last broadcast as this socket's protocol names it. */
  const snapshotOf = (socket: LiveSocket) => {
    const { snapshot, seq } = broadcaster.current();
    const payload = snapshotPayload(snapshot, seq);
    return { seq, legacy: { ...legacyPayload('leaderboard_changed', null, payload.timestamp), leaderboard: payload.leaderboard }, payload };
  };
  const sendSnapshot = (socket: LiveSocket) => {
    const { legacy, payload } = snapshotOf(socket);
    if (socket.data.protocol === 'legacy') emitToSocket(socket, 'leaderboard_changed', legacy);
    else emitToSocket(socket, 'leaderboard:update', payload);
  };
  return {
    broadcaster,
    sendSnapshot,
    /**
     * The snapshot first, through the adapter (with the Redis adapter it then carries the offset a
     * dropped connection is recovered from), then the room; a broadcast sent meanwhile is made up
     * for at once, locally, so that nothing older can follow anything newer.
     */
    async join(socket) {
      const room = rooms.leaderboard(socket.data.protocol);
      if (socket.rooms.has(room)) return;
      const first = snapshotOf(socket);
      if (socket.data.protocol === 'legacy') await emitThroughAdapter(socket, 'leaderboard_changed', first.legacy);
      else await emitThroughAdapter(socket, 'leaderboard:update', first.payload);
      if (socket.rooms.has(room) || socket.disconnected) return;
      await socket.join(room);
      if (broadcaster.current().seq !== first.seq) sendSnapshot(socket);
    },
    stop: () => broadcaster.stop(),
  };
}
