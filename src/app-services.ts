import type { FastifyBaseLogger } from 'fastify';
import type { Backends } from './backends.js';
import type { Config } from './config.js';
import { AccountStatus } from './integrity/account-status.js';
import { AlertWebhook } from './integrity/alert-webhook.js';
import { IntegrityService } from './integrity/integrity-service.js';
import { LeaderboardService } from './leaderboard/leaderboard-service.js';
import type { Metrics } from './metrics/metrics.js';
import { PlayerLookup } from './scores/player-lookup.js';
import { ScoreService } from './scores/score-service.js';
import { UserErasure } from './users/user-erasure.js';
import { UserExportService } from './users/user-export-service.js';
import { UserProvisioner } from './users/user-provisioner.js';

/** The domain services of one app, built from its backends and wired to each other. */
export interface AppServices {
  leaderboard: LeaderboardService;
  scores: ScoreService;
  users: UserProvisioner;
  players: PlayerLookup;
  integrity: IntegrityService;
  accounts: AccountStatus;
  erasure: UserErasure;
  userExports: UserExportService;
}

/**
 * Builds every domain service over the backends, then connects the ones that must hear of each
 * other (an attempt feeds the detectors, a freeze or an erasure reaches the caches): the only
 * place that knows them all, so no domain imports another to tell it something.
 */
export function buildServices(config: Config, backends: Backends, log: FastifyBaseLogger, metrics: Metrics): AppServices {
  const { stores } = backends;
  const users = new UserProvisioner({ store: stores.users });
  const leaderboard = new LeaderboardService({ rankIndex: backends.rankIndex, entries: stores.boards, log });
  const scores = new ScoreService({
    actions: config.actions,
    timestampToleranceMs: config.timestampToleranceMs,
    hmacSecretKey: config.hmacSecretKey!,
    store: stores.scores,
    leaderboard,
    users,
    replayCache: backends.replayCache,
    userCache: backends.userCache,
    userLimiter: backends.userLimiter,
    flaggedLimiter: backends.flaggedLimiter,
    ipLimiter: backends.ipLimiter,
    log,
    metrics,
    // Two batches in flight keep PostgreSQL busy while the next one gathers; more only makes the
    // batches smaller (each statement costs ~2 ms of fixed work). PGlite is one connection.
    writeConcurrency: backends.sql.kind === 'pglite' ? 1 : 2,
  });
  const players = new PlayerLookup({ store: stores.scores, leaderboard, userCache: backends.userCache, log });
  const accounts = new AccountStatus(stores.users);
  const integrity = new IntegrityService({
    flags: stores.integrity,
    accounts,
    thresholds: config.anomaly,
    autoFreeze: config.autoFreeze,
    penaltyMs: config.flagPenaltyMs,
    pubsub: backends.pubsub,
    webhook: config.alertWebhookUrl ? new AlertWebhook({ url: config.alertWebhookUrl, log }) : null,
    metrics,
    log,
  });
  const erasure = new UserErasure(stores.users, (error) => log.warn({ err: error }, 'forgetting an erased user failed; the next rebuild repairs it'));
  const userExports = new UserExportService({ store: stores, limiter: backends.exportLimiter });
  wire({ scores, integrity, accounts, erasure, users, players, leaderboard });
  return { leaderboard, scores, users, players, integrity, accounts, erasure, userExports };
}

function wire(services: Pick<AppServices, 'scores' | 'integrity' | 'accounts' | 'erasure' | 'users' | 'players' | 'leaderboard'>): void {
  const { scores, integrity, accounts, erasure, users, players, leaderboard } = services;
  scores.on('attempt', (attempt) => integrity.observe(attempt));
  scores.usePenalties(integrity.isPenalized);
  accounts.onChange(({ userId }) => players.forget(userId));
  erasure.onErased((userId) => users.forget(userId));
  erasure.onErased((userId) => integrity.forget(userId));
  erasure.onErased((userId) => players.forget(userId));
  erasure.onErased((userId) => leaderboard.remove(userId));
}
