import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { sampleResources, type BenchContext, type ScenarioRow } from '../lib/context.js';
import { databaseUrl } from '../lib/infra.js';
import type { ResourceReport } from '../lib/proc.js';
import { Samples } from '../lib/stats.js';
import { CONNECTIONS } from './ceiling.js';

const PLAYERS = 100_000;
/** Rows per statement of the batched measurement: the server's largest group-commit batch. */
const BATCH_ROWS = 256;
/** Connections of the batched measurement: the server keeps two batches in flight. */
const BATCH_CONNECTIONS = 2;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS bench_ref_scores (user_id text PRIMARY KEY, score bigint NOT NULL, updated_at timestamptz NOT NULL);
CREATE TABLE IF NOT EXISTS bench_ref_history (
  id bigserial PRIMARY KEY,
  user_id text NOT NULL,
  action_id uuid NOT NULL UNIQUE,
  increment integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
TRUNCATE bench_ref_scores, bench_ref_history;`;

/** One update's durable work, without the server: add to the player's score, append the history row. */
const ONE_SQL = `WITH s AS (
  INSERT INTO bench_ref_scores (user_id, score, updated_at) VALUES ($1, $2, now())
  ON CONFLICT (user_id) DO UPDATE SET score = bench_ref_scores.score + EXCLUDED.score, updated_at = now()
  RETURNING user_id)
INSERT INTO bench_ref_history (user_id, action_id, increment) SELECT user_id, $3, $2 FROM s`;

/** The same for many players at once (distinct, in id order so that concurrent batches cannot deadlock). */
const BATCH_SQL = `WITH input AS (
  SELECT * FROM unnest($1::text[], $2::integer[], $3::uuid[]) AS t(user_id, increment, action_id)),
s AS (
  INSERT INTO bench_ref_scores (user_id, score, updated_at) SELECT user_id, increment, now() FROM input ORDER BY user_id
  ON CONFLICT (user_id) DO UPDATE SET score = bench_ref_scores.score + EXCLUDED.score, updated_at = now())
INSERT INTO bench_ref_history (user_id, action_id, increment) SELECT user_id, action_id, increment FROM input`;

const player = (i: number) => `r${String(i).padStart(7, '0')}`;

interface Measured {
  operations: number;
  seconds: number;
  latency: Samples;
  resources: ResourceReport;
}

/** Runs `connections` loops of `step` for `durationSec`; each step counts `perStep` operations. */
async function measure(ctx: BenchContext, connections: number, durationSec: number, perStep: number, step: (client: pg.Client) => Promise<unknown>): Promise<Measured> {
  const clients = await Promise.all(
    Array.from({ length: connections }, async () => {
      const client = new pg.Client({ connectionString: databaseUrl(ctx.dbName) });
      await client.connect();
      return client;
    }),
  );
  try {
    const latency = new Samples();
    // The sampler's "server" is this process: there is no server here, only the client library.
    const sampler = await sampleResources(ctx, process.pid);
    const started = performance.now();
    const deadline = started + durationSec * 1000;
    let steps = 0;
    await Promise.all(
      clients.map(async (client) => {
        while (performance.now() < deadline) {
          const t = performance.now();
          await step(client);
          latency.add(performance.now() - t);
          steps += 1;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const resources = await sampler.stop();
    return { operations: steps * perStep, seconds, latency, resources };
  } finally {
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
  }
}

function row(id: string, label: string, unit: string, measured: Measured, notes: string[]): ScenarioRow {
  // No server process: all of the client side is the bench's (the "load generator" of the budget).
  const resources = { ...measured.resources, serverCpuCores: 0, peakRss: null, startRss: null, hwm: null };
  return {
    scenario: 'database',
    id,
    label,
    unit,
    throughput: measured.operations / measured.seconds,
    operations: measured.operations,
    latency: measured.latency.summary(),
    peakRss: null,
    ratio: null,
    resources,
    notes,
    details: { seconds: measured.seconds },
  };
}

/**
 * PostgreSQL alone, through the same client library, doing an update's durable work (score upsert and
 * history insert, one commit): one statement per commit over 64 connections, then 256 players per
 * statement over two. What the database allows on this machine today: the updates' reference.
 */
export async function database(ctx: BenchContext) {
  const rows: ScenarioRow[] = [];
  const setup = new pg.Client({ connectionString: databaseUrl(ctx.dbName) });
  await setup.connect();
  try {
    await setup.query(SCHEMA);
  } finally {
    await setup.end();
  }
  const one = (client: pg.Client) =>
    client.query({ name: 'bench_ref_one', text: ONE_SQL, values: [player(1 + Math.floor(Math.random() * PLAYERS)), 1 + Math.floor(Math.random() * 100), randomUUID()] });
  ctx.log(`warming up (1 s), then one statement per commit, ${CONNECTIONS} connections, ${ctx.durationSec} s`);
  await measure(ctx, 16, 1, 1, one);
  const single = await measure(ctx, CONNECTIONS, ctx.durationSec, 1, one);
  ctx.databaseRate = single.operations / single.seconds;
  rows.push(
    row('database-one', `database alone: 1 update per statement and commit, ${CONNECTIONS} connections`, 'updates/s', single, [
      `score upsert + history insert (unique action id) in one prepared statement, autocommit, over ${PLAYERS.toLocaleString('en-US')} players; no server in between`,
    ]),
  );

  const batch = (client: pg.Client) => {
    // Distinct players, in id order: a random start and a stride that never wraps onto itself.
    const first = Math.floor(Math.random() * PLAYERS);
    const ids = Array.from({ length: BATCH_ROWS }, (_, k) => player(1 + ((first + k * 389) % PLAYERS))).sort();
    const increments = ids.map(() => 1 + Math.floor(Math.random() * 100));
    const actions = ids.map(() => randomUUID());
    return client.query({ name: 'bench_ref_batch', text: BATCH_SQL, values: [ids, increments, actions] });
  };
  ctx.log(`${BATCH_ROWS} updates per statement and commit, ${BATCH_CONNECTIONS} connections, ${ctx.durationSec} s`);
  const batched = await measure(ctx, BATCH_CONNECTIONS, ctx.durationSec, BATCH_ROWS, batch);
  rows.push(
    row('database-batch', `database alone: ${BATCH_ROWS} updates per statement and commit, ${BATCH_CONNECTIONS} connections`, 'updates/s', batched, [
      `the same work for ${BATCH_ROWS} distinct players per statement; latency is per statement`,
    ]),
  );
  return { rows, details: { players: PLAYERS, batchRows: BATCH_ROWS } };
}
