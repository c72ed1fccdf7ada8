/*
 * npm run bench [-- --only updates,reads] [--duration 10] [--sockets 10000]
 *
 * Benchmarks a production-mode server process (PostgreSQL + Redis on this machine, a fresh
 * database and key prefix per run, both removed afterwards) and an embedded-mode one, with the
 * load generated on the same machine. See README "Performance".
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { productionEnv, type BenchContext, type Scenario, type ScenarioOutcome, type ScenarioRow } from './lib/context.js';
import { createDatabase, deleteRedisKeys, dropDatabase, serverVersions } from './lib/infra.js';
import { stopAllLoads } from './lib/load.js';
import { BENCH_ACTIONS_CATALOGUE } from './lib/players.js';
import { cpuPerOperationMs, formatRatio, rowLines, summaryTable, toJson } from './lib/report.js';
import { BIN, cleanEnv, runningServers, setServerNodeArgs, spawnWithLimit } from './lib/server.js';
import { runningSwarms } from './lib/swarm.js';
import { boardReads } from './scenarios/board-reads.js';
import { boards } from './scenarios/boards.js';
import { ceiling } from './scenarios/ceiling.js';
import { database } from './scenarios/database.js';
import { embedded } from './scenarios/embedded.js';
import { fanout } from './scenarios/fanout.js';
import { rank } from './scenarios/rank.js';
import { reads } from './scenarios/reads.js';
import { updates } from './scenarios/updates.js';

const SCENARIOS: Array<[string, Scenario]> = [
  ['ceiling', ceiling],
  ['database', database],
  ['updates', updates],
  ['boards', boards],
  ['reads', reads],
  ['board-reads', boardReads],
  ['fanout', fanout],
  ['rank', rank],
  ['embedded', embedded],
];
const ALIASES: Record<string, string> = { 'fan-out': 'fanout', rank1m: 'rank' };

const USAGE = `Usage: npm run bench -- [--only ${SCENARIOS.map(([n]) => n).join(',')}] [--duration 10] [--sockets 10000]

  --only      scenarios to run (comma-separated); the ceiling always runs too, as the reference, and
              the database scenario with updates or embedded (their reference), and updates with boards
  --duration  seconds of load per measurement (default 10)
  --sockets   most sockets of the fan-out scenario (default 10000; it runs 1000 first)
  --cpu-prof  directory: every server process started writes a V8 CPU profile there when it stops

Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust) and Redis at 127.0.0.1:6379
(BENCH_PG_URL / BENCH_REDIS_URL override them).`;

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function options() {
  let values: { only?: string; duration?: string; sockets?: string; 'cpu-prof'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: { only: { type: 'string' }, duration: { type: 'string' }, sockets: { type: 'string' }, 'cpu-prof': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const known = new Set(SCENARIOS.map(([name]) => name));
  let only: Set<string> | null = null;
  if (values.only !== undefined) {
    only = new Set(values.only.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean).map((s) => ALIASES[s] ?? s));
    for (const name of only) if (!known.has(name)) fail(`unknown scenario "${name}"`);
    only.add('ceiling');
    // The boards' reference: the plain updates, measured in the same run.
    if (only.has('boards')) only.add('updates');
    // The updates' reference: what PostgreSQL alone does with the same work, measured in the same run.
    if (only.has('updates') || only.has('embedded')) only.add('database');
  }
  const durationSec = Number(values.duration ?? 10);
  if (!/^\d+(\.\d+)?$/.test(values.duration ?? '10') || durationSec < 1 || durationSec > 600) fail('--duration must be 1 to 600 seconds');
  const maxSockets = Number(values.sockets ?? 10_000);
  if (!/^\d+$/.test(values.sockets ?? '10000') || maxSockets < 1 || maxSockets > 100_000) fail('--sockets must be 1 to 100000');
  if (values['cpu-prof'] !== undefined) setServerNodeArgs(['--cpu-prof', `--cpu-prof-dir=${resolve(values['cpu-prof'])}`]);
  return { only, durationSec, maxSockets };
}

const opts = options();
const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
const startedAt = new Date();
const tmpDir = mkdtempSync(join(tmpdir(), 'scoreboard-bench-'));
const actionsFile = join(tmpDir, 'actions.json');
writeFileSync(actionsFile, JSON.stringify(BENCH_ACTIONS_CATALOGUE));
const ctx: BenchContext = {
  runId,
  dbName: `scoreboard_bench_${runId}`,
  redisPrefix: `bench-${runId}:`,
  secrets: { jwtSecret: randomBytes(32).toString('hex'), hmacSecretKey: randomBytes(32).toString('hex') },
  actionsFile,
  tmpDir,
  durationSec: opts.durationSec,
  maxSockets: opts.maxSockets,
  ceilingRate: null,
  databaseRate: null,
  updatesRate: null,
  tokenCache: new Map(),
  redisPid: null,
  log: (message) => process.stdout.write(`  · ${message}\n`),
};

let databaseCreated = false;
let cleaning: Promise<void> | null = null;

/** Stops every process this run started and removes its database, Redis keys and files. Idempotent. */
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    stopAllLoads();
    for (const swarm of runningSwarms()) await swarm.kill().catch(() => undefined);
    for (const server of runningServers()) await server.stop(5000).catch(() => undefined);
    const done: string[] = [];
    if (databaseCreated) {
      try {
        await dropDatabase(ctx.dbName);
        done.push(`database ${ctx.dbName} dropped`);
      } catch (error) {
        done.push(`could not drop database ${ctx.dbName}: ${(error as Error).message}`);
      }
    }
    try {
      const keys = await deleteRedisKeys(ctx.redisPrefix);
      done.push(`${keys} Redis keys under ${ctx.redisPrefix} deleted`);
    } catch (error) {
      done.push(`could not delete Redis keys under ${ctx.redisPrefix}: ${(error as Error).message}`);
    }
    rmSync(tmpDir, { recursive: true, force: true });
    process.stdout.write(`\ncleanup: ${done.join('; ')}; temporary files removed\n`);
  })();
  return cleaning;
}

let firstSignalAt = 0;
function onSignal(signal: string): void {
  // Under `npm run`, Ctrl-C reaches this process twice (the terminal's and npm's forwarded copy):
  // only a signal well after the first one means "force".
  if (firstSignalAt > 0 && Date.now() - firstSignalAt < 2000) return;
  if (firstSignalAt > 0) {
    // Asked twice: kill what is left without waiting.
    for (const server of runningServers()) server.child.kill('SIGKILL');
    for (const swarm of runningSwarms()) swarm.child.kill('SIGKILL');
    process.exit(130);
  }
  firstSignalAt = Date.now();
  process.stdout.write(`\n${signal}: stopping the load, the servers and cleaning up (again to force)...\n`);
  void cleanup().finally(() => process.exit(130));
}
process.on('SIGINT', () => onSignal('SIGINT'));
process.on('SIGTERM', () => onSignal('SIGTERM'));
process.on('uncaughtException', (error) => {
  process.stderr.write(`\nbench: unexpected error: ${error.stack ?? error}\n`);
  void cleanup().finally(() => process.exit(1));
});
process.on('unhandledRejection', (error) => {
  process.stderr.write(`\nbench: unexpected rejection: ${(error as Error)?.stack ?? error}\n`);
  void cleanup().finally(() => process.exit(1));
});

async function migrate(): Promise<void> {
  const child = spawnWithLimit([BIN, 'migrate'], { env: { ...cleanEnv(), ...productionEnv(ctx) } });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  if (code !== 0) throw new Error(`scoreboard migrate exited with ${code}:\n${output}`);
}

type Machine = Awaited<ReturnType<typeof describeMachine>>;

/** The machine and the database servers the run measures on. */
async function describeMachine() {
  const versions = await serverVersions();
  ctx.redisPid = versions.redisPid;
  return {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    postgres: versions.postgres,
    redis: versions.redis,
    loadAverageAtStart: loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

const BAR = '='.repeat(100);

function printHeader(machine: Machine, selected: typeof SCENARIOS): void {
  process.stdout.write(
    `${BAR}\nScoreboard benchmark ${startedAt.toISOString()}  run ${runId}\n` +
      `machine: ${machine.nproc} cores (${machine.cpu}), ${machine.memoryGiB} GiB, Node ${machine.node}, PostgreSQL ${machine.postgres}, Redis ${machine.redis}; load average ${machine.loadAverageAtStart.join(' ')}\n` +
      `scenarios: ${selected.map(([n]) => n).join(', ')}; ${opts.durationSec} s per measurement; fan-out up to ${opts.maxSockets} sockets\n` +
      `NOTE: load generator, server, PostgreSQL and Redis share this machine (and other tenants share it too):\n` +
      `      absolute numbers are noisy. Compare the RATIOS to the ceiling (same server, same moment), not the raw rates.\n${BAR}\n`,
  );
}

/** Each scenario in turn; a failed one is reported, and what it left running is stopped before the next. */
async function runScenarios(selected: typeof SCENARIOS): Promise<ScenarioOutcome[]> {
  const outcomes: ScenarioOutcome[] = [];
  for (const [name, scenario] of selected) {
    if (cleaning) break;
    process.stdout.write(`\n[${name}]\n`);
    const started = performance.now();
    try {
      const { rows, details } = await scenario(ctx);
      const seconds = (performance.now() - started) / 1000;
      outcomes.push({ name, ok: true, rows, details, seconds });
      for (const row of rows) process.stdout.write(`${rowLines(row).join('\n')}\n`);
      process.stdout.write(`  (${seconds.toFixed(0)} s)\n`);
    } catch (error) {
      if (cleaning) break;
      const message = (error as Error).stack ?? String(error);
      outcomes.push({ name, ok: false, error: message, rows: [], details: {}, seconds: (performance.now() - started) / 1000 });
      process.stdout.write(`  FAILED: ${message}\n`);
      for (const swarm of runningSwarms()) await swarm.kill().catch(() => undefined);
      for (const server of runningServers()) await server.stop(5000).catch(() => undefined);
    }
  }
  return outcomes;
}

/** The summary table and each row's ratios to the ceiling, to the database alone and to the updates. */
function printSummary(machine: Machine, outcomes: ScenarioOutcome[], totalSeconds: number): void {
  process.stdout.write(
    `\n${BAR}\nSUMMARY (run ${runId}, ${totalSeconds.toFixed(0)} s; load average now ${loadavg().map((v) => v.toFixed(2)).join(' ')})\n` +
      `A shared, noisy ${machine.nproc}-core machine running the server, PostgreSQL, Redis and the load generator at once: read the ratios.\n\n` +
      `${summaryTable(outcomes)}\n\n` +
      `vs ceiling = throughput / GET /health/live throughput of the same server config in this run` +
      (ctx.ceilingRate ? ` (${Math.round(ctx.ceilingRate).toLocaleString('en-US')} req/s)` : '') +
      `; "-" = not an HTTP rate of the server (direct Redis calls).\n` +
      `srv CPU ms/op = server process CPU time per counted operation: what one request costs, much less sensitive to the other tenants than the rate.\n` +
      (outcomes.some((o) => o.name === 'fanout')
        ? `Fan-out: throughput = leaderboard:update deliveries to sockets per second; latency = per delivery, from the HTTP response of the\n` +
          `most recent update that broadcast newly shows to its arrival at the socket (BROADCAST_INTERVAL_MS=100 coalescing included).\n`
        : ''),
  );
  const rows = outcomes.flatMap((o) => o.rows);
  const ratios = rows.filter((row) => row.ratio !== null && row.scenario !== 'ceiling');
  if (ratios.length > 0) {
    process.stdout.write(`\nRATIOS TO THE CEILING: ${ratios.map((row) => `${row.id} ${formatRatio(row.ratio)}`).join(' | ')}\n`);
  }
  printRatios(`THE DATABASE ALONE (one statement per commit, ${Math.round(ctx.databaseRate ?? 0).toLocaleString('en-US')}/s)`, ctx.databaseRate, rows.filter((row) => row.scenario === 'updates'));
  printRatios(`THE UPDATES (${Math.round(ctx.updatesRate ?? 0).toLocaleString('en-US')}/s)`, ctx.updatesRate, rows.filter((row) => row.scenario === 'boards'));
}

function printRatios(to: string, rate: number | null | undefined, rows: ScenarioRow[]): void {
  if (!rate || rows.length === 0) return;
  process.stdout.write(`RATIOS TO ${to}: ${rows.map((row) => `${row.id} ${formatRatio(row.throughput / rate)}`).join(' | ')}\n`);
}

/** bench/results/<start>.json: every row with its CPU per operation, the machine and the options. */
function writeResults(machine: Machine, outcomes: ScenarioOutcome[], finishedAt: Date, totalSeconds: number): string {
  const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${startedAt.toISOString().replace(/:/g, '-')}.json`);
  writeFileSync(
    file,
    toJson({
      runId,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      totalSeconds,
      interrupted: Boolean(cleaning),
      options: { only: opts.only ? [...opts.only] : null, durationSec: opts.durationSec, maxSockets: opts.maxSockets },
      machine: { ...machine, loadAverageAtEnd: loadavg().map((v) => Math.round(v * 100) / 100) },
      config: { connections: 64, broadcastIntervalMs: 100, rateLimits: 'RATE_LIMIT_MAX_REQUESTS=1e8, RATE_LIMIT_GLOBAL_MAX_REQUESTS=1e9', actions: BENCH_ACTIONS_CATALOGUE },
      ceilingRate: ctx.ceilingRate,
      scenarios: outcomes.map((outcome) => ({
        ...outcome,
        rows: outcome.rows.map((row) => ({ ...row, serverCpuMsPerOp: cpuPerOperationMs(row), postgresCpuMsPerOp: cpuPerOperationMs(row, 'postgres') })),
      })),
    }),
  );
  return file;
}

async function main(): Promise<number> {
  const machine = await describeMachine();
  const selected = SCENARIOS.filter(([name]) => !opts.only || opts.only.has(name));
  printHeader(machine, selected);
  await createDatabase(ctx.dbName);
  databaseCreated = true;
  await migrate();
  ctx.log(`database ${ctx.dbName}, Redis prefix ${ctx.redisPrefix}`);

  const outcomes = await runScenarios(selected);
  const finishedAt = new Date();
  const totalSeconds = (finishedAt.getTime() - startedAt.getTime()) / 1000;
  printSummary(machine, outcomes, totalSeconds);
  if (cleaning) process.stdout.write(`\nINTERRUPTED: the results above are partial\n`);
  const failed = outcomes.filter((o) => !o.ok);
  if (failed.length > 0) process.stdout.write(`\nFAILED: ${failed.map((o) => o.name).join(', ')}\n`);
  const file = writeResults(machine, outcomes, finishedAt, totalSeconds);
  process.stdout.write(`\nresults written to ${file}\n`);
  return failed.length > 0 ? 1 : 0;
}

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  process.stderr.write(`\nbench: ${(error as Error).stack ?? error}\n`);
} finally {
  await cleanup();
}
process.exit(exitCode);
