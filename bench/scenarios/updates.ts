import { httpRow, sampleResources, startProduction, type BenchContext, type ScenarioRow } from '../lib/context.js';
import { withDatabase } from '../lib/infra.js';
import { assertAllOk, runLoad, type LoadResult } from '../lib/load.js';
import { playerId, presignTokens, updateBody, type Secrets } from '../lib/players.js';
import type { ResourceReport } from '../lib/proc.js';
import type { ServerProcess } from '../lib/server.js';
import { CONNECTIONS } from './ceiling.js';

export const UPDATE_PLAYERS = 100_000;
const PLAYER_PREFIX = 'u';

/** 100,000 players' ids (`<prefix><7 digits>`) and tokens, signed once per run and prefix. */
export function updatePlayers(ctx: BenchContext, prefix = PLAYER_PREFIX): { ids: string[]; tokens: string[] } {
  const cached = ctx.tokenCache.get(prefix);
  const ids = Array.from({ length: UPDATE_PLAYERS }, (_, i) => playerId(prefix, i + 1));
  if (cached) return { ids, tokens: cached };
  const started = performance.now();
  const tokens = presignTokens(ctx.secrets, ids);
  ctx.log(`pre-signed ${tokens.length.toLocaleString('en-US')} player tokens in ${(performance.now() - started).toFixed(0)} ms`);
  ctx.tokenCache.set(prefix, tokens);
  return { ids, tokens };
}

export interface WriteMetrics {
  /** `score_update_total{result="success"}`. */
  success: number;
  /** Statements that committed updates (`score_write_batch_size_count`), and the updates they carried. */
  batches: number;
  batchedUpdates: number;
}

/** The write counters of the server's /metrics (null when it cannot be read). */
export async function writeMetrics(url: string): Promise<WriteMetrics | null> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    const read = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
    return {
      success: read(/^score_update_total\{result="success"\} (\d+(?:\.\d+)?)/m),
      batches: read(/^score_write_batch_size_count (\d+)/m),
      batchedUpdates: read(/^score_write_batch_size_sum (\d+)/m),
    };
  } catch {
    return null;
  }
}

export interface UpdateRun {
  result: LoadResult;
  resources: ResourceReport;
  /** The actionId of every update answered 200, the warm-up's included. */
  okActionIds: string[];
  /** Requests sent (warm-up included) whose answer was never read: in flight when the load stopped. */
  unanswered: number;
  distinctPlayers: number;
  metrics: WriteMetrics | null;
}

/** What one signed write of a load looks like: its route and a fresh body with its actionId. */
export interface SignedWrites {
  path: string;
  /** Players' id prefix: fresh players per scenario, so that every run creates as many user rows. */
  prefix?: string;
  body(secrets: Secrets): { body: string; actionId: string };
  /** How the route is named in the log. @default `POST ${path}` */
  what?: string;
}

/** Signed score updates: a random increment from 1 to 100, the bench's one action type. */
export const SCORE_UPDATES: SignedWrites = {
  path: '/api/v1/scores/update',
  body: (secrets) => updateBody(secrets, 1 + Math.floor(Math.random() * 100)),
};

/**
 * Signed, valid updates spread uniformly over 100,000 players, 64 connections. Each request gets
 * a fresh actionId, the current time and its HMAC signature; tokens are pre-signed.
 */
export async function driveUpdates(ctx: BenchContext, server: ServerProcess, name: string, database = true, writes: SignedWrites = SCORE_UPDATES): Promise<UpdateRun> {
  const { ids, tokens } = updatePlayers(ctx, writes.prefix);
  const touched = new Uint8Array(ids.length);
  const okActionIds: string[] = [];
  let sent = 0;
  let answered = 0;
  const load = (connections: number, durationSec: number) =>
    runLoad({
      url: server.url,
      method: 'POST',
      path: writes.path,
      connections,
      durationSec,
      setupRequest: (request, context) => {
        const i = Math.floor(Math.random() * ids.length);
        touched[i] = 1;
        const { body, actionId } = writes.body(ctx.secrets);
        context.actionId = actionId;
        request.headers = { 'content-type': 'application/json', authorization: `Bearer ${tokens[i]}` };
        request.body = body;
        sent += 1;
        return request;
      },
      onResponse: (status, context) => {
        answered += 1;
        if (status === 200) okActionIds.push(context.actionId as string);
      },
    });
  ctx.log('warming up (1 s, 16 connections; its updates count in the durability check)');
  const warmup = await load(16, 1);
  assertAllOk(`${name} warm-up`, warmup);
  ctx.log(`${writes.what ?? `POST ${writes.path}`} over ${ids.length.toLocaleString('en-US')} players, ${CONNECTIONS} connections, ${ctx.durationSec} s`);
  const sampler = await sampleResources(ctx, server.pid, { database });
  const result = await load(CONNECTIONS, ctx.durationSec);
  const resources = await sampler.stop();
  assertAllOk(name, result);
  let distinctPlayers = 0;
  for (const t of touched) distinctPlayers += t;
  return { result, resources, okActionIds, unanswered: sent - answered, distinctPlayers, metrics: await writeMetrics(server.url) };
}

export interface Durability {
  /** Rows in score_history. */
  rows: number;
  /** How many of the 200-answered actionIds have their row. */
  found: number;
}

/**
 * Every update answered 200 must have its score_history row. The table may hold a few more: the
 * updates still in flight when the load generator stopped were applied, but their answers were
 * never read; there can be no more of those than requests left unanswered.
 */
export function checkDurability(name: string, run: UpdateRun, durability: Durability, noun = 'updates'): string {
  const ok = run.okActionIds.length;
  const extra = durability.rows - ok;
  if (durability.found !== ok || extra < 0 || extra > run.unanswered) {
    throw new Error(
      `${name}: ${ok} ${noun} answered 200 but only ${durability.found} of them are in score_history ` +
        `(${durability.rows} rows, ${run.unanswered} requests unanswered when the load stopped): not every update is durable`,
    );
  }
  return (
    `durability: all ${ok.toLocaleString('en-US')} ${noun} answered 200 (warm-up included) have their score_history row` +
    (extra > 0 ? `; ${extra} more rows are ${noun} in flight when the generator stopped (${run.unanswered} left unanswered)` : '; no other rows')
  );
}

/** `{...}` array literal of the UUIDs, for `= ANY($1::uuid[])` on PostgreSQL and PGlite alike. */
export function uuidArray(ids: string[]): string {
  return `{${ids.join(',')}}`;
}

export const DURABILITY_SQL = `SELECT (SELECT count(*) FROM score_history)::bigint AS rows,
  (SELECT count(*) FROM score_history WHERE action_id = ANY($1::uuid[]))::bigint AS found`;

export function updateRow(ctx: BenchContext, scenario: string, label: string, run: UpdateRun, durabilityNote: string, noun = 'updates'): ScenarioRow {
  const notes = [
    `${run.result.ok.toLocaleString('en-US')} ${noun} answered 200, none refused; ${run.distinctPlayers.toLocaleString('en-US')} distinct players touched (a player's first write on a fresh server also creates their user row)`,
    durabilityNote,
  ];
  if (run.metrics) {
    const { success, batches, batchedUpdates } = run.metrics;
    notes.push(`server metric score_update_total{result="success"} = ${success}`);
    if (batches > 0) {
      notes.push(`group commit: ${batchedUpdates.toLocaleString('en-US')} updates in ${batches.toLocaleString('en-US')} statements, ${(batchedUpdates / batches).toFixed(1)} per commit on average`);
    }
  }
  if (ctx.databaseRate && scenario === 'updates') {
    notes.push(`${(run.result.rate / ctx.databaseRate).toFixed(2)}x what PostgreSQL alone did with one statement per commit in this run (database scenario, ${Math.round(ctx.databaseRate).toLocaleString('en-US')}/s)`);
  }
  const details = { answered200: run.okActionIds.length, unanswered: run.unanswered, distinctPlayers: run.distinctPlayers, metrics: run.metrics };
  return httpRow(ctx, { scenario, id: scenario, label, unit: `${noun}/s`, notes, details }, run.result, run.resources);
}

export async function updates(ctx: BenchContext) {
  // A board of its own: earlier scenarios' rows would only blur the row count.
  await withDatabase(ctx.dbName, (client) => client.query('TRUNCATE score_history'));
  const server = await startProduction(ctx);
  let run: UpdateRun;
  try {
    ctx.log(`server pid ${server.pid} ready in ${server.startMs.toFixed(0)} ms`);
    run = await driveUpdates(ctx, server, 'updates');
  } finally {
    await server.stop();
  }
  // After a graceful stop nothing is in flight any more.
  const durability = await withDatabase(ctx.dbName, async (client) => {
    const row = (await client.query(DURABILITY_SQL, [uuidArray(run.okActionIds)])).rows[0];
    return { rows: Number(row.rows), found: Number(row.found) };
  });
  const note = checkDurability('updates', run, durability);
  ctx.updatesRate = run.result.rate;
  const row = updateRow(ctx, 'updates', 'updates: POST /scores/update (PostgreSQL + Redis)', run, note);
  return { rows: [row], details: { serverStartMs: server.startMs, serverWarnLines: server.logCounts().warn, durability } };
}
