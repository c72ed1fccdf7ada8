import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { BoardCatalogue, BoardCatalogueEvents } from '../boards/board-catalogue.js';
import { ALL_TIME, type Period } from '../boards/board-periods.js';
import type { BoardRankings, BoardRankingsEvents } from '../boards/board-rankings.js';
import { GLOBAL_BOARD_ID, type Board } from '../boards/board.js';
import type { LeaderboardService, TopSnapshot } from '../boards/leaderboard-service.js';
import type { PubSub } from '../cache/pub-sub.js';
import type { Metrics } from '../metrics/metrics.js';
import { watchBoardRanks, type BoardRankWatch } from './board-rank-watch.js';
import { LeaderboardBroadcaster } from './leaderboard-broadcaster.js';
import type { LiveServer } from './live-server.js';
import { boardUpdatePayload } from './live-payloads.js';
import { boardOfRoom, rooms, type BoardUpdatePayload } from './realtime-events.js';
import { WatchedBoards } from './watched-boards.js';

/** The channel (under REDIS_KEY_PREFIX) on which instances tell each other that a board's top moved. */
export const boardChannel = (boardId: string) => `board:changed:${boardId}`;

/** The longest setTimeout takes (about 24.8 days); a longer period is waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface BoardBroadcastsOptions {
  io: LiveServer;
  catalogue: Pick<BoardCatalogue, 'get' | 'on' | 'off'>;
  rankings: Pick<BoardRankings, 'current' | 'on' | 'off'>;
  pubsub: PubSub;
  /** The global board's broadcaster: board:update for `global` shares its seq with leaderboard:update. */
  global: LeaderboardBroadcaster;
  intervalMs: number;
  rankWatchIntervalMs: number;
  log: FastifyBaseLogger;
  metrics?: Metrics;
  /** The clock periods are read with (the boards domain's). @default Date.now */
  now?: () => number;
  /** How often this instance repeats which boards it watches, and drops those nobody watches. @default 30000 */
  announceEveryMs?: number;
}

/** One board watched by a socket here or elsewhere: its broadcaster and the timer of its period's end. */
interface BoardBroadcast {
  board: Board;
  ranking: LeaderboardService;
  period: Period;
  /** Each ranking's period, for the snapshot a broadcast was read from. */
  periods: WeakMap<LeaderboardService, Period>;
  broadcaster: LeaderboardBroadcaster;
  /** The global board's broadcaster is not this registry's to stop. */
  shared: boolean;
  periodEnd: NodeJS.Timeout | null;
  ranks: BoardRankWatch | null;
}

/**
 * A broadcaster per board that a socket subscribes to on any instance (none for the others),
 * coalescing its changes exactly like the global one, with its own seq and Redis channel. A timer
 * set to the end of each watched board's period sends the new period's board:update; nothing
 * polls the boards.
 */
export class BoardBroadcasts {
  private readonly watched = new Map<string, BoardBroadcast>();
  private readonly opening = new Map<string, Promise<BoardBroadcast>>();
  private readonly instanceId = randomUUID();
  private readonly elsewhere: WatchedBoards;
  private readonly now: () => number;
  private sweepTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly onRollover = ({ board }: BoardRankingsEvents['rollover'][0]) => {
    const entry = this.watched.get(board.id);
    if (entry) this.sync(entry);
  };
  private readonly onCatalogue = ({ added, removed, updated }: BoardCatalogueEvents['changed'][0]) => {
    for (const board of updated) {
      const entry = this.watched.get(board.id);
      if (entry) entry.board = board;
    }
    for (const boardId of removed) {
      const entry = this.watched.get(boardId);
      if (entry) void this.drop(entry);
      // A deleted board's subscribers hold nothing any more (one made again with its id is a new board).
      this.options.io.local.in(rooms.board(boardId)).socketsLeave(rooms.board(boardId));
    }
    // Sighted elsewhere before this instance knew the board (its catalogue loads after the sockets start).
    for (const board of added) if (this.elsewhere.elsewhere(board.id)) this.seenElsewhere(board.id);
  };

  constructor(private readonly options: BoardBroadcastsOptions) {
    this.now = options.now ?? Date.now;
    this.elsewhere = new WatchedBoards({
      pubsub: options.pubsub,
      instanceId: this.instanceId,
      local: () => this.localBoards(),
      onSeen: (boardId) => this.seenElsewhere(boardId),
      now: options.now,
    });
  }

  async start(): Promise<void> {
    await this.elsewhere.start();
    this.options.rankings.on('rollover', this.onRollover);
    this.options.catalogue.on('changed', this.onCatalogue);
    this.sweepTimer = setInterval(() => void this.sweep(), this.options.announceEveryMs ?? 30_000);
    this.sweepTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.options.rankings.off('rollover', this.onRollover);
    this.options.catalogue.off('changed', this.onCatalogue);
    await Promise.allSettled([...this.opening.values()]);
    await Promise.all([...this.watched.values()].map((entry) => this.drop(entry)));
    await this.elsewhere.stop();
  }

  /** The board's broadcast, made when missing (its top read first, so that the snapshot is current). */
  async open(board: Board): Promise<void> {
    if (this.watched.has(board.id)) return;
    let opening = this.opening.get(board.id);
    if (!opening) {
      opening = this.make(board).finally(() => this.opening.delete(board.id));
      this.opening.set(board.id, opening);
    }
    await opening;
  }

  /** What a new subscriber starts from: the board's last broadcast, with its period and seq. */
  snapshot(boardId: string): BoardUpdatePayload | null {
    const entry = this.watched.get(boardId);
    if (!entry) return null;
    const { snapshot, seq, source } = entry.broadcaster.current();
    return boardUpdatePayload(boardId, this.periodOf(entry, source), snapshot, seq);
  }

  /** Tells the other instances that the board has a socket here (its first); resolves once told. */
  announce(boardId: string): Promise<void> {
    return this.elsewhere.announce([boardId]);
  }

  /** Watches the ranks of the board's signed-in subscribers here (from the first one on). */
  watchRanks(boardId: string): void {
    const entry = this.watched.get(boardId);
    if (!entry || entry.ranks || boardId === GLOBAL_BOARD_ID) return;
    const { io, log, metrics, rankWatchIntervalMs } = this.options;
    entry.ranks = watchBoardRanks({ io, boardId, current: () => ({ period: entry.period, ranking: entry.ranking }), intervalMs: rankWatchIntervalMs, log, metrics });
  }

  /** A player's socket was told their rank on a board (their own update): that board's watcher need not tell it. */
  noteRankTold(told: { userId: string; rank: number; boardId: string; periodId: string }): void {
    this.watched.get(told.boardId)?.ranks?.noteTold(told.periodId, told.userId, told.rank);
  }

  /** Sends the global board's broadcast to `global`'s board subscribers here (called by the global broadcast). */
  sendGlobal(snapshot: TopSnapshot, seq: number): void {
    if (this.hasLocal(GLOBAL_BOARD_ID)) this.options.io.local.to(rooms.board(GLOBAL_BOARD_ID)).emit('board:update', boardUpdatePayload(GLOBAL_BOARD_ID, ALL_TIME, snapshot, seq));
  }

  private async make(board: Board): Promise<BoardBroadcast> {
    const { ranking, period } = this.options.rankings.current(board);
    const shared = board.id === GLOBAL_BOARD_ID;
    if (!shared) await ranking.top(ranking.topSize);
    const entry: BoardBroadcast = { board, ranking, period, periods: new WeakMap([[ranking, period]]), broadcaster: this.options.global, shared, periodEnd: null, ranks: null };
    if (!shared) {
      entry.broadcaster = new LeaderboardBroadcaster({
        leaderboard: ranking,
        pubsub: this.options.pubsub,
        channel: boardChannel(board.id),
        intervalMs: this.options.intervalMs,
        instanceId: this.instanceId,
        log: this.options.log,
        send: (snapshot, seq, _cause, source) => this.send(entry, snapshot, seq, source),
      });
      await entry.broadcaster.start();
    }
    if (this.stopped) {
      if (!shared) await entry.broadcaster.stop();
      return entry;
    }
    this.watched.set(board.id, entry);
    this.sync(entry);
    return entry;
  }

  /** One broadcast of a board, encoded once, to its subscribers here (none: nothing is encoded). */
  private send(entry: BoardBroadcast, snapshot: TopSnapshot, seq: number, source: LeaderboardService): void {
    if (!this.hasLocal(entry.board.id)) return;
    this.options.io.local.to(rooms.board(entry.board.id)).emit('board:update', boardUpdatePayload(entry.board.id, this.periodOf(entry, source), snapshot, seq));
  }

  /**
   * Follows the board's current period (a rollover seen by any path: this timer, a write, a read)
   * and sets the timer to its end. Periods need no job to begin: asking for the current ranking
   * after the boundary makes the new one.
   */
  private sync(entry: BoardBroadcast): void {
    if (entry.periodEnd) clearTimeout(entry.periodEnd);
    entry.periodEnd = null;
    if (this.stopped || entry.shared || this.watched.get(entry.board.id) !== entry) return;
    const held = this.options.rankings.current(this.options.catalogue.get(entry.board.id) ?? entry.board);
    if (held.ranking !== entry.ranking) {
      entry.ranking = held.ranking;
      entry.period = held.period;
      entry.periods.set(held.ranking, held.period);
      entry.broadcaster.follow(held.ranking);
    }
    const endsAtMs = entry.period.endsAt?.getTime();
    if (endsAtMs === undefined) return;
    const inMs = Math.min(MAX_TIMER_MS, Math.max(0, endsAtMs - this.now()));
    entry.periodEnd = setTimeout(() => this.sync(entry), inMs);
    entry.periodEnd.unref();
  }

  private periodOf(entry: BoardBroadcast, source: LeaderboardService): Period {
    return entry.shared ? ALL_TIME : (entry.periods.get(source) ?? entry.period);
  }

  private hasLocal(boardId: string): boolean {
    return (this.options.io.of('/').adapter.rooms.get(rooms.board(boardId))?.size ?? 0) > 0;
  }

  private *localBoards(): Iterable<string> {
    for (const room of this.options.io.of('/').adapter.rooms.keys()) {
      const boardId = boardOfRoom(room);
      if (boardId !== null) yield boardId;
    }
  }

  /** Another instance has subscribers: this one broadcasts the board too, so that its writes reach them. */
  private seenElsewhere(boardId: string): void {
    const board = this.options.catalogue.get(boardId);
    if (!board || this.stopped || this.watched.has(boardId)) return;
    this.open(board).catch((error: unknown) => this.options.log.warn({ err: error, board: boardId }, 'opening a board broadcast failed'));
  }

  /** Repeats this instance's boards to the others, and drops the broadcasts nobody watches any more. */
  private async sweep(): Promise<void> {
    await this.elsewhere.announce();
    for (const entry of [...this.watched.values()]) {
      if (!this.hasLocal(entry.board.id) && !this.elsewhere.elsewhere(entry.board.id)) await this.drop(entry);
    }
  }

  private async drop(entry: BoardBroadcast): Promise<void> {
    if (this.watched.get(entry.board.id) === entry) this.watched.delete(entry.board.id);
    if (entry.periodEnd) clearTimeout(entry.periodEnd);
    entry.periodEnd = null;
    await entry.ranks?.stop();
    entry.ranks = null;
    if (!entry.shared) await entry.broadcaster.stop();
  }
}
