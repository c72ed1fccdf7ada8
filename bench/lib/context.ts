import type { Secrets } from './players.js';
import { ResourceSampler, type ResourceReport } from './proc.js';
import type { LatencySummary } from './stats.js';
import { startServer, type ServerProcess } from './server.js';
import { REDIS_URL, backendPids, databaseUrl } from './infra.js';
import { unansweredNote, type LoadResult } from './load.js';

/** Everything a scenario needs from the run. */
export interface BenchContext {
  runId: string;
  dbName: string;
  redisPrefix: string;
  secrets: Secrets;
  /** ACTIONS_CONFIG: one action type, minDuration 0, maxScore 1e9. */
  actionsFile: string;
  tmpDir: string;
  durationSec: number;
  maxSockets: number;
  /** The ceiling's rate once measured (every other row is divided by it). */
  ceilingRate: number | null;
  /** The database scenario's updates/s with one statement per commit, once measured (the updates' reference). */
  databaseRate: number | null;
  /** The updates scenario's updates/s, once measured (the boards scenario's reference). */
  updatesRate: number | null;
  /** Pre-signed tokens of the update scenarios' players, shared by production and embedded. */
  tokenCache: Map<string, string[]>;
  /** The Redis server's pid (its CPU is sampled beside the server's), when it runs on this machine. */
  redisPid: number | null;
  log(message: string): void;
}

/** Raises the limits so that the benchmark measures throughput, not the limiter. */
export function commonEnv(ctx: BenchContext): Record<string, string> {
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    JWT_SECRET: ctx.secrets.jwtSecret,
    HMAC_SECRET_KEY: ctx.secrets.hmacSecretKey,
    ACTIONS_CONFIG: ctx.actionsFile,
    RATE_LIMIT_MAX_REQUESTS: '100000000',
    RATE_LIMIT_GLOBAL_MAX_REQUESTS: '1000000000',
  };
}

/** PostgreSQL + Redis: the production mode. */
export function productionEnv(ctx: BenchContext, extra: Record<string, string> = {}): Record<string, string> {
  return { ...commonEnv(ctx), DATABASE_URL: databaseUrl(ctx.dbName), REDIS_URL, REDIS_KEY_PREFIX: ctx.redisPrefix, ...extra };
}

export function startProduction(ctx: BenchContext, extra: Record<string, string> = {}, nofile?: number): Promise<ServerProcess> {
  return startServer(productionEnv(ctx, extra), { nofile });
}

/** One line of the summary table. */
export interface ScenarioRow {
  scenario: string;
  /** Short unique name of the row (the ratio line, the JSON). */
  id: string;
  label: string;
  /** What was counted per second (2xx responses, updates, socket deliveries, calls). */
  unit: string;
  throughput: number;
  /** What `throughput` counted during the resource window (for CPU per operation). */
  operations?: number;
  latency: LatencySummary;
  /** Highest server VmRSS sampled during the measurement (bytes). */
  peakRss: number | null;
  /** throughput / ceiling; null where it means nothing (direct Redis calls from the bench). */
  ratio: number | null;
  resources?: ResourceReport;
  notes: string[];
  details?: Record<string, unknown>;
}

export interface ScenarioOutcome {
  name: string;
  ok: boolean;
  error?: string;
  rows: ScenarioRow[];
  details: Record<string, unknown>;
  seconds: number;
}

export type Scenario = (ctx: BenchContext) => Promise<{ rows: ScenarioRow[]; details: Record<string, unknown> }>;

export function ratioTo(ctx: BenchContext, throughput: number): number | null {
  return ctx.ceilingRate ? throughput / ctx.ceilingRate : null;
}

/** The row of one HTTP load measurement: its rate, latency, resources and ratio to the ceiling. */
export function httpRow(
  ctx: BenchContext,
  row: { scenario: string; id: string; label: string; unit?: string; notes?: string[]; details?: Record<string, unknown> },
  result: LoadResult,
  resources: ResourceReport,
): ScenarioRow {
  const unanswered = unansweredNote(result);
  return {
    scenario: row.scenario,
    id: row.id,
    label: row.label,
    unit: row.unit ?? 'req/s',
    throughput: result.rate,
    operations: result.ok,
    latency: result.latency,
    peakRss: resources.peakRss,
    ratio: ratioTo(ctx, result.rate),
    resources,
    notes: [...(row.notes ?? []), ...(unanswered ? [unanswered] : [])],
    details: { responses: result.responses, byStatus: result.byStatus, seconds: result.seconds, ...row.details },
  };
}

/**
 * Starts measuring the server's RSS and CPU, with the PostgreSQL backends of the bench database
 * and Redis beside it (Redis is shared with whatever else uses it on this machine).
 */
export function sampleResources(ctx: BenchContext, serverPid: number, options: { database?: boolean; pids?: Record<string, number> } = {}): Promise<ResourceSampler> {
  const pids: Record<string, number> = { ...options.pids };
  const groups: Record<string, () => Promise<number[]>> = {};
  if (options.database !== false) {
    groups.postgres = () => backendPids(ctx.dbName);
    if (ctx.redisPid !== null) pids.redis = ctx.redisPid;
  }
  return ResourceSampler.start(serverPid, { pids, groups });
}
