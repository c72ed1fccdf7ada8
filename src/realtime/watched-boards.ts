import type { PubSub } from '../cache/pub-sub.js';

/** The channel on which instances say which boards their sockets subscribe to. */
export const WATCHED_BOARDS_CHANNEL = 'realtime:watched-boards';

export interface WatchedBoardsOptions {
  pubsub: PubSub;
  /** Tells this instance's own messages from the others'. */
  instanceId: string;
  /** Boards with a subscribed socket on this instance right now. */
  local: () => Iterable<string>;
  /** Another instance watches `boardId` (told on every sighting). */
  onSeen: (boardId: string) => void;
  /** How long another instance's sighting counts without being repeated. @default 90000 */
  ttlMs?: number;
  now?: () => number;
}

/**
 * Which boards have a subscribed socket on another instance, as far as this one knows: each
 * instance says so when a board gets its first socket there, repeats its boards every 30 s
 * (`announce`) and answers an instance that starts with its boards at once. An instance that writes to a board somebody watches elsewhere then tells the
 * others when its top moves; boards nobody watches cost nothing.
 */
export class WatchedBoards {
  private readonly until = new Map<string, number>();
  private readonly ttlMs: number;
  private readonly now: () => number;
  private unsubscribe: (() => Promise<void>) | null = null;

  constructor(private readonly options: WatchedBoardsOptions) {
    this.ttlMs = options.ttlMs ?? 90_000;
    this.now = options.now ?? Date.now;
  }

  /** Listens, then asks the others for their boards: an instance that starts late must not wait 30 s to learn them. */
  async start(): Promise<void> {
    this.unsubscribe = await this.options.pubsub.subscribe(WATCHED_BOARDS_CHANNEL, (raw) => this.onMessage(raw));
    await this.options.pubsub.publish(WATCHED_BOARDS_CHANNEL, JSON.stringify({ from: this.options.instanceId, ask: true }));
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.().catch(() => undefined);
  }

  /** True when another instance said lately that it watches `boardId`. */
  elsewhere(boardId: string): boolean {
    const until = this.until.get(boardId);
    return until !== undefined && until > this.now();
  }

  /** Tells the other instances that these boards have sockets here; resolves once published. */
  async announce(boardIds: Iterable<string> = this.options.local()): Promise<void> {
    const now = this.now();
    for (const [boardId, until] of this.until) if (until <= now) this.until.delete(boardId);
    const boards = [...boardIds];
    for (let first = 0; first < boards.length; first += 1000) {
      await this.options.pubsub.publish(WATCHED_BOARDS_CHANNEL, JSON.stringify({ from: this.options.instanceId, boards: boards.slice(first, first + 1000) }));
    }
  }

  private onMessage(raw: string): void {
    let message: { from?: unknown; boards?: unknown; ask?: unknown };
    try {
      message = JSON.parse(raw) as typeof message;
    } catch {
      return;
    }
    if (message.from === this.options.instanceId) return;
    if (message.ask === true) {
      void this.announce();
      return;
    }
    if (!Array.isArray(message.boards)) return;
    for (const boardId of message.boards) {
      if (typeof boardId !== 'string') continue;
      this.until.set(boardId, this.now() + this.ttlMs);
      this.options.onSeen(boardId);
    }
  }
}
