import { setImmediate as yieldToEvents } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import type { BoardCatalogue } from './board-catalogue.js';
import type { Period } from './board-periods.js';
import type { BoardRankings } from './board-rankings.js';
import type { BoardRepository } from './board-repository.js';
import type { Board } from './board.js';

export interface BoardMaintenanceOptions {
  catalogue: BoardCatalogue;
  rankings: BoardRankings;
  repository: Pick<BoardRepository, 'pruneBefore'>;
  log: FastifyBaseLogger;
  /** How often every board's current period is checked (a period that ended is rolled over). @default 1000 */
  rolloverCheckMs?: number;
  /** How often ended periods beyond `keepPeriods` are deleted. @default 60000 */
  pruneEveryMs?: number;
  /** Entries deleted per statement: small, so that no statement holds locks the score path waits on. @default 2000 */
  pruneBatch?: number;
}

/** Schedule steps walked before yielding to other work. */
const WALK_SLICE = 200;

/**
 * The boards' background work: rolling a board over to its new period as soon as the old one ends
 * (scores need no job for that; live views and the dropped Redis set do), and deleting the entries
 * of periods beyond `keepPeriods`, a small batch at a time. Every instance may run it: each deletion
 * is idempotent, and the rollover of each instance concerns its own rankings.
 */
export class BoardMaintenance {
  private timers: NodeJS.Timeout[] = [];
  private pruning: Promise<void> | null = null;

  constructor(private readonly options: BoardMaintenanceOptions) {}

  start(): void {
    const rollover = setInterval(() => {
      try {
        this.options.rankings.all();
      } catch (error) {
        this.options.log.warn({ err: error }, 'board period check failed');
      }
    }, this.options.rolloverCheckMs ?? 1000);
    const prune = setInterval(() => void this.pruneAll(), this.options.pruneEveryMs ?? 60_000);
    this.timers = [rollover, prune];
    for (const timer of this.timers) timer.unref();
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.pruning;
  }

  /** Deletes every board's periods that ended beyond its `keepPeriods`; returns the entries deleted. */
  async pruneAll(): Promise<number> {
    if (this.pruning) return 0;
    let deleted = 0;
    this.pruning = (async () => {
      for (const board of this.options.catalogue.list()) {
        if (board.keepPeriods === null || board.reset === null) continue;
        try {
          deleted += await this.prune(board);
        } catch (error) {
          this.options.log.warn({ err: error, board: board.id }, 'deleting ended periods failed; retried on the next round');
        }
      }
    })().finally(() => {
      this.pruning = null;
    });
    await this.pruning;
    return deleted;
  }

  private async prune(board: Board): Promise<number> {
    const oldest = await this.oldestKept(board);
    if (!oldest) return 0;
    const batch = this.options.pruneBatch ?? 2000;
    let deleted = 0;
    for (;;) {
      const n = await this.options.repository.pruneBefore(board.id, oldest.id, batch);
      deleted += n;
      if (n < batch) break;
      await yieldToEvents();
    }
    if (deleted > 0) this.options.log.info({ board: board.id, before: oldest.id, entries: deleted }, 'ended periods deleted (keepPeriods)');
    return deleted;
  }

  /** The oldest period kept: `keepPeriods` periods before the current one, walked without blocking. */
  private async oldestKept(board: Board): Promise<Period | null> {
    const schedule = this.options.catalogue.scheduleOf(board);
    let period = this.options.rankings.current(board).period;
    if (!schedule || !period.startsAt) return null;
    for (let i = 0; i < board.keepPeriods!; i++) {
      period = schedule.before(period);
      if (i % WALK_SLICE === WALK_SLICE - 1) await yieldToEvents();
    }
    return period;
  }
}
