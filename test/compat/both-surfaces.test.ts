import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { signAction } from '../../src/scores/signature.js';
import { actionsFile, createTestApp, MODES, TEST_HMAC_KEY, type TestApp } from '../helpers/app.js';
import { connected, openSocket } from '../helpers/sockets.js';

interface Fields {
  actionId: string;
  actionType: string;
  increment: unknown;
  timestamp: string;
  signature?: string;
}

interface Surface {
  name: string;
  send(t: TestApp, userId: string | null, fields: Fields): Promise<LightMyRequestResponse>;
  /** newScore, previousScore, rank from a 200. */
  read(response: LightMyRequestResponse): { newScore: number; previousScore: number; rank: number };
}

function sign(fields: Fields): string {
  return signAction(TEST_HMAC_KEY, { actionId: fields.actionId, actionType: fields.actionType, scoreIncrement: fields.increment as number, timestamp: fields.timestamp });
}

const auth = (t: TestApp, userId: string | null): Record<string, string> => (userId ? { authorization: `Bearer ${t.token(userId)}` } : {});

const SURFACES: Surface[] = [
  {
    name: 'POST /api/v1/scores/update',
    send: (t, userId, f) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/scores/update',
        headers: auth(t, userId),
        payload: { actionId: f.actionId, actionType: f.actionType, scoreIncrement: f.increment, timestamp: f.timestamp, clientSignature: f.signature ?? sign(f) },
      }),
    read: (response) => {
      const { data } = response.json();
      return { newScore: data.newScore, previousScore: data.previousScore, rank: data.rank };
    },
  },
  {
    name: 'POST /api/actions/complete (signature in the body)',
    send: (t, userId, f) =>
      t.app.inject({
        method: 'POST',
        url: '/api/actions/complete',
        headers: auth(t, userId),
        payload: { actionId: f.actionId, score: f.increment, timestamp: f.timestamp, metadata: { actionType: f.actionType }, clientSignature: f.signature ?? sign(f) },
      }),
    read: (response) => {
      const body = response.json();
      assert.equal(body.success, true);
      return { newScore: body.newScore, previousScore: body.previousScore, rank: body.leaderboardPosition };
    },
  },
  {
    name: 'POST /api/actions/complete (X-Client-Signature header)',
    send: (t, userId, f) =>
      t.app.inject({
        method: 'POST',
        url: '/api/actions/complete',
        headers: { ...auth(t, userId), 'x-client-signature': f.signature ?? sign(f) },
        payload: { actionId: f.actionId, score: f.increment, timestamp: f.timestamp, metadata: { actionType: f.actionType, level: 3 } },
      }),
    read: (response) => {
      const body = response.json();
      return { newScore: body.newScore, previousScore: body.previousScore, rank: body.leaderboardPosition };
    },
  },
];

const ACTIONS = { TASK_COMPLETE: { maxScore: 50, minDuration: 0 }, LEVEL_COMPLETE: { maxScore: 100, minDuration: 0 }, SLOW: { maxScore: 10, minDuration: 60_000 } };

function fields(overrides: Partial<Fields> = {}): Fields {
  return { actionId: randomUUID(), actionType: 'TASK_COMPLETE', increment: 10, timestamp: new Date().toISOString(), ...overrides };
}

function assertEnvelope(response: LightMyRequestResponse, status: number, code: string, reason?: string): void {
  assert.equal(response.statusCode, status, response.body);
  const body = response.json();
  assert.equal(body.success, false);
  assert.equal(body.error.code, code);
  assert.equal(body.error.requestId, response.headers['x-request-id']);
  if (reason) assert.equal(body.error.details.reason, reason);
}

for (const { mode, skip } of MODES) {
  for (const surface of SURFACES) {
    describe(`behaviour table through ${surface.name} (${mode})`, { skip }, () => {
      let t: TestApp;
      before(async () => {
        t = await createTestApp(mode, { ACTIONS_CONFIG: actionsFile(ACTIONS) });
      });
      after(() => t.close());

      const refused = async (userId: string | null, f: Fields, status: number, code: string, reason?: string) => {
        const before = userId ? await t.scoreInDb(userId) : 0;
        assertEnvelope(await surface.send(t, userId, f), status, code, reason);
        if (userId) assert.equal(await t.scoreInDb(userId), before, 'no score changed');
      };

      it('applies an update and answers with the new score and position', async () => {
        const first = await surface.send(t, 'p', fields({ increment: 30 }));
        assert.equal(first.statusCode, 200, first.body);
        assert.deepEqual(surface.read(first), { newScore: 30, previousScore: 0, rank: 1 });
        const second = await surface.send(t, 'p', fields({ increment: 5, actionType: 'level_complete' }));
        assert.deepEqual(surface.read(second), { newScore: 35, previousScore: 30, rank: 1 });
      });
      it('UNAUTHORIZED without a token', () => refused(null, fields(), 401, 'UNAUTHORIZED'));
      it('INVALID_REQUEST for a malformed actionId', () => refused('p', fields({ actionId: 'not-a-uuid' }), 400, 'INVALID_REQUEST'));
      it('INVALID_REQUEST for a string increment', () => refused('p', fields({ increment: '10' }), 400, 'INVALID_REQUEST'));
      it('INVALID_ACTION for an unknown action type', () => refused('p', fields({ actionType: 'CHEAT' }), 400, 'INVALID_ACTION'));
      for (const increment of [0, -5, 1.5, 51, 1e300]) {
        it(`SCORE_VALIDATION_FAILED for ${increment}`, () => refused('p', fields({ increment }), 400, 'SCORE_VALIDATION_FAILED'));
      }
      it('TIMESTAMP_OUT_OF_RANGE for a stale timestamp', () =>
        refused('p', fields({ timestamp: new Date(Date.now() - 10 * 60_000).toISOString() }), 400, 'TIMESTAMP_OUT_OF_RANGE'));
      it('FORBIDDEN INVALID_SIGNATURE for a wrong signature', () => refused('p', fields({ signature: 'ab'.repeat(32) }), 403, 'FORBIDDEN', 'INVALID_SIGNATURE'));
      it('DUPLICATE_ACTION for a replay, with the original for its owner', async () => {
        const f = fields({ increment: 2 });
        assert.equal((await surface.send(t, 'p', f)).statusCode, 200);
        const replay = await surface.send(t, 'p', f);
        assertEnvelope(replay, 409, 'DUPLICATE_ACTION');
        assert.equal(replay.json().error.details.userId, 'p');
        await refused('q', f, 409, 'DUPLICATE_ACTION');
      });
      it('FORBIDDEN TOO_FAST inside minDuration', async () => {
        assert.equal((await surface.send(t, 'slowpoke', fields({ actionType: 'SLOW', increment: 1 }))).statusCode, 200);
        await refused('slowpoke', fields({ actionType: 'SLOW', increment: 1 }), 403, 'FORBIDDEN', 'TOO_FAST');
      });
      it('FORBIDDEN ACCOUNT_FROZEN for a frozen account', async () => {
        assert.equal((await surface.send(t, 'icy', fields())).statusCode, 200);
        const admin = { authorization: `Bearer ${t.token('root', { role: 'admin' })}` };
        await t.app.inject({ method: 'POST', url: '/api/v1/admin/users/icy/freeze', headers: admin, payload: { reason: 'test' } });
        await refused('icy', fields(), 403, 'FORBIDDEN', 'ACCOUNT_FROZEN');
      });
    });

    describe(`rate limit through ${surface.name} (${mode})`, { skip }, () => {
      let t: TestApp;
      before(async () => {
        t = await createTestApp(mode, { ACTIONS_CONFIG: actionsFile(ACTIONS), RATE_LIMIT_MAX_REQUESTS: '3' });
      });
      after(() => t.close());
      it('refuses the 4th attempt with 429 and Retry-After, malformed attempts counted', async () => {
        assert.equal((await surface.send(t, 'r', fields())).statusCode, 200);
        assert.equal((await surface.send(t, 'r', fields({ actionId: 'bad' }))).statusCode, 400);
        assert.equal((await surface.send(t, 'r', fields())).statusCode, 200);
        const limited = await surface.send(t, 'r', fields());
        assertEnvelope(limited, 429, 'RATE_LIMIT_EXCEEDED');
        assert.ok(Number(limited.headers['retry-after']) >= 1);
        assert.equal(await t.scoreInDb('r'), 20);
      });
    });
  }

  describe(`compatibility specifics and one service behind both surfaces (${mode})`, { skip }, () => {
    let t: TestApp;
    let url: string;
    before(async () => {
      t = await createTestApp(mode, { ACTIONS_CONFIG: actionsFile({ ...ACTIONS, LEVEL_COMPLETE: { maxScore: 100, minDuration: 2000 } }) });
      url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    });
    after(() => t.close());
    const compat = SURFACES[1]!;
    const v1 = SURFACES[0]!;

    it('matches action types case-insensitively; the signature covers the type as sent', async () => {
      const f = fields({ actionType: 'task_complete', increment: 4 });
      const response = await compat.send(t, 'casey', f);
      assert.equal(response.statusCode, 200, response.body);
      const [row] = await t.backends.sql.query(`SELECT action_type FROM score_history WHERE action_id = $1`, [f.actionId]);
      assert.equal(row?.action_type, 'TASK_COMPLETE');
    });

    it('refuses a urn:uuid: or braced actionId with 400 INVALID_REQUEST on every surface (not a 500 from the database)', async () => {
      for (const surface of SURFACES) {
        for (const actionId of [`urn:uuid:${randomUUID()}`, `{${randomUUID()}}`]) {
          assertEnvelope(await surface.send(t, 'urn-user', fields({ actionId })), 400, 'INVALID_REQUEST');
        }
      }
      assert.equal(await t.scoreInDb('urn-user'), 0);
    });

    it('folds ASCII case only, on both surfaces: a signed Unicode look-alike of a type is INVALID_ACTION and applies nothing', async () => {
      for (const surface of SURFACES) {
        // 'ſ' (long s) upper-cases to 'S'; 'е' is Cyrillic.
        for (const actionType of ['taſk_complete', 'TAſK_COMPLETE', 'ſlow', 'lеvel_complete']) {
          const response = await surface.send(t, 'mimic', fields({ actionType, increment: 5 }));
          assertEnvelope(response, 400, 'INVALID_ACTION');
        }
      }
      assert.equal(await t.scoreInDb('mimic'), 0);
    });

    it('refuses metadata.duration below the action minDuration with TOO_FAST, and no signature at all with 400', async () => {
      const f = fields({ actionType: 'LEVEL_COMPLETE', increment: 10 });
      const quick = await t.app.inject({
        method: 'POST',
        url: '/api/actions/complete',
        headers: auth(t, 'speedy'),
        payload: { actionId: f.actionId, score: 10, timestamp: f.timestamp, metadata: { actionType: 'LEVEL_COMPLETE', duration: 500 }, clientSignature: sign(f) },
      });
      assertEnvelope(quick, 403, 'FORBIDDEN', 'TOO_FAST');
      const unsigned = await t.app.inject({ method: 'POST', url: '/api/actions/complete', headers: auth(t, 'speedy'), payload: { actionId: f.actionId, score: 10, timestamp: f.timestamp, metadata: { actionType: 'LEVEL_COMPLETE' } } });
      assertEnvelope(unsigned, 400, 'INVALID_REQUEST');
      assert.equal(await t.scoreInDb('speedy'), 0);
      // The same actionId is still free: a refused request applied nothing.
      const honest = await t.app.inject({
        method: 'POST',
        url: '/api/actions/complete',
        headers: auth(t, 'speedy'),
        payload: { actionId: f.actionId, score: 10, timestamp: f.timestamp, metadata: { actionType: 'LEVEL_COMPLETE', duration: 2500 }, clientSignature: sign(f) },
      });
      assert.equal(honest.statusCode, 200, honest.body);
    });

    it('a score posted on one surface shows on the other surface, on both leaderboards and in both event protocols', async () => {
      const v1Socket = openSocket(url, { token: t.token('crossover') });
      const legacySocket = openSocket(url, { token: t.token('crossover'), protocol: 'legacy' });
      try {
        await Promise.all([connected(v1Socket), connected(legacySocket)]);
        assert.equal((await compat.send(t, 'crossover', fields({ increment: 50 }))).statusCode, 200);
        assert.deepEqual(await v1Socket.next('score:updated'), { userId: 'crossover', newScore: 50, increment: 50 });
        assert.equal((await legacySocket.next('score_updated')).newScore, 50);
        const afterV1 = await v1.send(t, 'crossover', fields({ increment: 25 }));
        assert.deepEqual(v1.read(afterV1).newScore, 75);
        assert.equal((await legacySocket.next('score_updated', (p) => p.newScore === 75)).scoreIncrease, 25);

        const v1Board = (await t.app.inject({ url: '/api/v1/scores/leaderboard' })).json().data.leaderboard;
        const compatBody = (await t.app.inject({ url: '/api/leaderboard' })).json();
        assert.equal(v1Board[0].userId, 'crossover');
        assert.deepEqual(
          compatBody.leaderboard.map((e: { rank: number; userId: string; score: number; lastUpdate: string }) => [e.rank, e.userId, e.score, e.lastUpdate]),
          v1Board.map((e: { rank: number; userId: string; score: number; lastUpdated: string }) => [e.rank, e.userId, e.score, e.lastUpdated]),
        );
        assert.equal(compatBody.totalUsers, v1Board.length);
        assert.ok(!Number.isNaN(Date.parse(compatBody.lastUpdated)));
      } finally {
        v1Socket.close();
        legacySocket.close();
      }
    });

    it('counts both surfaces in the metrics and documents both in /docs', async () => {
      const metrics = (await t.app.inject({ url: '/metrics' })).body;
      const success = /score_update_total\{result="success"\} (\d+)/.exec(metrics);
      const [row] = await t.backends.sql.query('SELECT count(*)::bigint AS n FROM score_history');
      assert.equal(Number(success?.[1]), row?.n, 'every applied update of either surface is counted');
      assert.match(metrics, /score_update_total\{result="TOO_FAST"\} 1/);
      assert.match(metrics, /fraud_checks_total\{check="claimed_duration",result="fail"\} 1/);
      assert.match(metrics, /action_completion_duration_seconds_bucket/);
      const doc = (await t.app.inject({ url: '/docs/json' })).json();
      assert.ok(doc.paths['/api/actions/complete'].post.tags[0].startsWith('compatibility'));
      assert.ok(doc.paths['/api/leaderboard'].get.tags[0].startsWith('compatibility'));
      assert.equal(doc.paths['/api/v1/scores/update'].post.tags[0], 'scores');
    });
  });
}
