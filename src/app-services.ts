import type { FastifyBaseLogger } from 'fastify';
import { ApiKeyService } from './api-keys/api-key-service.js';
import type { Backends } from './backends.js';
import { BoardCatalogue, FixedFieldError } from './boards/board-catalogue.js';
import { ActionBoardFeed } from './boards/board-feed.js';
import { BoardMaintenance } from './boards/board-maintenance.js';
import { BoardModeration } from './boards/board-moderation.js';
import { BoardRankings } from './boards/board-rankings.js';
import { BoardReads } from './boards/board-reads.js';
import { BoardSubmissions } from './boards/board-submissions.js';
import { RankCursors } from './boards/rank-cursor.js';
import { actionNamesOf } from './scores/action-catalogue.js';
import { StartupError, type Config } from './config.js';
import { AccountStatus } from './integrity/account-status.js';
import { AlertWebhook } from './integrity/alert-webhook.js';
import { IntegrityService } from './integrity/integrity-service.js';
import { LeaderboardService } from './boards/leaderboard-service.js';
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
  boards: BoardServices;
  /** Game-server keys. */
  apiKeys: ApiKeyService;
}

/** The boards domain: definitions, rankings per period, direct submissions, reads, moderation. */
export interface BoardServices {
  catalogue: BoardCatalogue;
  rankings: BoardRankings;
  submissions: BoardSubmissions;
  reads: BoardReads;
  moderation: BoardModeration;
  maintenance: BoardMaintenance;
}

function buildBoards(config: Config, backends: Backends, log: FastifyBaseLogger, leaderboard: LeaderboardService, users: UserProvisioner, now?: () => number): BoardServices {
  const { stores } = backends;
  const catalogue = new BoardCatalogue({ repository: stores.boards, actions: actionNamesOf(config.actions), log });
  const rankings = new BoardRankings({ catalogue, rankIndex: backends.rankIndex, entries: stores.boards, global: leaderboard, log, now });
  const submissions = new BoardSubmissions({
    catalogue,
    rankings,
    repository: stores.boards,
    users,
    replayCache: backends.replayCache,
    lookups: {
      appliedAction: (actionId) => stores.scores.findAction(actionId),
      isFrozen: async (userId) => (await stores.users.userRow(userId))?.status === 'frozen',
    },
    hmacSecretKey: config.hmacSecretKey!,
    ...(config.hmacSecretKeyPrevious ? { hmacSecretKeyPrevious: config.hmacSecretKeyPrevious } : {}),
    timestampToleranceMs: config.timestampToleranceMs,
    log,
    now,
    writeConcurrency: backends.sql.kind === 'pglite' ? 1 : 2,
  });
  const reads = new BoardReads({ catalogue, rankings, repository: stores.boards, cursors: new RankCursors(config.hmacSecretKey!) });
  const maintenance = new BoardMaintenance({ catalogue, rankings, repository: stores.boards, log });
  return { catalogue, rankings, submissions, reads, moderation: new BoardModeration(stores.boards, rankings), maintenance };
}

/**
 * Builds every domain service over the backends, then connects the ones that must hear of each
 * other (an attempt feeds the detectors, a freeze or an erasure reaches the caches): the only
 * place that knows them all, so no domain imports another to tell it something.
 */
export function buildServices(config: Config, backends: Backends, log: FastifyBaseLogger, metrics: Metrics, now?: () => number): AppServices {
  const { stores } = backends;
  const users = new UserProvisioner({ store: stores.users });
  const leaderboard = new LeaderboardService({ rankIndex: backends.rankIndex, entries: stores.boards, log });
  const boards = buildBoards(config, backends, log, leaderboard, users, now);
  const scores = new ScoreService({
    actions: config.actions,
    timestampToleranceMs: config.timestampToleranceMs,
    hmacSecretKey: config.hmacSecretKey!,
    ...(config.hmacSecretKeyPrevious ? { hmacSecretKeyPrevious: config.hmacSecretKeyPrevious } : {}),
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
    now,
    boards: new ActionBoardFeed(boards.catalogue, boards.rankings),
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
  const apiKeys = new ApiKeyService({ store: stores.apiKeys, pubsub: backends.pubsub, log });
  const services = { leaderboard, scores, users, players, integrity, accounts, erasure, userExports, boards, apiKeys };
  wire(services);
  return services;
}

function wire(services: AppServices): void {
  const { scores, integrity, accounts, erasure, users, players, leaderboard, boards } = services;
  scores.on('attempt', (attempt) => integrity.observe(attempt));
  boards.submissions.on('attempt', (attempt) => integrity.observe(attempt));
  boards.moderation.onRemoved(({ userId }) => players.forget(userId));
  // Before the admin's answer: the ranks have closed up (or opened again) when it arrives.
  accounts.onChange(async (change) => {
    if (change.status === 'frozen' && change.hidden) await boards.moderation.setHidden(change.userId, true);
    if (change.status === 'active') await boards.moderation.setHidden(change.userId, false);
  });
  erasure.onErased((userId) => boards.moderation.erased(userId));
  scores.usePenalties(integrity.isPenalized);
  accounts.onChange(({ userId }) => players.forget(userId));
  erasure.onErased((userId) => users.forget(userId));
  erasure.onErased((userId) => integrity.forget(userId));
  erasure.onErased((userId) => players.forget(userId));
}

/**
 * Loads the catalogue and applies `BOARDS_CONFIG` (created or updated, never deleted). A file that
 * would change a board's fixed fields stops the start (exit 2): nothing of it is applied.
 */
export async function startBoards(catalogue: BoardCatalogue, file: Config['boards'], log: FastifyBaseLogger): Promise<void> {
  await catalogue.start();
  if (!file) return;
  try {
    const applied = await catalogue.apply(file.definitions);
    log.info({ file: file.file, ...applied }, 'BOARDS_CONFIG applied');
  } catch (error) {
    catalogue.stop();
    if (error instanceof FixedFieldError) throw new StartupError(`BOARDS_CONFIG (${file.file}): ${error.message}`, 2, { cause: error });
    throw error;
  }
}
