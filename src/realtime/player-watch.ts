import type { FastifyBaseLogger } from 'fastify';
import { GLOBAL_BOARD_ID } from '../boards/board.js';
import type { RankedEntry } from '../boards/rank-entry.js';
import type { PubSub } from '../cache/pub-sub.js';
import type { Metrics } from '../metrics/metrics.js';
import type { LiveServer, LiveSocket } from './live-server.js';
import { rankToldIn, sendMove } from './player-events.js';
import { RankWatcher } from './rank-watcher.js';
import { SignedInPlayers } from './signed-in-players.js';

export interface PlayerWatchOptions {
  io: LiveServer;
  pubsub: PubSub;
  /** The global board's ranks of many players (LeaderboardService.ranksOf). */
  ranksOf: (userIds: readonly string[]) => Promise<Map<string, RankedEntry> | null>;
  intervalMs: number;
  /** A rank event of a board other than global reached a socket (the board's own watcher notes it). */
  onBoardRankTold?: (told: { userId: string; rank: number; boardId: string; periodId: string }) => void;
  log: FastifyBaseLogger;
  metrics?: Metrics;
}

/** Which players have a socket (here and on other instances), and the watcher that tells them when others pass them. */
export interface PlayerWatch {
  signedIn: SignedInPlayers;
  watcher: RankWatcher;
  /** Whatever rank event reaches this socket (from any instance) is a rank its player now knows. */
  followRanksTold(socket: LiveSocket): void;
  stop(): Promise<void>;
}

export async function startPlayerWatch(options: PlayerWatchOptions): Promise<PlayerWatch> {
  const { io } = options;
  const signedIn = new SignedInPlayers({ pubsub: options.pubsub, local: () => localPlayers(io) });
  await signedIn.start();
  const watcher = new RankWatcher({
    ranksOf: options.ranksOf,
    players: () => signedIn.localPlayers(),
    tell: (move) => sendMove(io, move),
    intervalMs: options.intervalMs,
    log: options.log,
    metrics: options.metrics,
  });
  watcher.start();
  return {
    signedIn,
    watcher,
    followRanksTold(socket) {
      socket.onAnyOutgoing((event: string, payload: unknown) => {
        const told = rankToldIn(event, payload);
        if (!told) return;
        if (told.boardId === GLOBAL_BOARD_ID) watcher.noteTold(told.userId, told.rank);
        else options.onBoardRankTold?.(told);
      });
    },
    async stop() {
      await watcher.stop();
      await signedIn.stop();
    },
  };
}

/** Players with a signed-in socket on this instance: the user rooms of the local adapter. */
function* localPlayers(io: LiveServer): Iterable<string> {
  for (const room of io.of('/').adapter.rooms.keys()) {
    if (room.startsWith('user:')) yield room.slice('user:'.length);
    else if (room.startsWith('legacy:user:')) yield room.slice('legacy:user:'.length);
  }
}
