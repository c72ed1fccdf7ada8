import type { FastifyBaseLogger } from 'fastify';
import type { PubSub } from '../cache/pub-sub.js';
import type { LeaderboardService, TopSnapshot } from '../boards/leaderboard-service.js';

/** The channel (under REDIS_KEY_PREFIX) on which instances tell each other that the top moved. */
export const TOP_CHANGED_CHANNEL = 'leaderboard:changed';

/** The update that last moved the top, for payloads that name one (the legacy events). */
export interface TopCause {
  userId: string;
  newScore: number;
  increment: number;
  rank: number;
  timestamp: string;
}

export interface BroadcasterOptions {
  /** The ranking whose top is broadcast (`follow` replaces it when a board's period ends). */
  leaderboard: LeaderboardService;
  pubsub: PubSub;
  /** The channel on which instances tell each other that this top moved. @default TOP_CHANGED_CHANNEL */
  channel?: string;
  /**
   * At most one broadcast per interval, always with the latest state. When sending one takes longer
   * (many sockets), the next waits at least as long as the last took to send, so broadcasts never
   * hold more than about half of the event loop and score updates keep being served.
   */
  intervalMs: number;
  /** Tells this instance's own messages from the others'. */
  instanceId: string;
  /** Delivers one broadcast to this instance's sockets; `source` is the ranking the snapshot was read from. */
  send: (snapshot: TopSnapshot, seq: number, cause: TopCause | null, source: LeaderboardService) => void;
  log: FastifyBaseLogger;
}

interface ChannelMessage {
  from: string;
  cause: TopCause | null;
}

/**
 * Coalesces "the top may have changed" signals (this instance's updates, and other instances'
 * messages on `leaderboard:changed`) into at most one broadcast per interval. Each flush re-reads
 * the top from the rank index, so the broadcast carries the latest state whoever caused it, and
 * sends only when it really changed; `seq` rises by one per broadcast.
 */
export class LeaderboardBroadcaster {
  private readonly options: BroadcasterOptions;
  private readonly channel: string;
  private source: LeaderboardService;
  /** The ranking the last broadcast was read from. */
  private lastSource: LeaderboardService;
  /** A new ranking was followed: its top goes out at the next flush, changed or not. */
  private followed = false;
  private seq = 0;
  private timer: NodeJS.Timeout | null = null;
  private flushing = false;
  private pending = false;
  private localDirty = false;
  /** When the last flush started, when the last send ended and how long it took (ms, monotonic clock). */
  private lastFlushAtMs = Number.NEGATIVE_INFINITY;
  private lastSendStartMs = Number.NEGATIVE_INFINITY;
  private lastSendEndMs = 0;
  private lastSendCostMs = 0;
  private lastSent: TopSnapshot = { entries: [], changedAtMs: -1 };
  private cause: TopCause | null = null;
  private unsubscribe: (() => Promise<void>) | null = null;
  private readonly onDirty = () => {
    this.localDirty = true;
    this.schedule();
  };
  /** A read elsewhere (a rebuild, the polling endpoint) found a change: broadcast it too. */
  private readonly onChanged = () => this.schedule();

  constructor(options: BroadcasterOptions) {
    this.options = options;
    this.channel = options.channel ?? TOP_CHANGED_CHANNEL;
    this.source = options.leaderboard;
    this.lastSource = options.leaderboard;
  }

  async start(): Promise<void> {
    this.listen(this.source);
    this.unsubscribe = await this.options.pubsub.subscribe(this.channel, (raw) => this.onMessage(raw));
    // What is on the board now counts as sent (seq 0): snapshots on connect carry it.
    this.lastSent = this.source.currentTop();
  }

  /**
   * Broadcasts `leaderboard`'s top from now on (a board's new period): the next flush sends it,
   * even when it looks like the last one (an empty top after an empty top is a new period).
   */
  follow(leaderboard: LeaderboardService): void {
    if (leaderboard === this.source) return;
    this.unlisten(this.source);
    this.source = leaderboard;
    this.listen(leaderboard);
    this.followed = true;
    this.schedule();
  }

  /** Remembers the update that moved the top, for the next broadcast's legacy payload. */
  noteCause(cause: TopCause): void {
    this.cause = cause;
  }

  /**
   * The state a newly connected client starts from: exactly what the last broadcast carried, with
   * its seq, so a seq always names one content. A change not broadcast yet follows within the
   * interval as the next seq.
   */
  current(): { snapshot: TopSnapshot; seq: number; source: LeaderboardService } {
    return { snapshot: this.lastSent, seq: this.seq, source: this.lastSource };
  }

  async stop(): Promise<void> {
    this.unlisten(this.source);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.unsubscribe?.().catch(() => undefined);
    this.unsubscribe = null;
  }

  private listen(leaderboard: LeaderboardService): void {
    leaderboard.on('top-dirty', this.onDirty);
    leaderboard.on('top-changed', this.onChanged);
  }

  private unlisten(leaderboard: LeaderboardService): void {
    leaderboard.off('top-dirty', this.onDirty);
    leaderboard.off('top-changed', this.onChanged);
  }

  private onMessage(raw: string): void {
    let message: ChannelMessage;
    try {
      message = JSON.parse(raw) as ChannelMessage;
    } catch {
      return;
    }
    if (message.from === this.options.instanceId) return;
    this.source.markTopStale();
    if (message.cause) this.cause = message.cause;
    this.schedule();
  }

  private schedule(): void {
    // A scheduled flush reads the latest state anyway; one already reading may have missed this.
    if (this.timer) return;
    if (this.flushing) {
      this.pending = true;
      return;
    }
    this.timer = setTimeout(() => void this.flush(), this.dueInMs());
  }

  /** How long until the next flush may start: one interval after the last, and the last send's cost after it ended. */
  private dueInMs(): number {
    const now = performance.now();
    // From the last send too, not only the last flush: a slow read of the top must not bring two sends closer.
    return Math.max(
      0,
      this.lastFlushAtMs + this.options.intervalMs - now,
      this.lastSendStartMs + this.options.intervalMs - now,
      this.lastSendCostMs - (now - this.lastSendEndMs),
    );
  }

  private async flush(): Promise<void> {
    this.timer = null;
    // A timer may fire early by the time its loop turn began late (a busy loop): wait out the rest.
    const early = this.dueInMs();
    if (early > 0) {
      this.timer = setTimeout(() => void this.flush(), Math.ceil(early));
      return;
    }
    this.flushing = true;
    this.pending = false;
    this.lastFlushAtMs = performance.now();
    try {
      if (this.localDirty) {
        this.localDirty = false;
        const message: ChannelMessage = { from: this.options.instanceId, cause: this.cause };
        void this.options.pubsub.publish(this.channel, JSON.stringify(message));
      }
      const source = this.source;
      const snapshot = await source.refreshTop();
      // A new period began during the read: the next flush reads and sends that one.
      if (source !== this.source) {
        this.pending = true;
        return;
      }
      if (this.followed || snapshot.changedAtMs !== this.lastSent.changedAtMs || source !== this.lastSource) {
        this.followed = false;
        this.lastSent = snapshot;
        this.lastSource = source;
        this.seq += 1;
        const started = performance.now();
        this.lastSendStartMs = started;
        this.options.send(snapshot, this.seq, this.cause, source);
        this.lastSendEndMs = performance.now();
        this.lastSendCostMs = this.lastSendEndMs - started;
      }
    } catch (error) {
      this.options.log.warn({ err: error }, 'leaderboard broadcast failed');
    } finally {
      this.flushing = false;
      if (this.pending) this.schedule();
    }
  }
}
