/*
 * Outages for real: this file runs its own PostgreSQL and Redis servers, crashes them under load
 * and restarts them, and checks what a user relies on (DESIGN sections 3 Operations, 6 and 7):
 * bounded 503s while the database is down, degraded service while Redis is down, nothing accepted
 * lost, nothing applied twice, and every view converging back to what SQL holds.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import type { ScoreBody } from '../helpers/app.js';
import {
  createOutageApp,
  OwnPostgres,
  OwnRedis,
  sameBoard,
  servedBoard,
  SKIP_OUTAGES,
  sleep,
  SqlProbe,
  waitFor,
  within,
  type BoardRow,
  type OutageApp,
} from '../helpers/outage-services.js';

/** No single request may take longer than this while a backend is down. */
const UNAVAILABLE_BOUND_MS = 6000;
/**
 * While the database is frozen (accepts connections, never answers), the bound is the pg client's
 * read timeout: statement timeout 10 s + 2 s (src/db/sql-client-pg.ts).
 */
const FROZEN_BOUND_MS = 15_000;
/** A request that does not answer within this is a hang, and fails the test. */
const HANG_MS = 20_000;

const prefix = () => `sbout_${randomBytes(4).toString('hex')}:`;
const randomIncrement = () => 1 + Math.floor(Math.random() * 50);

function errorOf(response: LightMyRequestResponse): { code?: string; details?: Record<string, unknown> } {
  try {
    return (response.json() as { error?: { code?: string; details?: Record<string, unknown> } }).error ?? {};
  } catch {
    return {};
  }
}

function describeResponse(response: LightMyRequestResponse): string {
  return `${response.statusCode} ${response.body.slice(0, 300)}`;
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

describe('outages of PostgreSQL and Redis (own servers, crashed and restarted)', { skip: SKIP_OUTAGES }, () => {
  let postgres: OwnPostgres | undefined;
  let redis: OwnRedis | undefined;
  /** Closed after each test, even when it fails. */
  let cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    [postgres, redis] = await Promise.all([OwnPostgres.create(), OwnRedis.create()]);
  });

  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await Promise.all([postgres?.destroy(), redis?.destroy()]);
  });

  /** Runs the test body, then its cleanups; makes sure both servers are up again for the next test. */
  async function scenario(body: (track: <T extends { close(): Promise<void> }>(resource: T) => T) => Promise<void>): Promise<void> {
    const mine: (() => Promise<void>)[] = [];
    cleanups = mine;
    const track = <T extends { close(): Promise<void> }>(resource: T): T => {
      mine.push(() => resource.close());
      return resource;
    };
    let failed = false;
    try {
      await body(track);
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      // Servers first (a closing app must not wait on a dead one), then the apps, then their leftovers.
      postgres!.thaw();
      if (!(await postgres!.running())) await postgres!.start();
      if (!(await redis!.answers())) await redis!.start();
      for (const cleanup of mine.reverse()) await cleanup().catch(() => undefined);
      cleanups = [];
      const left = await redis!.releaseClients();
      // Not asserted over a failure already on its way out: that one is the news.
      if (!failed) assert.deepEqual(left, [], 'every Redis connection of the closed apps is gone');
    }
  }

  async function post(app: OutageApp, userId: string, body: ScoreBody): Promise<{ response: LightMyRequestResponse; ms: number; started: number; finished: number }> {
    const started = Date.now();
    const response = await within(app.post(userId, body), HANG_MS, `POST /api/v1/scores/update for ${userId}`);
    const finished = Date.now();
    return { response, ms: finished - started, started, finished };
  }

  interface PostgresOutageOptions {
    /** `crash`: pg_ctl stop -m immediate, then start. `freeze`: SIGSTOP every server process, then SIGCONT. */
    kind: 'crash' | 'freeze';
    clients: number;
    /** How long the database stays down, from the moment the crash or freeze is done. */
    downMs: number;
    /** Every request answers within this while the database is down. */
    boundMs: number;
  }

  /**
   * Concurrent clients send signed updates (one user each) while the database goes down and comes
   * back; each retries a 503'd body with the same actionId until it gets 200 or 409. Then SQL must
   * hold exactly the applied updates, once each, and the leaderboard must agree with it.
   */
  async function postgresOutage(track: <T extends { close(): Promise<void> }>(resource: T) => T, options: PostgresOutageOptions): Promise<void> {
    const databaseUrl = await postgres!.createDatabase();
    const sql = track(new SqlProbe(databaseUrl));
    const t = track(await createOutageApp({ databaseUrl, redisUrl: redis!.url, keyPrefix: prefix() }));
    const label = `[outage:postgres-${options.kind}]`;
    const userOf = (index: number) => `pg-${options.kind}-${String(index).padStart(2, '0')}`;

    interface Sent {
      body: ScoreBody;
      userId: string;
      saw503: boolean;
      final?: 200 | 409;
    }
    const sent: Sent[] = [];
    const unexpected: string[] = [];
    const unavailable: { ms: number; finished: number }[] = [];
    const okCount = () => sent.filter((entry) => entry.final === 200).length;
    // The outage as the test sees it: from the crash/freeze completing to the restart/thaw starting.
    let outageRequestedAt = 0;
    let downSince = Infinity;
    let restartAt = Infinity;
    let upAt = Infinity;
    let stopNew = false;
    const insideOutage: { status: number; code?: string }[] = [];
    const firstOkAfterRestart: number[] = [];
    const deadline = Date.now() + 90_000;

    async function client(index: number): Promise<void> {
      const userId = userOf(index);
      let pending: Sent | null = null;
      let okAfterRestart = 0;
      while (Date.now() < deadline) {
        if (!pending && stopNew && okAfterRestart > 0) return;
        const entry: Sent = pending ?? {
          body: t.body({ actionType: index % 2 ? 'ACHIEVEMENT' : 'TASK_COMPLETE', scoreIncrement: randomIncrement() }),
          userId,
          saw503: false,
        };
        if (!pending) sent.push(entry);
        const { response, ms, started, finished } = await post(t, userId, entry.body);
        if (started >= downSince && finished <= restartAt) insideOutage.push({ status: response.statusCode, code: errorOf(response).code });
        if (response.statusCode === 503) {
          const retryAfter = response.headers['retry-after'];
          if (errorOf(response).code !== 'SERVICE_UNAVAILABLE' || !/^[1-9]\d*$/.test(String(retryAfter))) {
            unexpected.push(`503 without SERVICE_UNAVAILABLE and Retry-After: ${describeResponse(response)} retry-after=${String(retryAfter)}`);
          }
          unavailable.push({ ms, finished });
          entry.saw503 = true;
          pending = entry;
          // A real client waits Retry-After (5 s); this one retries sooner to keep the test short.
          await sleep(150 + Math.random() * 100);
          continue;
        }
        pending = null;
        if (response.statusCode === 200) {
          entry.final = 200;
          if (started >= upAt && ++okAfterRestart === 1) firstOkAfterRestart.push(finished);
        } else if (response.statusCode === 409 && errorOf(response).code === 'DUPLICATE_ACTION') {
          // Only a body whose earlier attempt failed may be a duplicate: its statement had in
          // fact been applied (the answer was lost, or it ran when the server resumed).
          entry.final = 409;
          if (!entry.saw503) unexpected.push(`409 for an actionId never sent before: ${entry.body.actionId}`);
          if (errorOf(response).details?.userId !== userId) unexpected.push(`409 without the original's details: ${describeResponse(response)}`);
        } else {
          unexpected.push(`unexpected answer: ${describeResponse(response)}`);
        }
        await sleep(10 + Math.random() * 20);
      }
      unexpected.push(`client ${userId} did not finish before the deadline (pending: ${pending?.body.actionId ?? 'none'})`);
    }

    const clients = Array.from({ length: options.clients }, (_, index) => client(index));
    try {
      // Warm up: updates flow, the pool holds connections.
      await waitFor(async () => okCount() >= 2 * options.clients, 20_000, 'updates before the outage');

      outageRequestedAt = Date.now();
      if (options.kind === 'crash') await postgres!.stop('immediate');
      else postgres!.freeze();
      downSince = Date.now();
      const firstUnavailable = await waitFor(
        async () => unavailable.find((entry) => entry.finished >= outageRequestedAt),
        options.boundMs + 5000,
        'first 503',
      );

      // While down: health says unhealthy (in bounded time), readiness fails, liveness holds.
      const healthStarted = Date.now();
      const health = await within(t.get('/health'), HANG_MS, 'GET /health');
      const healthMs = Date.now() - healthStarted;
      assert.equal(health.statusCode, 503, describeResponse(health));
      assert.equal(health.json().status, 'unhealthy');
      assert.equal(health.json().services.database, 'disconnected');
      assert.ok(healthMs < 4000, `/health answered in ${healthMs} ms`);
      const ready = await within(t.get('/health/ready'), HANG_MS, 'GET /health/ready');
      assert.equal(ready.statusCode, 503, describeResponse(ready));
      const live = await within(t.get('/health/live'), HANG_MS, 'GET /health/live');
      assert.equal(live.statusCode, 200);
      // Let the clients hit the dead database for a while.
      const remaining = options.downMs - (Date.now() - downSince);
      if (remaining > 0) await sleep(remaining);
      const unavailableWhileDown = unavailable.length;

      restartAt = Date.now();
      if (options.kind === 'crash') await postgres!.start();
      else postgres!.thaw();
      upAt = Date.now();
      const reconnect = await waitFor(async () => firstOkAfterRestart.length > 0, 20_000, 'first 200 after the database came back');
      await sleep(1000);
      stopNew = true;
      await within(Promise.all(clients), 60_000, 'clients finishing');

      const latencies = unavailable.map((entry) => entry.ms).sort((a, b) => a - b);
      const max = latencies[latencies.length - 1] ?? 0;
      console.log(
        `${label} ${options.clients} clients; 503s: ${unavailable.length} (${unavailableWhileDown} by the end of the down phase); ` +
          `first 503 ${firstUnavailable.value!.finished - outageRequestedAt} ms after the outage began; ` +
          `503 latency max ${max} ms, median ${latencies[Math.floor(latencies.length / 2)]} ms; /health while down: ${healthMs} ms; ` +
          `first 200 ${Math.min(...firstOkAfterRestart) - upAt} ms after the database was back (${reconnect.ms} ms polled); ` +
          `requests wholly inside the outage: ${insideOutage.length}, all 503: ${insideOutage.every((entry) => entry.status === 503)}`,
      );

      assert.deepEqual(unexpected, []);
      assert.ok(unavailable.length >= options.clients, `every client met the outage (${unavailable.length} 503s)`);
      assert.ok(max < options.boundMs, `every 503 answered within ${options.boundMs} ms (max ${max} ms)`);
      assert.ok(insideOutage.length > 0);
      assert.deepEqual(
        insideOutage.filter((entry) => entry.status !== 503 || entry.code !== 'SERVICE_UNAVAILABLE'),
        [],
        'while down, every update answers 503 SERVICE_UNAVAILABLE',
      );

      // Health recovers on its own.
      const healthy = await within(t.get('/health'), HANG_MS, 'GET /health');
      assert.equal(healthy.statusCode, 200, describeResponse(healthy));
      assert.equal(healthy.json().services.database, 'connected');

      // Nothing accepted lost, nothing applied twice.
      const late = sent.filter((entry) => entry.final === 409).length;
      console.log(`${label} updates: ${sent.length}; 200: ${okCount()}; 409 on retry (had been applied though answered 503): ${late}`);
      for (let index = 0; index < options.clients; index += 1) {
        const userId = userOf(index);
        const mine = sent.filter((entry) => entry.userId === userId);
        assert.ok(mine.every((entry) => entry.final !== undefined), `${userId}: every update ended in 200 or 409`);
        const inSql = await sql.actionIds(userId);
        assert.deepEqual(
          [...inSql].sort(),
          mine.map((entry) => entry.body.actionId).sort(),
          `${userId}: the audit trail holds each applied actionId once (and 409 came only for applied ones)`,
        );
        assert.equal(await sql.score(userId), sum(mine.map((entry) => entry.body.scoreIncrement)), `${userId}: score = sum of applied increments`);
      }
      // The leaderboard endpoint agrees with SQL.
      const expected = await sql.board();
      assert.equal(expected.length, options.clients);
      const served = await servedBoard(t);
      assert.equal(served.status, 200);
      assert.deepEqual(served.rows, expected);
    } finally {
      stopNew = true;
      postgres!.thaw();
      if (!(await postgres!.running())) await postgres!.start();
      await within(Promise.allSettled(clients), 60_000, 'clients stopping').catch(() => undefined);
    }
  }

  it('PostgreSQL crash under 20 concurrent clients: bounded 503s with Retry-After, then every retried actionId applies exactly once', async () => {
    await scenario((track) => postgresOutage(track, { kind: 'crash', clients: 20, downMs: 2500, boundMs: UNAVAILABLE_BOUND_MS }));
  });

  it('PostgreSQL frozen (reachable but silent) under 20 concurrent clients: 503s within the client-side timeouts, then exactly-once', async () => {
    // Requests on pooled connections wait for the pg client's read timeout (statement timeout
    // 10 s + 2 s); new connections for its connect timeout (3 s). The down phase outlasts both.
    await scenario((track) => postgresOutage(track, { kind: 'freeze', clients: 20, downMs: 13_500, boundMs: FROZEN_BOUND_MS }));
  });

  it(
    'an update applied although its answer was a 503 (it ran when the frozen server resumed) reaches the rank index when retried',
    async () => {
      await scenario(async (track) => {
        const databaseUrl = await postgres!.createDatabase();
        const sql = track(new SqlProbe(databaseUrl));
        const t = track(await createOutageApp({ databaseUrl, redisUrl: redis!.url, keyPrefix: prefix() }));
        assert.equal((await post(t, 'late-alice', t.body({ scoreIncrement: 10 }))).response.statusCode, 200);
        assert.equal((await post(t, 'late-bob', t.body({ scoreIncrement: 20 }))).response.statusCode, 200);

        postgres!.freeze();
        const body = t.body({ scoreIncrement: 50 });
        // Sent on a pooled connection to the silent server: answered 503 at the read timeout.
        const first = await post(t, 'late-alice', body);
        postgres!.thaw();
        assert.equal(first.response.statusCode, 503, describeResponse(first.response));
        // The statement was in the server's socket buffer: it runs when the server resumes.
        await waitFor(async () => (await sql.score('late-alice')) === 60, 5000, 'the late statement applied');
        const retry = await post(t, 'late-alice', body);
        assert.equal(retry.response.statusCode, 409, describeResponse(retry.response));

        // Every view should agree with SQL now (no periodic rebuild runs in this test).
        const expected = await sql.board();
        const served = await waitFor(
          async () => {
            const board = await servedBoard(t);
            return sameBoard(board.rows, expected) ? board : null;
          },
          2000,
          `leaderboard equal to SQL ${JSON.stringify(expected)}`,
        ).catch((error: Error) => error);
        if (served instanceof Error) {
          console.log(`[outage:late-apply] ${served.message}: served ${JSON.stringify((await servedBoard(t)).rows)}`);
          throw served;
        }
      });
    },
  );

  it('Redis crash under a stream of updates: writes and reads keep working from PostgreSQL, the rank index is rebuilt when it returns', async () => {
    await scenario(async (track) => {
      const databaseUrl = await postgres!.createDatabase();
      const sql = track(new SqlProbe(databaseUrl));
      const LIMIT = 20;
      // Enough players that rebuilding the rank index takes a while: reads and ranks in that
      // window must still be right.
      const BULK = 20_000;
      const t = track(
        await createOutageApp({ databaseUrl, redisUrl: redis!.url, keyPrefix: prefix(), env: { RATE_LIMIT_MAX_REQUESTS: String(LIMIT), RATE_LIMIT_WINDOW_MS: '60000' } }),
      );
      await sql.seedPlayers(BULK);
      await t.app.services.leaderboard.rebuild();
      const USERS = Array.from({ length: 10 }, (_, index) => `redis-user-${index}`);
      const accepted: { userId: string; body: ScoreBody; phase: 'before' | 'down' | 'after' }[] = [];
      const failures: string[] = [];

      async function stream(phase: 'before' | 'down' | 'after', perUser: number): Promise<number> {
        let slowest = 0;
        await Promise.all(
          USERS.map(async (userId) => {
            for (let i = 0; i < perUser; i += 1) {
              const body = t.body({ scoreIncrement: randomIncrement() });
              const { response, ms } = await post(t, userId, body);
              slowest = Math.max(slowest, ms);
              if (response.statusCode === 200) accepted.push({ userId, body, phase });
              else failures.push(`${phase} ${userId}: ${describeResponse(response)}`);
            }
          }),
        );
        return slowest;
      }

      await stream('before', 3);
      assert.deepEqual(failures, []);
      assert.equal((await servedBoard(t)).cacheHit, true);

      // Crash Redis while updates are flowing.
      const during = stream('down', 3);
      await sleep(20);
      await redis!.stop('SIGKILL');
      const straddling = await during;
      const down = await stream('down', 2);
      assert.equal(t.backends.redis!.status === 'ready', false, 'the app saw Redis go');
      assert.deepEqual(failures, [], 'every update answered 200 while Redis was down');
      console.log(`[outage:redis] slowest update while Redis crashed/down: ${Math.max(straddling, down)} ms`);

      // Ranks come from SQL and are right: one writer at a time, compared with SQL right after.
      for (const userId of USERS.slice(0, 4)) {
        const body = t.body({ scoreIncrement: randomIncrement() });
        const { response } = await post(t, userId, body);
        assert.equal(response.statusCode, 200, describeResponse(response));
        accepted.push({ userId, body, phase: 'down' });
        assert.equal(response.json().data.rank, await sql.rank(userId), `${userId}'s rank while Redis is down`);
        assert.equal(response.json().data.newScore, await sql.score(userId));
      }

      // The leaderboard is served from SQL.
      const board = await servedBoard(t);
      assert.equal(board.status, 200);
      assert.equal(board.cacheHit, false);
      assert.deepEqual(board.rows, await sql.board());

      // Health: degraded, still 200.
      const health = await within(t.get('/health'), HANG_MS, 'GET /health');
      assert.equal(health.statusCode, 200, describeResponse(health));
      assert.equal(health.json().status, 'degraded');
      assert.equal(health.json().services.redis, 'disconnected');
      assert.equal(health.json().services.database, 'connected');
      assert.equal((await t.get('/health/ready')).statusCode, 200);

      // Rate limits still hold, counted in process.
      const statuses: number[] = [];
      let refusal: LightMyRequestResponse | undefined;
      for (let i = 0; i < LIMIT + 2; i += 1) {
        const { response } = await post(t, 'limited-user', t.body({ scoreIncrement: 1 }));
        statuses.push(response.statusCode);
        if (response.statusCode === 429) refusal ??= response;
      }
      assert.deepEqual(statuses, [...Array<number>(LIMIT).fill(200), 429, 429]);
      assert.equal(errorOf(refusal!).code, 'RATE_LIMIT_EXCEEDED');
      assert.match(String(refusal!.headers['retry-after']), /^[1-9]\d*$/);
      const limitedScore = await sql.score('limited-user');
      assert.equal(limitedScore, LIMIT);

      // Redis returns, empty. Until the rank index is rebuilt from SQL, reads and ranks still come
      // out right (from SQL); then the index serves the right order.
      const restartedAt = Date.now();
      await redis!.start();
      const wrong: string[] = [];
      let probes = 0;
      let fromSql = 0;
      const converged = await waitFor(
        async () => {
          // One writer at a time here, so SQL is a fixed point to compare with.
          const probe = `window-probe-${probes++}`;
          const { response } = await post(t, probe, t.body({ scoreIncrement: 1 }));
          if (response.statusCode !== 200) wrong.push(`probe update: ${describeResponse(response)}`);
          else if (response.json().data.rank !== (await sql.rank(probe))) {
            wrong.push(`${probe} told rank ${response.json().data.rank}, SQL says ${await sql.rank(probe)}`);
          }
          const served = await servedBoard(t);
          const expected = await sql.board();
          const same = sameBoard(served.rows, expected);
          if (!same) wrong.push(`served (cacheHit ${served.cacheHit}) ${served.rows.length} rows, first ${JSON.stringify(served.rows.slice(0, 2))}`);
          if (!served.cacheHit) fromSql += 1;
          return served.cacheHit === true && same;
        },
        15_000,
        'leaderboard served from the rebuilt rank index',
        20,
      );
      console.log(
        `[outage:redis] with ${BULK} players: leaderboard from Redis equals SQL ${Date.now() - restartedAt} ms after redis-server was started ` +
          `(${converged.ms} ms polled; ${fromSql} of ${probes} reads meanwhile answered from SQL)`,
      );
      assert.deepEqual(wrong, [], 'no wrong board or rank while the rank index was rebuilt');
      const healthy = await waitFor(async () => (await t.get('/health')).json().status === 'healthy', 10_000, 'health back to healthy');
      assert.ok(healthy.value);

      // Replays after the restart (the Redis replay cache is empty): the database still refuses them.
      const scoresBefore = new Map(await Promise.all(USERS.map(async (userId) => [userId, await sql.score(userId)] as const)));
      const replays = [...accepted.filter((entry) => entry.phase === 'before').slice(0, 5), ...accepted.filter((entry) => entry.phase === 'down').slice(0, 5)];
      for (const { userId, body } of replays) {
        const { response } = await post(t, userId, body);
        assert.equal(response.statusCode, 409, describeResponse(response));
        assert.equal(errorOf(response).code, 'DUPLICATE_ACTION');
        assert.equal(errorOf(response).details?.userId, userId);
      }
      for (const userId of USERS) assert.equal(await sql.score(userId), scoresBefore.get(userId));

      // Updates after the return rank from Redis again, and every accepted update is in SQL once.
      await stream('after', 1);
      assert.deepEqual(failures, []);
      for (const userId of USERS) {
        const mine = accepted.filter((entry) => entry.userId === userId);
        assert.deepEqual((await sql.actionIds(userId)).sort(), mine.map((entry) => entry.body.actionId).sort(), `${userId}: audit trail`);
        assert.equal(await sql.score(userId), sum(mine.map((entry) => entry.body.scoreIncrement)), `${userId}: score`);
      }
      const final = await servedBoard(t);
      assert.equal(final.cacheHit, true);
      assert.deepEqual(final.rows, await sql.board());
    });
  });

  it('two instances on one PostgreSQL and one Redis converge on the same leaderboard after a Redis outage', async () => {
    await scenario(async (track) => {
      const databaseUrl = await postgres!.createDatabase();
      const sql = track(new SqlProbe(databaseUrl));
      const keyPrefix = prefix();
      const a = track(await createOutageApp({ databaseUrl, redisUrl: redis!.url, keyPrefix }));
      const b = track(await createOutageApp({ databaseUrl, redisUrl: redis!.url, keyPrefix }));
      const instances = [a, b];
      const USERS = Array.from({ length: 8 }, (_, index) => `multi-user-${index}`);
      const failures: string[] = [];

      async function round(perUser: number): Promise<void> {
        await Promise.all(
          USERS.map(async (userId, index) => {
            for (let i = 0; i < perUser; i += 1) {
              const instance = instances[(index + i) % 2]!;
              const { response } = await post(instance, userId, instance.body({ scoreIncrement: randomIncrement() }));
              if (response.statusCode !== 200) failures.push(`${userId}: ${describeResponse(response)}`);
            }
          }),
        );
      }
      const boards = async (): Promise<{ rows: BoardRow[]; cacheHit: boolean | undefined }[]> => Promise.all(instances.map((instance) => servedBoard(instance)));

      await round(2);
      assert.deepEqual(failures, []);
      for (const served of await boards()) assert.deepEqual(served, { status: 200, rows: await sql.board(), cacheHit: true });

      await redis!.stop('SIGKILL');
      await round(3);
      assert.deepEqual(failures, [], 'both instances accept updates while Redis is down');
      for (const served of await boards()) assert.deepEqual(served, { status: 200, rows: await sql.board(), cacheHit: false });

      const restartedAt = Date.now();
      await redis!.start();
      const wrong: string[] = [];
      const converged = await waitFor(
        async () => {
          const expected = await sql.board();
          const served = await boards();
          for (const [index, board] of served.entries()) {
            if (!sameBoard(board.rows, expected)) wrong.push(`instance ${index} served ${board.rows.length} rows (cacheHit ${board.cacheHit})`);
          }
          return served.every((board) => board.cacheHit === true && sameBoard(board.rows, expected));
        },
        10_000,
        'both instances serving the SQL order from Redis',
        20,
      );
      console.log(`[outage:two-instances] both instances equal SQL from Redis ${Date.now() - restartedAt} ms after redis-server was started (${converged.ms} ms polled)`);
      assert.deepEqual(wrong, [], 'neither instance served a wrong board while Redis came back');

      // And they stay together under new writes.
      await round(1);
      assert.deepEqual(failures, []);
      const expected = await sql.board();
      assert.equal(expected.length, USERS.length);
      for (const served of await boards()) assert.deepEqual(served, { status: 200, rows: expected, cacheHit: true });
    });
  });

  it('the periodic rebuild (CACHE_REFRESH_INTERVAL_MS) repairs a corrupted rank index', async () => {
    await scenario(async (track) => {
      const databaseUrl = await postgres!.createDatabase();
      const sql = track(new SqlProbe(databaseUrl));
      const keyPrefix = prefix();
      const t = track(await createOutageApp({ databaseUrl, redisUrl: redis!.url, keyPrefix, env: { CACHE_REFRESH_INTERVAL_MS: '1000' } }));
      const direct = redis!.client();
      track({ close: async () => void direct.disconnect() });
      const z = `${keyPrefix}lb:{global}:z`;
      const h = `${keyPrefix}lb:{global}:h`;

      const USERS = Array.from({ length: 6 }, (_, index) => `drift-user-${index}`);
      for (const [index, userId] of USERS.entries()) {
        const { response } = await post(t, userId, t.body({ actionType: 'ACHIEVEMENT', scoreIncrement: 100 + index * 10 }));
        assert.equal(response.statusCode, 200, describeResponse(response));
      }
      const expected = await sql.board();
      assert.deepEqual(await servedBoard(t), { status: 200, rows: expected, cacheHit: true });

      /**
       * In one MULTI (a rebuild's swap cannot land halfway): rewrites `forged`'s entry consistently
       * (hash and sorted set agree) with a wrong score, and removes `dropped` from the index.
       * Nothing writes meanwhile, so the entries read first are the ones every rebuild writes back.
       */
      async function corrupt(forged: string, score: number, dropped: string): Promise<void> {
        const [forgedDetails, droppedDetails] = await direct.hmget(h, forged, dropped);
        assert.ok(forgedDetails && droppedDetails, 'both players are in the index');
        const [version, oldScore, time, ...name] = forgedDetails.split('|');
        assert.notEqual(Number(oldScore), score);
        await direct
          .multi()
          .zrem(z, `${time}:${forged}`)
          .zadd(z, -score, `${time}:${forged}`)
          .hset(h, forged, [version, String(score), time, ...name].join('|'))
          .zrem(z, `${droppedDetails.split('|')[2]}:${dropped}`)
          .hdel(h, dropped)
          .exec();
      }

      // 1. Wrong but self-consistent content: served from Redis (cacheHit) until the rebuild repairs it.
      let seen = false;
      for (let attempt = 0; attempt < 5 && !seen; attempt += 1) {
        await corrupt(USERS[0]!, 999_999, USERS[3]!);
        const served = await servedBoard(t);
        // A rebuild may have landed between the corruption and the read; then corrupt again.
        seen = served.cacheHit === true && !sameBoard(served.rows, expected);
        if (seen) {
          assert.equal(served.rows[0]!.userId, USERS[0]);
          assert.equal(served.rows[0]!.score, 999_999);
          assert.equal(served.rows.some((row) => row.userId === USERS[3]), false);
        }
      }
      assert.ok(seen, 'the corruption was visible before the rebuild');
      const drifted = Date.now();
      await waitFor(
        async () => {
          const served = await servedBoard(t);
          return served.cacheHit === true && sameBoard(served.rows, await sql.board());
        },
        5000,
        'the periodic rebuild repairing a forged score and a missing player',
      );
      console.log(`[outage:drift] forged score and dropped player repaired ${Date.now() - drifted} ms after the corruption`);

      // 2. Inconsistent content (a member with no hash entry, a hash field removed): reads fall back
      //    to SQL meanwhile, and the rebuild brings the index back.
      assert.ok(await direct.hget(h, USERS[5]!));
      await direct.multi().zadd(z, -5_000_000, '000000000000001:ghost-user').hdel(h, USERS[5]!).exec();
      const corrupted = Date.now();
      const meanwhile = await servedBoard(t);
      assert.equal(meanwhile.status, 200);
      assert.deepEqual(meanwhile.rows, await sql.board(), 'a corrupt index is never served');
      await waitFor(
        async () => {
          const served = await servedBoard(t);
          return served.cacheHit === true && sameBoard(served.rows, await sql.board());
        },
        5000,
        'the periodic rebuild removing a bogus member and restoring a hash field',
      );
      console.log(`[outage:drift] bogus member and missing hash field repaired ${Date.now() - corrupted} ms after the corruption`);
      assert.equal(await direct.zscore(z, '000000000000001:ghost-user'), null);
      assert.ok(await direct.hget(h, USERS[5]!));
    });
  });
});
