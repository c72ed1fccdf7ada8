import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { createTokenSigner } from '../../src/auth/jwt.js';
import { createBackends, type Backends } from '../../src/backends.js';
import { loadConfig } from '../../src/config.js';
import { actionsFile, createTestApp, FAST_ACTIONS, MODES, TEST_HMAC_KEY, TEST_JWT_SECRET, type TestApp } from '../helpers/app.js';
import { createTestDatabase, createTestRedis, SKIP_POSTGRES, SKIP_REDIS, TEST_REDIS_URL } from '../helpers/services.js';

const ACTIONS = actionsFile(FAST_ACTIONS);

/** A server update body: the client's, with the player and without a signature. */
const serverUpdate = (userId: string, overrides: Record<string, unknown> = {}) => ({
  userId,
  actionId: randomUUID(),
  actionType: 'TASK_COMPLETE',
  scoreIncrement: 10,
  timestamp: new Date().toISOString(),
  ...overrides,
});
const serverSubmission = (userId: string, score: number, overrides: Record<string, unknown> = {}) => ({
  userId,
  actionId: randomUUID(),
  score,
  timestamp: new Date().toISOString(),
  ...overrides,
});

const json = (response: LightMyRequestResponse) => response.json() as any;

for (const { mode, skip } of MODES) {
  describe(`game-server keys over HTTP (${mode})`, { skip }, () => {
    let t: TestApp;
    const adminJwt = () => ({ authorization: `Bearer ${t.token('root', { role: 'admin' })}` });
    const withKey = (key: string) => ({ authorization: `ApiKey ${key}` });
    const createKey = async (scopes: string[], name = 'eu game servers', headers = adminJwt()) => {
      const response = await t.app.inject({ method: 'POST', url: '/api/v1/admin/api-keys', headers, payload: { name, scopes } });
      assert.equal(response.statusCode, 201, response.body);
      return json(response).data as { id: string; key: string; name: string; scopes: string[]; createdAt: string };
    };
    const list = (headers: Record<string, string>) => t.app.inject({ method: 'GET', url: '/api/v1/admin/api-keys', headers });
    const revoke = (id: string, headers = adminJwt()) => t.app.inject({ method: 'DELETE', url: `/api/v1/admin/api-keys/${id}`, headers });
    const update = (key: string, body: object) => t.app.inject({ method: 'POST', url: '/api/v1/server/scores/update', headers: withKey(key), payload: body });
    const submit = (key: string, boardId: string, body: object) =>
      t.app.inject({ method: 'POST', url: `/api/v1/server/boards/${boardId}/scores`, headers: withKey(key), payload: body });
    const historyRow = async (actionId: string) => {
      const [row] = await t.backends.sql.query('SELECT user_id, api_key_id, board_id, submitted_score FROM score_history WHERE action_id = $1', [actionId]);
      return row;
    };

    before(async () => {
      t = await createTestApp(mode, { ACTIONS_CONFIG: ACTIONS });
      const board = await t.app.inject({ method: 'POST', url: '/api/v1/admin/boards', headers: adminJwt(), payload: { id: 'laps', sortOrder: 'asc', operator: 'best', minScore: 1000, maxScore: 600000 } });
      assert.equal(board.statusCode, 201, board.body);
      const fed = await t.app.inject({ method: 'POST', url: '/api/v1/admin/boards', headers: adminJwt(), payload: { id: 'tasks', actions: ['TASK_COMPLETE'] } });
      assert.equal(fed.statusCode, 201, fed.body);
      const closed = await t.app.inject({ method: 'POST', url: '/api/v1/admin/boards', headers: adminJwt(), payload: { id: 'last-season', endsAt: '2020-01-01T00:00:00.000Z' } });
      assert.equal(closed.statusCode, 201, closed.body);
    });
    after(async () => t?.close());

    it('creates, lists and revokes keys with an admin token or an admin key, and refuses everyone else', async () => {
      const noAuth = await t.app.inject({ method: 'POST', url: '/api/v1/admin/api-keys', payload: { name: 'x', scopes: ['scores:write'] } });
      assert.equal(noAuth.statusCode, 401);
      assert.equal(json(noAuth).error.code, 'UNAUTHORIZED');
      const player = await t.app.inject({ method: 'POST', url: '/api/v1/admin/api-keys', headers: { authorization: `Bearer ${t.token('ann')}` }, payload: { name: 'x', scopes: ['scores:write'] } });
      assert.equal(player.statusCode, 403);
      assert.equal(json(player).error.details.reason, 'NOT_ALLOWED');
      assert.equal((await list({ authorization: `Bearer ${t.token('ann')}` })).statusCode, 403);
      assert.equal((await list({})).statusCode, 401);

      const adminKey = await createKey(['admin'], 'ops');
      const writer = await createKey(['scores:write'], 'writer', withKey(adminKey.key));
      assert.deepEqual(writer.scopes, ['scores:write']);
      assert.match(writer.key, /^sbk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
      assert.ok(writer.key.includes(writer.id));

      // A scores:write key is no admin: 403 on every admin route, the boards' included.
      for (const request of [
        { method: 'GET' as const, url: '/api/v1/admin/api-keys' },
        { method: 'POST' as const, url: '/api/v1/admin/api-keys', payload: { name: 'y', scopes: ['admin'] } },
        { method: 'DELETE' as const, url: `/api/v1/admin/api-keys/${adminKey.id}` },
        { method: 'POST' as const, url: '/api/v1/admin/boards', payload: { id: 'nope' } },
      ]) {
        const refused = await t.app.inject({ ...request, headers: withKey(writer.key) });
        assert.equal(refused.statusCode, 403, `${request.method} ${request.url}`);
        assert.equal(json(refused).error.details.reason, 'NOT_ALLOWED');
      }
      const unknown = await list(withKey(`sbk_${'0'.repeat(16)}_${'A'.repeat(43)}`));
      assert.equal(unknown.statusCode, 401);
      assert.equal((await list(withKey('not-a-key'))).statusCode, 401);

      const listed = await list(withKey(adminKey.key));
      assert.equal(listed.statusCode, 200);
      const keys = json(listed).data.keys as Array<Record<string, unknown>>;
      const mine = keys.find((key) => key.id === writer.id)!;
      assert.deepEqual(Object.keys(mine).sort(), ['createdAt', 'id', 'lastUsedAt', 'name', 'revokedAt', 'scopes']);
      assert.equal(mine.revokedAt, null);
      assert.ok(!listed.body.includes(writer.key.slice('sbk_'.length + 17)), 'the list never holds a key');

      const revoked = await revoke(writer.id, withKey(adminKey.key));
      assert.equal(revoked.statusCode, 200, revoked.body);
      assert.ok(json(revoked).data.revokedAt);
      assert.equal((await revoke('ffffffffffffffff')).statusCode, 404);
      assert.equal((await revoke('not-an-id')).statusCode, 400);
    });

    it('refuses bad key definitions naming the field', async () => {
      for (const payload of [{ name: '', scopes: ['admin'] }, { name: 'x'.repeat(101), scopes: ['admin'] }, { name: '   ', scopes: ['admin'] }, { name: 'x', scopes: [] }, { name: 'x', scopes: ['root'] }, { name: 'x', scopes: ['admin', 'admin'] }, { name: 'x', scopes: ['admin'], extra: 1 }]) {
        const response = await t.app.inject({ method: 'POST', url: '/api/v1/admin/api-keys', headers: adminJwt(), payload });
        assert.equal(response.statusCode, 400, JSON.stringify(payload));
        assert.equal(json(response).error.code, 'INVALID_REQUEST');
      }
      assert.equal((await createKey(['admin'], 'x'.repeat(100))).name.length, 100);
    });

    it('shows the key once and stores only its SHA-256', async () => {
      const created = await createKey(['scores:write'], 'stored');
      const rows = await t.backends.sql.query('SELECT * FROM api_keys WHERE id = $1', [created.id]);
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.key_hash, createHash('sha256').update(created.key).digest('hex'));
      const secret = created.key.slice('sbk_'.length + 17);
      assert.equal(secret.length, 43);
      assert.ok(!JSON.stringify(rows[0]).includes(secret), 'no column holds the key');
      const listed = json(await list(adminJwt())).data.keys.find((key: { id: string }) => key.id === created.id);
      assert.equal(listed.key, undefined);
      assert.equal(listed.keyHash, undefined);
    });

    it('applies a server update for a named player, provisioning them, with the key in the history', async () => {
      const { id, key } = await createKey(['scores:write'], 'server');
      const body = serverUpdate('srv-ann', { scoreIncrement: 25 });
      const response = await update(key, body);
      assert.equal(response.statusCode, 200, response.body);
      const data = json(response).data;
      assert.deepEqual({ userId: data.userId, newScore: data.newScore, previousScore: data.previousScore, rank: typeof data.rank }, { userId: 'srv-ann', newScore: 25, previousScore: 0, rank: 'number' });
      assert.deepEqual(data.boards.map((board: { boardId: string }) => board.boardId), ['tasks'], 'the action boards are fed as for a client');
      assert.equal(await t.scoreInDb('srv-ann'), 25);
      assert.deepEqual({ ...(await historyRow(body.actionId)) }, { user_id: 'srv-ann', api_key_id: id, board_id: null, submitted_score: null });

      const history = await t.app.inject({ method: 'GET', url: '/api/v1/scores/user/srv-ann/history', headers: { authorization: `Bearer ${t.token('srv-ann')}` } });
      assert.equal(history.statusCode, 200, history.body);
      assert.equal(json(history).data.history[0].apiKeyId, id);
      const exported = await t.app.inject({ method: 'GET', url: '/api/v1/users/srv-ann/export', headers: { authorization: `Bearer ${t.token('srv-ann')}` } });
      assert.equal(exported.statusCode, 200, exported.body);
      assert.equal(json(exported).data.history[0].api_key_id, id);

      // A signed client update leaves the column empty.
      const client = t.body();
      assert.equal((await t.post('srv-ann', client)).statusCode, 200);
      assert.equal((await historyRow(client.actionId))!.api_key_id, null);
      // The server names the player without claims: the name their token wrote stays.
      assert.equal((await update(key, serverUpdate('srv-ann'))).statusCode, 200);
      const [user] = await t.backends.sql.query('SELECT username FROM users WHERE id = $1', ['srv-ann']);
      assert.equal(user!.username, 'Player srv-ann');
      const listed = json(await list(adminJwt())).data.keys.find((listedKey: { id: string }) => listedKey.id === id);
      assert.ok(listed.lastUsedAt, 'the use is recorded');
    });

    it('applies a server board submission with the key in the history', async () => {
      const { id, key } = await createKey(['scores:write'], 'laps');
      const body = serverSubmission('srv-ben', 91_000);
      const response = await submit(key, 'laps', body);
      assert.equal(response.statusCode, 200, response.body);
      assert.deepEqual(
        (({ userId, boardId, score, submitted, improved, rank }) => ({ userId, boardId, score, submitted, improved, rank }))(json(response).data),
        { userId: 'srv-ben', boardId: 'laps', score: 91_000, submitted: 91_000, improved: true, rank: 1 },
      );
      assert.deepEqual({ ...(await historyRow(body.actionId)) }, { user_id: 'srv-ben', api_key_id: id, board_id: 'laps', submitted_score: 91_000 });
    });

    it('keeps every other check: schema, key scope, action, increment, replay, frozen, minimum duration, board rules', async () => {
      const { key } = await createKey(['scores:write'], 'checks');
      const { key: adminOnly } = await createKey(['admin'], 'admin only');
      const code = async (response: Promise<LightMyRequestResponse>) => {
        const answer = await response;
        const body = json(answer);
        return [answer.statusCode, body.error?.details?.reason ?? body.error?.code];
      };
      assert.deepEqual(await code(update(adminOnly, serverUpdate('srv-cat'))), [403, 'NOT_ALLOWED']);
      const asPlayer = t.app.inject({ method: 'POST', url: '/api/v1/server/scores/update', headers: { authorization: `Bearer ${t.token('srv-cat')}` }, payload: serverUpdate('srv-cat') });
      assert.deepEqual(await code(asPlayer), [401, 'UNAUTHORIZED']);
      assert.deepEqual(await code(update(key, { ...serverUpdate('srv-cat'), clientSignature: 'a'.repeat(64) })), [400, 'INVALID_REQUEST']);
      const { userId: _userId, ...noPlayer } = serverUpdate('srv-cat');
      assert.deepEqual(await code(update(key, noPlayer)), [400, 'INVALID_REQUEST']);
      assert.deepEqual(await code(update(key, serverUpdate('bad\u0001id'))), [400, 'INVALID_REQUEST']);
      assert.deepEqual(await code(update(key, serverUpdate('srv-cat', { actionType: 'NOPE' }))), [400, 'INVALID_ACTION']);
      assert.deepEqual(await code(update(key, serverUpdate('srv-cat', { scoreIncrement: 51 }))), [400, 'SCORE_VALIDATION_FAILED']);
      assert.deepEqual(await code(update(key, serverUpdate('srv-cat', { timestamp: '2001-01-01T00:00:00.000Z' }))), [400, 'TIMESTAMP_OUT_OF_RANGE']);

      const once = serverUpdate('srv-cat');
      assert.equal((await update(key, once)).statusCode, 200);
      assert.deepEqual(await code(update(key, once)), [409, 'DUPLICATE_ACTION']);
      assert.deepEqual(await code(update(key, { ...once, userId: 'srv-dan' })), [409, 'DUPLICATE_ACTION']);
      assert.equal((await update(key, serverUpdate('srv-cat', { actionType: 'SLOW_ACTION' }))).statusCode, 200);
      assert.deepEqual(await code(update(key, serverUpdate('srv-cat', { actionType: 'SLOW_ACTION' }))), [403, 'TOO_FAST']);

      assert.deepEqual(await code(submit(key, 'laps', serverSubmission('srv-cat', 999))), [400, 'SCORE_VALIDATION_FAILED']);
      assert.deepEqual(await code(submit(key, 'laps', { ...serverSubmission('srv-cat', 5000), clientSignature: 'a'.repeat(64) })), [400, 'INVALID_REQUEST']);
      assert.deepEqual(await code(submit(key, 'tasks', serverSubmission('srv-cat', 5000))), [403, 'NOT_ALLOWED']);
      assert.deepEqual(await code(submit(key, 'global', serverSubmission('srv-cat', 5000))), [403, 'NOT_ALLOWED']);
      assert.deepEqual(await code(submit(key, 'last-season', serverSubmission('srv-cat', 5000))), [403, 'BOARD_CLOSED']);
      assert.deepEqual(await code(submit(key, 'no-such-board', serverSubmission('srv-cat', 5000))), [404, 'BOARD_NOT_FOUND']);
      assert.deepEqual(await code(submit(key, 'laps', { ...serverSubmission('srv-cat', 5000), actionId: once.actionId })), [409, 'DUPLICATE_ACTION']);

      const frozen = await t.app.inject({ method: 'POST', url: '/api/v1/admin/users/srv-cat/freeze', headers: adminJwt(), payload: { reason: 'test' } });
      assert.equal(frozen.statusCode, 200, frozen.body);
      const before = await t.scoreInDb('srv-cat');
      assert.deepEqual(await code(update(key, serverUpdate('srv-cat'))), [403, 'ACCOUNT_FROZEN']);
      assert.deepEqual(await code(submit(key, 'laps', serverSubmission('srv-cat', 5000))), [403, 'ACCOUNT_FROZEN']);
      assert.equal(await t.scoreInDb('srv-cat'), before, 'no refusal changed a score');
    });

    it('refuses a revoked key at once', async () => {
      const { id, key } = await createKey(['scores:write', 'admin'], 'to revoke');
      assert.equal((await update(key, serverUpdate('srv-eve'))).statusCode, 200);
      assert.equal((await list(withKey(key))).statusCode, 200);
      assert.equal((await revoke(id)).statusCode, 200);
      const refused = await update(key, serverUpdate('srv-eve'));
      assert.equal(refused.statusCode, 401);
      assert.equal(json(refused).error.code, 'UNAUTHORIZED');
      assert.equal((await list(withKey(key))).statusCode, 401);
      const listed = json(await list(adminJwt())).data.keys.find((listedKey: { id: string }) => listedKey.id === id);
      assert.ok(listed.revokedAt);
    });
  });

  describe(`game-server key rate limit (${mode})`, { skip }, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(mode, { ACTIONS_CONFIG: ACTIONS, API_KEY_RATE_LIMIT_MAX_REQUESTS: '3', RATE_LIMIT_WINDOW_MS: '60000', RATE_LIMIT_MAX_REQUESTS: '2' });
    });
    after(async () => t?.close());

    it('limits each key on its own (429 with Retry-After), and each player as a client would be', async () => {
      const create = async (name: string) =>
        (await t.app.inject({ method: 'POST', url: '/api/v1/admin/api-keys', headers: { authorization: `Bearer ${t.token('root', { role: 'admin' })}` }, payload: { name, scopes: ['scores:write'] } })).json().data.key as string;
      const [first, second] = [await create('one'), await create('two')];
      const post = (key: string, userId: string) => t.app.inject({ method: 'POST', url: '/api/v1/server/scores/update', headers: { authorization: `ApiKey ${key}` }, payload: serverUpdate(userId) });
      // The per-player limit (2) still holds for a server.
      assert.equal((await post(first, 'p1')).statusCode, 200);
      assert.equal((await post(first, 'p1')).statusCode, 200);
      const player = await post(first, 'p1');
      assert.equal(player.statusCode, 429);
      assert.equal(json(player).error.details.scope, 'user');
      // The key's fourth request, whoever it is for.
      const keyed = await post(first, 'p2');
      assert.equal(keyed.statusCode, 429);
      assert.equal(json(keyed).error.details.scope, 'key');
      assert.ok(Number(keyed.headers['retry-after']) >= 1);
      // Another key is not held back by the first.
      assert.equal((await post(second, 'p3')).statusCode, 200);
    });
  });
}

describe('game-server keys on two instances sharing PostgreSQL and Redis (production)', { skip: SKIP_POSTGRES || SKIP_REDIS }, () => {
  const instances: Array<{ app: FastifyInstance; backends: Backends }> = [];
  const cleanups: Array<() => Promise<void>> = [];

  before(async () => {
    const database = await createTestDatabase();
    const redis = await createTestRedis();
    cleanups.push(database.cleanup, redis.cleanup);
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      JWT_SECRET: TEST_JWT_SECRET,
      HMAC_SECRET_KEY: TEST_HMAC_KEY,
      CACHE_REFRESH_INTERVAL_MS: '0',
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL!,
      REDIS_KEY_PREFIX: redis.keyPrefix,
      ACTIONS_CONFIG: ACTIONS,
      RATE_LIMIT_MAX_REQUESTS: '100000',
    });
    for (let i = 0; i < 2; i++) {
      const backends = await createBackends(config);
      const app = await buildApp(config, backends);
      await app.ready();
      instances.push({ app, backends });
    }
  });
  after(async () => {
    for (const { app, backends } of instances) {
      await app.close();
      await backends.close();
    }
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('a key revoked on instance A is refused by instance B, which had it cached', async () => {
    const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
    const admin = { authorization: `Bearer ${createTokenSigner(TEST_JWT_SECRET, '1h')({ userId: 'root', role: 'admin' })}` };
    const created = await a.app.inject({ method: 'POST', url: '/api/v1/admin/api-keys', headers: admin, payload: { name: 'fleet', scopes: ['scores:write'] } });
    assert.equal(created.statusCode, 201, created.body);
    const { id, key } = json(created).data;
    const post = (app: FastifyInstance) => app.inject({ method: 'POST', url: '/api/v1/server/scores/update', headers: { authorization: `ApiKey ${key}` }, payload: serverUpdate('fleet-player') });
    assert.equal((await post(b.app)).statusCode, 200, 'B knows the key A created (and caches it)');
    assert.equal((await post(b.app)).statusCode, 200);

    assert.equal((await a.app.inject({ method: 'DELETE', url: `/api/v1/admin/api-keys/${id}`, headers: admin })).statusCode, 200);
    assert.equal((await post(a.app)).statusCode, 401);
    // A answers the revocation once it has gone round Redis: B already refuses the key it had cached.
    const refused = await post(b.app);
    assert.equal(refused.statusCode, 401, refused.body);
    assert.equal(json(refused).error.code, 'UNAUTHORIZED');
    const [row] = await a.backends.sql.query('SELECT count(*)::int AS n FROM score_history WHERE api_key_id = $1', [id]);
    assert.equal(row!.n, 2, 'no update was applied after the revocation');
  });
});

describe('game-server keys in the API docs', () => {
  it('documents the key routes with their tags and the ApiKey scheme, and the server bodies without a signature', async () => {
    const t = await createTestApp('embedded');
    try {
      const doc = (await t.app.inject({ url: '/docs/json' })).json();
      assert.equal(doc.components.securitySchemes.apiKeyAuth.type, 'apiKey');
      const routes: Array<[string, string, string, unknown]> = [
        ['post', '/api/v1/admin/api-keys', 'admin', [{ bearerAuth: [] }, { apiKeyAuth: [] }]],
        ['get', '/api/v1/admin/api-keys', 'admin', [{ bearerAuth: [] }, { apiKeyAuth: [] }]],
        ['delete', '/api/v1/admin/api-keys/{id}', 'admin', [{ bearerAuth: [] }, { apiKeyAuth: [] }]],
        ['post', '/api/v1/admin/boards', 'admin', [{ bearerAuth: [] }, { apiKeyAuth: [] }]],
        ['post', '/api/v1/server/scores/update', 'game servers', [{ apiKeyAuth: [] }]],
        ['post', '/api/v1/server/boards/{boardId}/scores', 'game servers', [{ apiKeyAuth: [] }]],
      ];
      for (const [method, path, tag, security] of routes) {
        const route = doc.paths[path]?.[method];
        assert.ok(route, `${method} ${path} is documented`);
        assert.deepEqual(route.tags, [tag]);
        assert.deepEqual(route.security, security);
        assert.ok(route.summary);
      }
      const update = doc.paths['/api/v1/server/scores/update'].post.requestBody.content['application/json'].schema;
      assert.deepEqual(update.required, ['userId', 'actionId', 'actionType', 'scoreIncrement', 'timestamp']);
      const submission = doc.paths['/api/v1/server/boards/{boardId}/scores'].post.requestBody.content['application/json'].schema;
      assert.deepEqual(submission.required, ['userId', 'actionId', 'score', 'timestamp']);
      assert.ok(doc.tags.some((tag: { name: string }) => tag.name === 'game servers'));
    } finally {
      await t.close();
    }
  });
});
