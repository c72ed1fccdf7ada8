import type { FastifyBaseLogger } from 'fastify';
import type { RankedEntry } from '../boards/rank-entry.js';
import type { Metrics } from '../metrics/metrics.js';
import type { RankMove } from './live-payloads.js';

export interface RankWatcherOptions {
  /** Entries and ranks of these players (absent: no entry); null when the rank index cannot answer. */
  ranksOf: (userIds: readonly string[]) => Promise<Map<string, RankedEntry> | null>;
  /** Players with a signed-in socket on this instance. */
  players: () => Iterable<string>;
  /** Tells a player's sockets on this instance that their rank moved. */
  tell: (move: RankMove) => void;
  /** @default 1000 */
  intervalMs?: number;
  log: FastifyBaseLogger;
  metrics?: Metrics;
  now?: () => number;
}

/**
 * A player whose own entry changed this recently is being told by their own update's event (sent
 * once the write is answered, maybe by another instance): the watcher leaves that move to it.
 */
const OWN_UPDATE_GRACE_MS = 2000;

interface Told {
  rank: number;
  /** `noteTold` counter when it was set; 0 for what a tick saw itself. */
  seq: number;
}

/**
 * Tells players when others move their rank. A player's own update tells them at once; being
 * passed costs nothing per update: every `intervalMs` the watcher reads the ranks of the players
 * signed in on this instance (in batches, one round trip per 1000) and tells each one whose rank
 * differs from the last rank they were told. A tick is skipped while the rank index is not
 * trusted (being rebuilt, Redis away), so nobody is told a rank from a partial board.
 */
export class RankWatcher {
  private readonly told = new Map<string, Told>();
  private seq = 0;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly options: RankWatcherOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs ?? 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** A player's sockets were told `rank` (by their own update, on any instance): no need to tell it again. */
  noteTold(userId: string, rank: number): void {
    this.told.set(userId, { rank, seq: ++this.seq });
  }

  /** Forgets every rank told (a board's new period: ranks start over, and a first sight tells nothing). */
  forget(): void {
    this.told.clear();
  }

  /** One pass; a pass still running when the next is due makes that one a no-op. */
  tick(): Promise<void> {
    this.running ??= this.pass()
      .catch((error: unknown) => this.options.log.warn({ err: error }, 'rank watch failed'))
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  private async pass(): Promise<void> {
    const startedMs = performance.now();
    let cpu = process.cpuUsage();
    const players = new Set(this.options.players());
    for (const userId of this.told.keys()) if (!players.has(userId)) this.told.delete(userId);
    if (players.size === 0) return;
    const sinceSeq = this.seq;
    let cpuUs = cpuSince(cpu);
    const ranks = await this.options.ranksOf([...players]);
    if (ranks === null) {
      this.options.metrics?.rankWatchSkipped();
      return;
    }
    cpu = process.cpuUsage();
    let moves = 0;
    for (const userId of players) {
      const entry = ranks.get(userId);
      if (entry && this.compare(userId, entry, sinceSeq)) moves += 1;
    }
    cpuUs += cpuSince(cpu);
    this.options.metrics?.rankWatchTick({ wallSec: (performance.now() - startedMs) / 1000, cpuSec: cpuUs / 1e6, players: players.size, moves });
  }

  /** Tells the player when their rank moved since the last rank told; true when told. */
  private compare(userId: string, entry: RankedEntry, sinceSeq: number): boolean {
    const last = this.told.get(userId);
    // Told during this read: the rank read may predate what they were told.
    if (last && last.seq > sinceSeq) return false;
    // Their own update moved them: its event tells them (a tick after the grace tells it if not).
    if (last && last.rank !== entry.rank && (this.options.now ?? Date.now)() - entry.lastUpdatedMs < OWN_UPDATE_GRACE_MS) return false;
    this.told.set(userId, { rank: entry.rank, seq: 0 });
    // First sight (just signed in): the rank becomes the one to compare with.
    if (!last || last.rank === entry.rank) return false;
    this.options.tell({ userId, newRank: entry.rank, oldRank: last.rank, newScore: entry.score });
    return true;
  }
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return used.user + used.system;
}
