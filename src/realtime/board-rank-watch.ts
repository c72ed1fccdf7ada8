import type { FastifyBaseLogger } from 'fastify';
import type { Period } from '../boards/board-periods.js';
import type { LeaderboardService } from '../boards/leaderboard-service.js';
import type { Metrics } from '../metrics/metrics.js';
import type { LiveServer } from './live-server.js';
import { sendMove } from './player-events.js';
import { RankWatcher } from './rank-watcher.js';
import { rooms } from './realtime-events.js';

export interface BoardRankWatchOptions {
  io: LiveServer;
  boardId: string;
  /** The board's current period and its ranking. */
  current: () => { period: Period; ranking: LeaderboardService };
  intervalMs: number;
  log: FastifyBaseLogger;
  metrics?: Metrics;
}

/** The rank watcher of one board, over the signed-in players whose sockets here subscribe to it. */
export interface BoardRankWatch {
  /** A rank of this board reached the player's socket (their own update's event). */
  noteTold(periodId: string, userId: string, rank: number): void;
  stop(): Promise<void>;
}

/**
 * Tells the board's subscribed players when others pass them, as the global watcher does: one
 * batched read of their ranks per interval. A new period starts over: the first read in it tells
 * nothing (nobody has a rank there yet to be passed from).
 */
export function watchBoardRanks(options: BoardRankWatchOptions): BoardRankWatch {
  const { io, boardId } = options;
  let watchedPeriodId: string | null = null;
  let readPeriod: Period | null = null;
  const watcher = new RankWatcher({
    ranksOf: async (userIds) => {
      const { period, ranking } = options.current();
      const ranks = await ranking.ranksOf(userIds);
      if (period.id !== watchedPeriodId) {
        watcher.forget();
        watchedPeriodId = period.id;
      }
      readPeriod = period;
      return ranks;
    },
    players: () => signedInSubscribers(io, boardId),
    tell: (move) => {
      if (readPeriod) sendMove(io, move, { boardId, period: readPeriod });
    },
    intervalMs: options.intervalMs,
    log: options.log,
    metrics: options.metrics,
  });
  watcher.start();
  return {
    noteTold(periodId, userId, rank) {
      if (periodId === watchedPeriodId) watcher.noteTold(userId, rank);
    },
    stop: () => watcher.stop(),
  };
}

/** Signed-in v1 sockets on this instance subscribed to the board: their players. */
function* signedInSubscribers(io: LiveServer, boardId: string): Iterable<string> {
  const namespace = io.of('/');
  for (const socketId of namespace.adapter.rooms.get(rooms.board(boardId)) ?? []) {
    const socket = namespace.sockets.get(socketId);
    if (socket?.data.userId && socket.data.protocol === 'v1') yield socket.data.userId;
  }
}
