import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The checks counted by `fraud_checks_total{check}`. */
export type FraudCheck =
  | 'rate_limit'
  | 'action_type'
  | 'increment'
  | 'timestamp'
  | 'signature'
  | 'replay'
  | 'claimed_duration'
  | 'account_frozen'
  | 'min_duration'
  | 'score_velocity'
  | 'max_score_share'
  | 'regular_intervals'
  | 'ip_burst'
  | 'signature_failures';

/**
 * The service's Prometheus metrics, one registry per app (tests build many apps in one process).
 * Domain code calls the small methods; only this file knows prom-client.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly scoreUpdates = new Counter({
    name: 'score_update_total',
    help: 'Score updates by result: success or the error code (both API surfaces)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  private readonly actionDuration = new Histogram({
    name: 'action_completion_duration_seconds',
    help: 'Time to handle a score update, from request to response (both API surfaces)',
    labelNames: ['result'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly fraudChecks = new Counter({
    name: 'fraud_checks_total',
    help: 'Integrity checks by check and result (pass or fail)',
    labelNames: ['check', 'result'] as const,
    registers: [this.registry],
  });
  private readonly cacheHits = new Counter({
    name: 'leaderboard_cache_hits_total',
    help: 'Leaderboard reads served by the rank index (cache)',
    registers: [this.registry],
  });
  private readonly cacheMisses = new Counter({
    name: 'leaderboard_cache_misses_total',
    help: 'Leaderboard reads that fell back to SQL',
    registers: [this.registry],
  });
  private readonly rateLimitHits = new Counter({
    name: 'rate_limit_hits_total',
    help: 'Requests refused by a rate limit, by scope (user or global)',
    labelNames: ['scope'] as const,
    registers: [this.registry],
  });
  private readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  private readonly broadcasts = new Counter({
    name: 'leaderboard_broadcasts_total',
    help: 'leaderboard:update broadcasts sent by this instance',
    registers: [this.registry],
  });

  private readonly writeBatches = new Histogram({
    name: 'score_write_batch_size',
    help: 'Score updates committed together by one statement (group commit)',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [this.registry],
  });

  private readonly rankWatchWall = new Histogram({
    name: 'rank_watch_tick_seconds',
    help: 'Wall time of one rank-watch tick (reading the ranks of the players signed in here and telling the moves)',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  private readonly rankWatchCpu = new Counter({
    name: 'rank_watch_cpu_seconds_total',
    help: 'CPU time of this process spent in rank-watch ticks (without the time waiting for the rank index)',
    registers: [this.registry],
  });
  private readonly rankWatchPlayers = new Counter({
    name: 'rank_watch_players_checked_total',
    help: 'Signed-in players whose rank a rank-watch tick read',
    registers: [this.registry],
  });
  private readonly rankWatchMoves = new Counter({
    name: 'rank_watch_moves_told_total',
    help: 'rank:changed events sent because others moved a signed-in player',
    registers: [this.registry],
  });
  private readonly rankWatchSkips = new Counter({
    name: 'rank_watch_ticks_skipped_total',
    help: 'Rank-watch ticks skipped because the rank index could not answer (rebuilding, Redis away)',
    registers: [this.registry],
  });
  private readonly socketDisconnects = new Counter({
    name: 'websocket_disconnects_forced_total',
    help: 'Sockets this instance disconnected, by reason (slow_reader, failed_sign_ins)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  private readonly socketRefusals = new Counter({
    name: 'websocket_connections_refused_total',
    help: 'Socket.IO sessions refused because their address already held SOCKET_MAX_CONNECTIONS_PER_IP',
    registers: [this.registry],
  });

  private connections: () => number = () => 0;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const read = () => this.connections();
    new Gauge({
      name: 'websocket_connections_active',
      help: 'Socket.IO connections open on this instance',
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** Where `websocket_connections_active` reads its value from. */
  watchConnections(count: () => number): void {
    this.connections = count;
  }

  scoreUpdate(result: string, durationSec: number): void {
    this.scoreUpdates.inc({ result });
    this.actionDuration.observe({ result: result === 'success' ? 'success' : 'rejected' }, durationSec);
  }

  fraudCheck(check: FraudCheck, passed: boolean): void {
    this.fraudChecks.inc({ check, result: passed ? 'pass' : 'fail' });
  }

  leaderboardRead(cacheHit: boolean): void {
    (cacheHit ? this.cacheHits : this.cacheMisses).inc();
  }

  rateLimited(scope: 'user' | 'global' | 'key'): void {
    this.rateLimitHits.inc({ scope });
  }

  httpRequest(method: string, route: string, statusCode: number, durationSec: number): void {
    this.httpDuration.observe({ method, route, status_code: String(statusCode) }, durationSec);
  }

  writeBatch(size: number): void {
    this.writeBatches.observe(size);
  }

  broadcast(): void {
    this.broadcasts.inc();
  }

  rankWatchTick(tick: { wallSec: number; cpuSec: number; players: number; moves: number }): void {
    this.rankWatchWall.observe(tick.wallSec);
    this.rankWatchCpu.inc(tick.cpuSec);
    this.rankWatchPlayers.inc(tick.players);
    this.rankWatchMoves.inc(tick.moves);
  }

  rankWatchSkipped(): void {
    this.rankWatchSkips.inc();
  }

  socketDisconnected(reason: 'slow_reader' | 'failed_sign_ins'): void {
    this.socketDisconnects.inc({ reason });
  }

  socketRefused(): void {
    this.socketRefusals.inc();
  }
}
