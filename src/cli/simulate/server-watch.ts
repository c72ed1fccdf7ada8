import type { Leader } from './simulation-report.js';
import type { SimulationClient } from './simulation-client.js';

export interface ServerWatchOptions {
  client: SimulationClient;
  now: () => number;
  /** Stop when the server has not answered for this long. */
  unreachableAfterMs: number;
  /** Called once nothing answered for `unreachableAfterMs`, with the message to end the run with. */
  onUnreachable: (message: string) => void;
  /** A player's current token, for the board reads. */
  token: () => string;
}

/**
 * What the simulator knows of the server as a whole: whether it answers (and since when it does not),
 * the global leader (from rank-1 answers and from polling the board) and its clock.
 */
export class ServerWatch {
  /** Time of the last answer; undefined until the server first answered. */
  lastContactAt: number | undefined;
  /** Since when nothing answers. */
  failingSince: number | undefined;
  lastNetworkCode = '';
  leader: Leader = null;
  /** The server's clock minus this machine's, and how uncertain that is. */
  clockOffsetMs = 0;
  clockUncertaintyMs = 1000;
  private leaderAt = -Infinity;
  private pollPending: Promise<void> | undefined;

  constructor(private readonly options: ServerWatchOptions) {}

  /** An answer arrived. */
  contact(): void {
    this.lastContactAt = this.options.now();
    this.failingSince = undefined;
  }

  /** A request got no answer; `since`: when a timed-out one was sent (it has been failing that long already). */
  networkFailure(code: string, since = this.options.now()): void {
    const { now, unreachableAfterMs } = this.options;
    this.lastNetworkCode = code;
    this.failingSince ??= code === 'TIMEOUT' ? since : now();
    if (now() - this.failingSince >= unreachableAfterMs) this.unreachable();
  }

  /** Ends the run as unreachable when requests have failed for too long. */
  checkUnreachable(): void {
    if (this.failingSince !== undefined && this.options.now() - this.failingSince >= this.options.unreachableAfterMs) this.unreachable();
  }

  unreachable(): void {
    const hint = this.lastContactAt === undefined ? ' Is it running? (`scoreboard start`, or pass --url)' : '';
    const seconds = Math.round(this.options.unreachableAfterMs / 1000);
    this.options.onUnreachable(`cannot reach the server at ${this.options.client.base} for ${seconds} s (${this.lastNetworkCode}).${hint}`);
  }

  /** A rank-1 answer to an update: that player leads, unless a later poll said otherwise. */
  leads(leader: NonNullable<Leader>, answeredAt: number): void {
    if (answeredAt < this.leaderAt) return;
    this.leader = leader;
    this.leaderAt = answeredAt;
  }

  /** The poll under way, if any. */
  pending(): Promise<void> | undefined {
    return this.pollPending;
  }

  /** Reads the leader and the server's clock (one poll at a time: a second call joins the first). */
  pollLeader(timeoutMs: number): Promise<void> {
    this.pollPending ??= this.readLeader(timeoutMs).finally(() => {
      this.pollPending = undefined;
    });
    return this.pollPending;
  }

  private async readLeader(timeoutMs: number): Promise<void> {
    const { now } = this.options;
    const startedAt = now();
    const answer = await this.options.client.leaderboardTop(this.options.token(), timeoutMs);
    if (answer.kind === 'failed') return this.networkFailure(answer.code, startedAt);
    const answeredAt = now();
    this.contact();
    if (answer.status !== 200 || answer.body === undefined) return;
    const body = answer.body as { data?: { timestamp?: string; leaderboard?: { userId: string; username: string | null; score: number }[] } };
    const serverNow = Date.parse(body.data?.timestamp ?? '');
    if (Number.isFinite(serverNow)) {
      this.clockOffsetMs = serverNow - (startedAt + answeredAt) / 2;
      this.clockUncertaintyMs = (answeredAt - startedAt) / 2 + 2;
    }
    const top = body.data?.leaderboard?.[0];
    if (startedAt >= this.leaderAt) {
      this.leader = top ? { userId: top.userId, username: top.username, score: top.score } : null;
      this.leaderAt = startedAt;
    }
  }
}
