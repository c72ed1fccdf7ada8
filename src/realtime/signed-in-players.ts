import type { PubSub } from '../cache/pub-sub.js';

/** The channel on which instances say whose sockets they hold. */
export const SIGNED_IN_CHANNEL = 'realtime:signed-in';

export interface SignedInPlayersOptions {
  pubsub: PubSub;
  /** Players with a signed-in socket on this instance right now. */
  local: () => Iterable<string>;
  /** How long a sighting counts without being repeated. @default 90000 */
  ttlMs?: number;
  /** How often this instance repeats its own players. @default 30000 */
  announceEveryMs?: number;
  now?: () => number;
}

/**
 * Which players have a signed-in socket on any instance, as far as this one knows: each instance
 * announces its own at sign-in and again every 30 s. A player's own events (score:updated,
 * rank:changed and their legacy twins) go through the Redis streams adapter, a stream write each;
 * most players who score have no socket open, so their events are not sent at all.
 */
export class SignedInPlayers {
  private readonly until = new Map<string, number>();
  private readonly ttlMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => Promise<void>) | null = null;

  constructor(private readonly options: SignedInPlayersOptions) {
    this.ttlMs = options.ttlMs ?? 90_000;
    this.now = options.now ?? Date.now;
  }

  async start(): Promise<void> {
    this.unsubscribe = await this.options.pubsub.subscribe(SIGNED_IN_CHANNEL, (raw) => {
      try {
        const { users } = JSON.parse(raw) as { users?: unknown };
        if (Array.isArray(users)) for (const userId of users) if (typeof userId === 'string') this.mark(userId);
      } catch {
        // Not ours.
      }
    });
    this.timer = setInterval(() => this.announce(), this.options.announceEveryMs ?? 30_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.unsubscribe?.().catch(() => undefined);
  }

  /** A socket of `userId` signed in here: known at once here, and told to the others. */
  signedIn(userId: string): void {
    this.mark(userId);
    void this.options.pubsub.publish(SIGNED_IN_CHANNEL, JSON.stringify({ users: [userId] }));
  }

  /** Players with a signed-in socket on this instance (one may be listed once per protocol). */
  localPlayers(): Iterable<string> {
    return this.options.local();
  }

  /** True when `userId` may have a socket somewhere. */
  has(userId: string): boolean {
    const until = this.until.get(userId);
    return until !== undefined && until > this.now();
  }

  private mark(userId: string): void {
    this.until.set(userId, this.now() + this.ttlMs);
  }

  private announce(): void {
    const now = this.now();
    for (const [userId, until] of this.until) if (until <= now) this.until.delete(userId);
    let batch: string[] = [];
    const flush = () => {
      if (batch.length > 0) void this.options.pubsub.publish(SIGNED_IN_CHANNEL, JSON.stringify({ users: batch }));
      batch = [];
    };
    for (const userId of this.options.local()) {
      this.mark(userId);
      batch.push(userId);
      if (batch.length === 1000) flush();
    }
    flush();
  }
}
