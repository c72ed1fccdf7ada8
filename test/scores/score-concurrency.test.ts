import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { FAST_ACTIONS, MODES, actionsFile, createTestApp, type TestApp } from '../helpers/app.js';
import { prng, shuffle } from '../helpers/random.js';

/** mulberry32: seeded, so a failing interleaving fails the same way on every run. */


const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Status and JSON body together, so a failed assertion shows what the server said. */
function summary(response: LightMyRequestResponse): { status: number; body: unknown } {
  let body: unknown;
  try {
    body = response.json();
  } catch {
    body = response.body;
  }
  return { status: response.statusCode, body };
}

function errorCode(response: LightMyRequestResponse): string | undefined {
  return (response.json() as { error?: { code?: string } }).error?.code;
}

function errorReason(response: LightMyRequestResponse): string | undefined {
  return (response.json() as { error?: { details?: { reason?: string } } }).error?.details?.reason;
}

interface LeaderboardRow {
  rank: number;
  userId: string;
  username: string | null;
  score: number;
  lastUpdated: string;
}

interface UserData {
  userId: string;
  score: number;
  rank: number;
  lastUpdated: string | null;
  totalActions: number;
}

async function getJson<T>(t: TestApp, url: string, viewer = 'viewer'): Promise<T> {
  const response = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${t.token(viewer)}` } });
  assert.equal(response.statusCode, 200, JSON.stringify(summary(response)));
  return (response.json() as { data: T }).data;
}

async function historyOf(t: TestApp, userId: string) {
  return t.backends.sql.query(
    `SELECT id, action_id, score_increment, score_before, score_after FROM score_history WHERE user_id = $1 ORDER BY id`,
    [userId],
  );
}

// A custom catalogue: FAST_ACTIONS for rapid updates, plus one action paced at 1.5 s for TOO_FAST.
const PACED_MS = 1500;
const CATALOGUE = { ...FAST_ACTIONS, PACED: { maxScore: 100, minDuration: PACED_MS } };

for (const { mode, skip } of MODES) {
  describe(`one user, concurrent updates (${mode})`, { skip }, () => {
    let t: TestApp;

    before(async () => {
      t = await createTestApp(mode, { ACTIONS_CONFIG: actionsFile(CATALOGUE) });
    });
    after(async () => {
      await t?.close();
    });

    it('applies 100 concurrent updates of one user exactly once each, serialised', async () => {
      const userId = 'conc-single';
      const increments = Array.from({ length: 100 }, (_, i) => (i % 50) + 1);
      const expected = increments.reduce((a, b) => a + b, 0);
      const bodies = increments.map((scoreIncrement) => t.body({ scoreIncrement }));

      const responses = await Promise.all(bodies.map((body) => t.post(userId, body)));

      const failed = responses.filter((r) => r.statusCode !== 200).map(summary);
      assert.deepEqual(failed, [], 'every concurrent update succeeds');
      assert.equal(await t.scoreInDb(userId), expected);

      const history = await historyOf(t, userId);
      assert.equal(history.length, 100);
      assert.deepEqual(
        new Set(history.map((row) => row.action_id as string)),
        new Set(bodies.map((body) => body.actionId)),
        'one history row per action',
      );
      let previousAfter = 0;
      for (const row of history) {
        assert.equal(row.score_before, previousAfter, `history row ${String(row.id)} chains on the previous one`);
        assert.equal((row.score_after as number) - (row.score_before as number), row.score_increment);
        previousAfter = row.score_after as number;
      }
      assert.equal(previousAfter, expected);

      const datas = responses.map((r) => (r.json() as { data: { newScore: number; previousScore: number } }).data);
      const newScores = datas.map((d) => d.newScore);
      assert.equal(new Set(newScores).size, 100, 'every response saw its own new score');
      assert.equal(Math.max(...newScores), expected);
      assert.ok(datas.every((d) => (d as { rank?: number }).rank === 1), 'the only player ranks first');
      datas.forEach((data, i) => assert.equal(data.newScore - data.previousScore, increments[i], 'newScore - previousScore is the increment'));

      const user = await getJson<UserData>(t, `/api/v1/scores/user/${userId}`);
      assert.equal(user.score, expected);
      assert.equal(user.totalActions, 100);
      assert.equal(user.rank, 1);
    });

    it('applies one actionId sent 50 times at once exactly once', async () => {
      const userId = 'conc-replay';
      const body = t.body({ scoreIncrement: 7 });

      const responses = await Promise.all(Array.from({ length: 50 }, () => t.post(userId, body)));

      const statuses = responses.map((r) => r.statusCode);
      assert.equal(statuses.filter((s) => s === 200).length, 1, `exactly one 200: ${JSON.stringify(statuses)}`);
      assert.equal(statuses.filter((s) => s === 409).length, 49, `49 × 409: ${JSON.stringify(responses.filter((r) => r.statusCode !== 409).map(summary))}`);
      const applied = responses.find((r) => r.statusCode === 200)!;
      const appliedData = (applied.json() as { data: { newScore: number } }).data;
      assert.equal(appliedData.newScore, 7);
      for (const response of responses.filter((r) => r.statusCode === 409)) {
        assert.equal(errorCode(response), 'DUPLICATE_ACTION');
        const details = (response.json() as { error: { details?: { userId: string; newScore: number } } }).error.details;
        assert.equal(details?.userId, userId, 'the owner learns the original outcome');
        assert.equal(details?.newScore, 7);
        assert.equal((details as { appliedAt?: string } | undefined)?.appliedAt, (applied.json() as { data: { timestamp: string } }).data.timestamp);
      }
      assert.equal(await t.scoreInDb(userId), 7);
      const history = await historyOf(t, userId);
      assert.equal(history.length, 1);
      assert.equal(history[0]?.action_id, body.actionId);
    });

    it('lets only one of 20 concurrent updates of a paced action through (minDuration holds under concurrency)', async () => {
      const userId = 'conc-paced';
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => t.post(userId, t.body({ actionType: 'PACED', scoreIncrement: 9 }))),
      );
      const statuses = responses.map((r) => r.statusCode);
      assert.equal(statuses.filter((s) => s === 200).length, 1, JSON.stringify(statuses));
      for (const response of responses.filter((r) => r.statusCode !== 200)) {
        assert.equal(response.statusCode, 403, JSON.stringify(summary(response)));
        assert.equal(errorReason(response), 'TOO_FAST');
      }
      assert.equal(await t.scoreInDb(userId), 9);
      assert.equal((await historyOf(t, userId)).length, 1);
    });

    it('never leaves a stale score cached when a read of the user races an update', async () => {
      const userId = 'conc-read-race';
      const first = await t.post(userId, t.body({ scoreIncrement: 10 }));
      assert.equal(first.statusCode, 200, JSON.stringify(summary(first)));

      // Hold one GET /user/:id between its SQL read and the rest of the request, and apply an
      // update meanwhile: the interleaving a busy server produces by chance.
      const store = t.backends.stores.scores;
      const original = store.getUserScore;
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let signalRead!: () => void;
      const readDone = new Promise<void>((resolve) => (signalRead = resolve));
      store.getUserScore = async function (this: typeof store, ...args: Parameters<typeof original>) {
        const value = await original.apply(this, args);
        store.getUserScore = original;
        signalRead();
        await gate;
        return value;
      };
      try {
        const slowRead = t.app.inject({
          method: 'GET',
          url: `/api/v1/scores/user/${userId}`,
          headers: { authorization: `Bearer ${t.token('viewer')}` },
        });
        await readDone;
        const update = await t.post(userId, t.body({ scoreIncrement: 20 }));
        assert.equal(update.statusCode, 200, JSON.stringify(summary(update)));
        await sleep(50);
        release();
        // The held read may report the score it read (10): it started before the update.
        assert.equal((await slowRead).statusCode, 200);
      } finally {
        store.getUserScore = original;
        release();
      }

      assert.equal(await t.scoreInDb(userId), 30);
      const user = await getJson<UserData>(t, `/api/v1/scores/user/${userId}`);
      assert.equal(user.score, 30, 'a read that starts after the update answers the updated score');
      assert.equal(user.totalActions, 2);
    });

  });

  describe(`20 users updating concurrently (${mode})`, { skip }, () => {
    let t: TestApp;

    before(async () => {
      // An app of their own: limit=20 is then exactly the whole board.
      t = await createTestApp(mode, { ACTIONS_CONFIG: actionsFile(CATALOGUE) });
    });
    after(async () => {
      await t?.close();
    });

    it('keeps 20 users × 20 interleaved concurrent updates exact and ranks them in leaderboard order', async () => {
      const random = prng(20_240_611);
      const users = Array.from({ length: 20 }, (_, k) => `mix-${String(k).padStart(2, '0')}`);
      // Users come in pairs with the same increments (so equal totals): their ties are decided by time.
      const incrementsOf = (k: number) => shuffle(Array.from({ length: 20 }, (_, i) => Math.floor(k / 2) + i + 1), random);
      const expected = new Map<string, number>();
      const jobs: { userId: string; scoreIncrement: number }[] = [];
      users.forEach((userId, k) => {
        const increments = incrementsOf(k);
        expected.set(userId, increments.reduce((a, b) => a + b, 0));
        for (const scoreIncrement of increments) jobs.push({ userId, scoreIncrement });
      });
      shuffle(jobs, random);

      const responses = await Promise.all(jobs.map((job) => t.post(job.userId, t.body({ scoreIncrement: job.scoreIncrement }))));
      assert.deepEqual(responses.filter((r) => r.statusCode !== 200).map(summary), []);

      const rows = await t.backends.sql.query(
        `SELECT user_id, score, (extract(epoch FROM last_updated) * 1000)::bigint AS ms, total_actions FROM scores`,
      );
      assert.equal(rows.length, 20);
      const inSql = new Map(rows.map((row) => [row.user_id as string, row]));
      for (const userId of users) {
        assert.equal(inSql.get(userId)?.score, expected.get(userId), `${userId}'s total`);
        assert.equal(inSql.get(userId)?.total_actions, 20);
      }

      const expectedOrder = users
        .map((userId) => ({ userId, score: expected.get(userId)!, ms: inSql.get(userId)!.ms as number }))
        .sort((a, b) => b.score - a.score || a.ms - b.ms || (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));

      const board = await getJson<{ leaderboard: LeaderboardRow[] }>(t, '/api/v1/scores/leaderboard?limit=20');
      assert.deepEqual(
        board.leaderboard.map((row) => ({ rank: row.rank, userId: row.userId, score: row.score, ms: Date.parse(row.lastUpdated) })),
        expectedOrder.map((entry, i) => ({ rank: i + 1, ...entry })),
      );

      for (const row of board.leaderboard) {
        const user = await getJson<UserData>(t, `/api/v1/scores/user/${row.userId}`);
        assert.equal(user.rank, row.rank, `${row.userId}'s rank agrees with the leaderboard`);
        assert.equal(user.score, row.score);
        assert.equal(user.totalActions, 20);
      }
    });
  });

  describe(`retrying an actionId after a rejected write (${mode})`, { skip }, () => {
    let t: TestApp;

    before(async () => {
      t = await createTestApp(mode, { ACTIONS_CONFIG: actionsFile(CATALOGUE) });
    });
    after(async () => {
      await t?.close();
    });

    it('accepts the actionId after a bad timestamp and a bad signature were refused', async () => {
      const userId = 'retry-checks';
      const actionId = randomUUID();

      const stale = await t.post(userId, t.body({ actionId, timestamp: new Date(Date.now() - 10 * 60_000).toISOString() }));
      assert.equal(stale.statusCode, 400, JSON.stringify(summary(stale)));
      assert.equal(errorCode(stale), 'TIMESTAMP_OUT_OF_RANGE');

      const forged = await t.post(userId, t.body({ actionId, clientSignature: 'ab'.repeat(32) }));
      assert.equal(forged.statusCode, 403, JSON.stringify(summary(forged)));
      assert.equal(errorReason(forged), 'INVALID_SIGNATURE');

      // Signed for 10, sent as 50: the signature no longer matches.
      const signed = t.body({ actionId, scoreIncrement: 10 });
      const tampered = await t.post(userId, { ...signed, scoreIncrement: 50 });
      assert.equal(tampered.statusCode, 403, JSON.stringify(summary(tampered)));
      assert.equal(errorReason(tampered), 'INVALID_SIGNATURE');
      assert.equal(await t.scoreInDb(userId), 0);

      const accepted = await t.post(userId, signed);
      assert.equal(accepted.statusCode, 200, JSON.stringify(summary(accepted)));
      assert.equal(await t.scoreInDb(userId), 10);
      assert.equal((await historyOf(t, userId)).length, 1);
    });

    it('accepts a TOO_FAST actionId once the minimum duration has passed', async () => {
      const userId = 'retry-paced';
      const first = await t.post(userId, t.body({ actionType: 'PACED', scoreIncrement: 20 }));
      assert.equal(first.statusCode, 200, JSON.stringify(summary(first)));

      const second = t.body({ actionType: 'PACED', scoreIncrement: 30 });
      const early = await t.post(userId, second);
      assert.equal(early.statusCode, 403, JSON.stringify(summary(early)));
      assert.equal(errorReason(early), 'TOO_FAST');
      const retryAfterMs = (early.json() as { error: { details: { retryAfterMs: number } } }).error.details.retryAfterMs;
      assert.ok(retryAfterMs > 0 && retryAfterMs <= PACED_MS, `retryAfterMs ${retryAfterMs}`);
      assert.equal(await t.scoreInDb(userId), 20);

      await sleep(retryAfterMs + 100);
      const later = await t.post(userId, second);
      assert.equal(later.statusCode, 200, JSON.stringify(summary(later)));
      assert.equal((later.json() as { data: { newScore: number } }).data.newScore, 50);
      assert.equal(await t.scoreInDb(userId), 50);
      assert.equal((await historyOf(t, userId)).length, 2);
    });

    it('accepts a frozen account\'s actionId once the account is unfrozen', async () => {
      const userId = 'retry-frozen';
      const admin = { authorization: `Bearer ${t.token('retry-admin', { role: 'admin' })}` };
      const warmup = await t.post(userId, t.body({ scoreIncrement: 5 }));
      assert.equal(warmup.statusCode, 200, JSON.stringify(summary(warmup)));

      const freeze = await t.app.inject({
        method: 'POST',
        url: `/api/v1/admin/users/${userId}/freeze`,
        headers: admin,
        payload: { reason: 'test' },
      });
      assert.equal(freeze.statusCode, 200, JSON.stringify(summary(freeze)));

      const body = t.body({ scoreIncrement: 15 });
      const refused = await t.post(userId, body);
      assert.equal(refused.statusCode, 403, JSON.stringify(summary(refused)));
      assert.equal(errorReason(refused), 'ACCOUNT_FROZEN');
      assert.equal(await t.scoreInDb(userId), 5);

      const unfreeze = await t.app.inject({ method: 'POST', url: `/api/v1/admin/users/${userId}/unfreeze`, headers: admin, payload: {} });
      assert.equal(unfreeze.statusCode, 200, JSON.stringify(summary(unfreeze)));

      const accepted = await t.post(userId, body);
      assert.equal(accepted.statusCode, 200, JSON.stringify(summary(accepted)));
      assert.equal(await t.scoreInDb(userId), 20);
      assert.equal((await historyOf(t, userId)).length, 2);
    });

    it('answers 503 with Retry-After when the database write fails, applies nothing, and accepts the retry', async () => {
      const userId = 'retry-dbdown';
      const warmup = await t.post(userId, t.body({ scoreIncrement: 3 }));
      assert.equal(warmup.statusCode, 200, JSON.stringify(summary(warmup)));

      const store = t.backends.stores.scores;
      const original = store.applyUpdate;
      let failures = 0;
      store.applyUpdate = async function (this: typeof store, ...args: Parameters<typeof original>) {
        if (failures === 0) {
          failures++;
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
        }
        return original.apply(this, args);
      };
      try {
        const body = t.body({ scoreIncrement: 40 });
        const failed = await t.post(userId, body);
        assert.equal(failed.statusCode, 503, JSON.stringify(summary(failed)));
        assert.equal(errorCode(failed), 'SERVICE_UNAVAILABLE');
        const retryAfter = failed.headers['retry-after'];
        assert.ok(retryAfter !== undefined && Number(retryAfter) >= 1, `Retry-After: ${String(retryAfter)}`);
        assert.equal(failures, 1);
        assert.equal(await t.scoreInDb(userId), 3, 'nothing applied');
        assert.equal((await historyOf(t, userId)).length, 1);

        const retried = await t.post(userId, body);
        assert.equal(retried.statusCode, 200, JSON.stringify(summary(retried)));
        const data = (retried.json() as { data: { newScore: number; previousScore: number } }).data;
        assert.deepEqual({ newScore: data.newScore, previousScore: data.previousScore }, { newScore: 43, previousScore: 3 });
        assert.equal(await t.scoreInDb(userId), 43);
        const history = await historyOf(t, userId);
        assert.equal(history.length, 2);
        assert.equal(history[1]?.action_id, body.actionId);

        // And now it is processed: a third send is a replay.
        const replay = await t.post(userId, body);
        assert.equal(replay.statusCode, 409, JSON.stringify(summary(replay)));
        assert.equal(await t.scoreInDb(userId), 43);
      } finally {
        store.applyUpdate = original;
      }
    });
  });
}
