import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { RedisRankIndex } from '../../src/boards/rank-index-redis.js';
import { GLOBAL_BOARD } from '../../src/boards/rank-index.js';
import { commonEnv, httpRow, productionEnv, sampleResources, startProduction, type BenchContext, type ScenarioRow } from '../lib/context.js';
import { REDIS_URL, databaseUrl, withDatabase } from '../lib/infra.js';
import { assertAllOk, runLoad } from '../lib/load.js';
import { playerId, presignTokens } from '../lib/players.js';
import { readMemory } from '../lib/proc.js';
import { seedPlayers, truncateAll } from '../lib/seed.js';
import { BIN, spawnWithLimit, startServer, type ServerProcess } from '../lib/server.js';
import { Samples, formatMiB } from '../lib/stats.js';
import { CONNECTIONS } from './ceiling.js';

const PLAYERS = 1_000_000;
const PREFIX = 'r';
const RANK_OF_CALLS = 20_000;
const TOP_CALLS = 5_000;

const randomPlayer = () => playerId(PREFIX, 1 + Math.floor(Math.random() * PLAYERS));

/** `scoreboard rebuild-cache` with the server's environment; its log line gives the rebuild's ms. */
async function rebuildCache(env: Record<string, string>): Promise<{ ms: number | null; wallMs: number; players: number | null }> {
  const started = performance.now();
  const child = spawnWithLimit([BIN, 'rebuild-cache'], { env: { ...env, LOG_LEVEL: 'info' } });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  const wallMs = performance.now() - started;
  if (code !== 0) throw new Error(`rebuild-cache exited with ${code}:\n${output.slice(-3000)}`);
  const line = output.split('\n').find((l) => l.includes('rank index rebuilt from the database'));
  const parsed = line ? (JSON.parse(line) as { ms: number; players: number }) : null;
  return { ms: parsed?.ms ?? null, wallMs, players: parsed?.players ?? null };
}

/** MEMORY USAGE (Redis's estimate) of the rank index keys under the prefix. */
async function rankIndexBytes(redis: Redis, prefix: string): Promise<number> {
  let bytes = 0;
  for (const key of [`${prefix}lb:{${GLOBAL_BOARD}}:z`, `${prefix}lb:{${GLOBAL_BOARD}}:h`]) {
    bytes += Number((await redis.call('MEMORY', 'USAGE', key)) ?? 0);
  }
  return bytes;
}

/** Starts a server on the loaded board and reports its start-up rebuild, or why it did not start. */
async function startOnBigBoard(what: string, env: Record<string, string>, details: Record<string, unknown>, key: string): Promise<string> {
  const spawned = performance.now();
  try {
    const server = await startServer(env, { timeoutMs: 300_000 });
    try {
      // The server is ready after at most 5 s of its start-up rebuild, which then finishes in the
      // background: wait for its log line (reads meanwhile come from SQL).
      const waitUntil = performance.now() + 180_000;
      while (server.rebuildLogs().length === 0 && performance.now() < waitUntil) await sleep(200);
      await sleep(1000);
      const memory = readMemory(server.pid);
      const rebuild = server.rebuildLogs()[0];
      details[key] = { rebuildMs: rebuild?.ms ?? null, players: rebuild?.players ?? null, startMs: server.startMs, rss: memory?.rss ?? null, hwm: memory?.hwm ?? null };
      return (
        (rebuild
          ? `${what}: start-up rebuild of ${rebuild.players.toLocaleString('en-US')} players took ${rebuild.ms} ms `
          : `${what}: no start-up rebuild finished within 180 s `) +
        `(ready ${(server.startMs / 1000).toFixed(1)} s after spawn), server RSS then ${formatMiB(memory?.rss)} (VmHWM ${formatMiB(memory?.hwm)})`
      );
    } finally {
      await server.stop();
    }
  } catch (error) {
    // Reported, not fatal: the measurements above stand on their own.
    const message = (error as Error).message;
    details[key] = { failed: message.slice(0, 4000), afterMs: performance.now() - spawned };
    const reason = /FST_ERR_HOOK_TIMEOUT|AVV_ERR_READY_TIMEOUT/.test(message)
      ? "its 'onReady' hook (the start-up rank index rebuild) outlasted Fastify's plugin timeout (10 s by default) and it exited"
      : message.split('\n').slice(0, 3).join(' ');
    return `${what}: the server did NOT start (${((performance.now() - spawned) / 1000).toFixed(1)} s after spawn): ${reason}`;
  }
}

/**
 * 1,000,000 players loaded straight into PostgreSQL, the rank index rebuilt from it, then rank
 * lookups over HTTP and straight from the Redis rank index, and the top-10 read.
 */
export async function rank(ctx: BenchContext) {
  const rows: ScenarioRow[] = [];
  const details: Record<string, unknown> = {};
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  // Started on whatever board the run has (fast), then the board is replaced under it.
  const server = await startProduction(ctx);
  try {
    ctx.log(`server pid ${server.pid} ready in ${server.startMs.toFixed(0)} ms`);
    const index = await loadBigBoard(ctx, server, redis, details);
    const rssIdle = readMemory(server.pid)?.rss ?? null;
    rows.push(await lookupRow(ctx, server, rssIdle));
    rows.push(
      await directRow(ctx, {
        id: 'rank-redis-rankOf',
        label: 'rank: RedisRankIndex.rankOf (direct, sequential)',
        calls: RANK_OF_CALLS,
        note: 'one Lua script call (HGET + ZRANK) at a time from the bench process: latency of the index itself, not server throughput',
        call: async () => {
          if (!(await index.rankOf(GLOBAL_BOARD, randomPlayer()))) throw new Error('rank: rankOf found no entry for a loaded player');
        },
      }),
    );
    rows.push(
      await directRow(ctx, {
        id: 'rank-redis-top10',
        label: 'rank: RedisRankIndex.top(0,10) (direct, sequential)',
        calls: TOP_CALLS,
        note: 'one Lua script call (ZRANGE + HMGET) at a time from the bench process',
        call: async () => {
          const page = await index.top(GLOBAL_BOARD, 0, 10);
          if (page.length !== 10) throw new Error(`rank: top(0, 10) returned ${page.length} entries`);
        },
      }),
    );
    rows.push(await topRow(ctx, server));
  } finally {
    redis.disconnect();
    await server.stop();
  }
  await restartOnBigBoard(ctx, rows[0]!, details);
  return { rows, details };
}

/** The 1M players into PostgreSQL, then the Redis rank index rebuilt from them by the command. */
async function loadBigBoard(ctx: BenchContext, server: ServerProcess, redis: Redis, details: Record<string, unknown>): Promise<RedisRankIndex> {
  await truncateAll(ctx.dbName);
  ctx.log(`loading ${PLAYERS.toLocaleString('en-US')} users and scores into PostgreSQL (INSERT ... SELECT FROM generate_series)`);
  const loadMs = await seedPlayers(ctx.dbName, PREFIX, PLAYERS);
  const dbBytes = await withDatabase(ctx.dbName, async (client) => Number((await client.query('SELECT pg_database_size(current_database()) AS n')).rows[0].n));
  ctx.log(`loaded in ${(loadMs / 1000).toFixed(1)} s (database now ${formatMiB(dbBytes)}); rebuilding the Redis rank index with \`scoreboard rebuild-cache\``);
  const rebuilt = await rebuildCache(server.env);
  const index = new RedisRankIndex({ redis, keyPrefix: ctx.redisPrefix });
  const count = await index.count(GLOBAL_BOARD);
  if (count !== PLAYERS) throw new Error(`rank: the rank index holds ${count} players after the rebuild, expected ${PLAYERS}`);
  const indexBytes = await rankIndexBytes(redis, ctx.redisPrefix);
  ctx.log(
    `rank index rebuilt: ${rebuilt.ms ?? '?'} ms (the command's own log line; ${(rebuilt.wallMs / 1000).toFixed(1)} s wall clock with process start), ` +
      `Redis holds it in ~${formatMiB(indexBytes)}`,
  );
  Object.assign(details, { loadMs, databaseBytes: dbBytes, rebuildMs: rebuilt.ms, rebuildWallMs: rebuilt.wallMs, rankIndexRedisBytes: indexBytes });
  return index;
}

/** HTTP rank lookups of random players. */
async function lookupRow(ctx: BenchContext, server: ServerProcess, rssIdle: number | null): Promise<ScenarioRow> {
  const [readerToken] = presignTokens(ctx.secrets, ['bench-reader']);
  const lookup = (durationSec: number, connections: number) =>
    runLoad({
      url: server.url,
      path: '/api/v1/scores/user/x',
      headers: { authorization: `Bearer ${readerToken}` },
      connections,
      durationSec,
      setupRequest: (request) => {
        request.path = `/api/v1/scores/user/${randomPlayer()}`;
        return request;
      },
    });
  await lookup(1, 16);
  ctx.log(`GET /api/v1/scores/user/:id of random players, ${CONNECTIONS} connections, ${ctx.durationSec} s`);
  const sampler = await sampleResources(ctx, server.pid);
  const lookups = await lookup(ctx.durationSec, CONNECTIONS);
  const resources = await sampler.stop();
  assertAllOk('rank lookups', lookups);
  const notes = [
    `random players of ${PLAYERS.toLocaleString('en-US')}: nearly every lookup misses the 300 s user cache, so each is a SQL row read + Redis rank + cache write`,
    `server RSS idle with 1M players in Redis: ${formatMiB(rssIdle)} (the production server keeps no per-player state in process)`,
  ];
  return httpRow(ctx, { scenario: 'rank', id: 'rank-lookup', label: 'rank: GET /scores/user/:id, 1M players', notes }, lookups, resources);
}

/** One rank index call at a time, straight from the bench process: the index's own latency. */
async function directRow(ctx: BenchContext, what: { id: string; label: string; calls: number; note: string; call: () => Promise<void> }): Promise<ScenarioRow> {
  ctx.log(`${what.label.replace(/^rank: /, '')} x ${what.calls.toLocaleString('en-US')}`);
  const samples = new Samples();
  const started = performance.now();
  for (let i = 0; i < what.calls; i++) {
    const t = performance.now();
    await what.call();
    samples.add(performance.now() - t);
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    scenario: 'rank',
    id: what.id,
    label: what.label,
    unit: 'calls/s',
    throughput: what.calls / seconds,
    latency: samples.summary(),
    peakRss: null,
    ratio: null,
    notes: [what.note],
  };
}

/** The top 10 over HTTP with 1M players. */
async function topRow(ctx: BenchContext, server: ServerProcess): Promise<ScenarioRow> {
  const topDuration = Math.max(1, Math.min(ctx.durationSec, 5));
  ctx.log(`GET /api/v1/scores/leaderboard?limit=10 with 1M players, ${CONNECTIONS} connections, ${topDuration} s`);
  const sampler = await sampleResources(ctx, server.pid);
  const tops = await runLoad({ url: server.url, path: '/api/v1/scores/leaderboard?limit=10', connections: CONNECTIONS, durationSec: topDuration });
  const resources = await sampler.stop();
  assertAllOk('rank top-10', tops);
  return httpRow(ctx, { scenario: 'rank', id: 'rank-top10', label: 'rank: GET /scores/leaderboard?limit=10, 1M players' }, tops, resources);
}

/**
 * A server starting on the 1M board rebuilds its rank index before it listens: once with Redis
 * (the production mode), once without (PostgreSQL only: the index lives in the server process).
 * LOG_LEVEL=info here only to read the rebuild's log line; no load is measured on these servers.
 */
async function restartOnBigBoard(ctx: BenchContext, row: ScenarioRow, details: Record<string, unknown>): Promise<void> {
  for (const variant of [
    { key: 'restartWithRedis', what: 'production server restarted on the 1M board (Redis rank index)', env: productionEnv(ctx, { LOG_LEVEL: 'info' }) },
    { key: 'inProcessIndex', what: 'PostgreSQL without Redis (in-process rank index) on the 1M board', env: { ...commonEnv(ctx), DATABASE_URL: databaseUrl(ctx.dbName), LOG_LEVEL: 'info' } },
  ]) {
    ctx.log(`${variant.what}: starting`);
    const note = await startOnBigBoard(variant.what, variant.env, details, variant.key);
    ctx.log(note);
    row.notes.push(note);
  }
  row.notes.push(
    `1M rows loaded in ${((details.loadMs as number) / 1000).toFixed(1)} s; Redis rank index rebuilt by \`scoreboard rebuild-cache\` in ${details.rebuildMs ?? '?'} ms and takes ~${formatMiB(details.rankIndexRedisBytes as number)} in Redis`,
  );
}
