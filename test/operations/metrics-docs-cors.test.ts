import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { actionsFile, createTestApp, FAST_ACTIONS, type TestApp } from '../helpers/app.js';
import { connected, openSocket } from '../helpers/sockets.js';

describe('metrics, API docs and CORS', () => {
  let t: TestApp;
  let url: string;
  before(async () => {
    t = await createTestApp('embedded', {
      ACTIONS_CONFIG: actionsFile(FAST_ACTIONS),
      CORS_ORIGINS: 'https://game.example.com, https://admin.example.com',
      RATE_LIMIT_MAX_REQUESTS: '2',
    });
    url = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(() => t.close());

  it('exposes every metric the design names, with its labels, in Prometheus text', async () => {
    await t.post('m1', t.body());
    await t.post('m1', t.body({ clientSignature: 'ab'.repeat(32) }));
    await t.post('m1', t.body());
    await t.app.inject({ url: '/api/v1/scores/leaderboard' });
    const socket = openSocket(url);
    try {
      await connected(socket);
      const response = await t.app.inject({ url: '/metrics' });
      assert.equal(response.statusCode, 200);
      assert.match(response.headers['content-type'] as string, /^text\/plain/);
      const text = response.body;
      for (const line of [
        /^score_update_total\{result="success"\} 1$/m,
        /^score_update_total\{result="INVALID_SIGNATURE"\} 1$/m,
        /^score_update_total\{result="RATE_LIMIT_EXCEEDED"\} 1$/m,
        /^action_completion_duration_seconds_bucket\{le="\+Inf",result="success"\} 1$/m,
        /^action_completion_duration_seconds_count\{result="rejected"\} 2$/m,
        /^fraud_checks_total\{check="signature",result="fail"\} 1$/m,
        /^fraud_checks_total\{check="rate_limit",result="fail"\} 1$/m,
        /^websocket_connections_active 1$/m,
        /^leaderboard_cache_hits_total 1$/m,
        /^rate_limit_hits_total\{scope="user"\} 1$/m,
        /^http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/scores\/update",status_code="200"\} 1$/m,
        /^http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/scores\/leaderboard",status_code="200"\} 1$/m,
        /^process_cpu_user_seconds_total /m,
        /^nodejs_heap_size_used_bytes /m,
      ]) {
        assert.match(text, line);
      }
    } finally {
      socket.close();
    }
  });

  it('labels routes by pattern, never by raw URL (bounded cardinality)', async () => {
    await t.app.inject({ url: '/api/v1/scores/user/some-user-123', headers: { authorization: `Bearer ${t.token('x')}` } });
    await t.app.inject({ url: '/no/such/route/42' });
    const text = (await t.app.inject({ url: '/metrics' })).body;
    assert.match(text, /route="\/api\/v1\/scores\/user\/:userId"/);
    assert.doesNotMatch(text, /some-user-123|no\/such\/route/);
  });

  it('serves an OpenAPI 3 document covering every route, and a browsable UI', async () => {
    const doc = (await t.app.inject({ url: '/docs/json' })).json();
    assert.match(doc.openapi, /^3\./);
    const routes = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    for (const route of [
      'POST /api/v1/scores/update',
      'GET /api/v1/scores/leaderboard',
      'GET /api/v1/scores/leaderboard/changes',
      'GET /api/v1/scores/user/{userId}',
      'GET /api/v1/scores/user/{userId}/history',
      'GET /api/v1/users/{userId}/export',
      'DELETE /api/v1/users/{userId}',
      'GET /api/v1/admin/suspicious-activity',
      'POST /api/v1/admin/users/{userId}/freeze',
      'POST /api/v1/admin/users/{userId}/unfreeze',
      'POST /api/actions/complete',
      'GET /api/leaderboard',
      'GET /health',
      'GET /metrics',
    ]) {
      assert.ok(routes.includes(route), `${route} is documented`);
    }
    const update = doc.paths['/api/v1/scores/update'].post;
    assert.deepEqual(update.requestBody.content['application/json'].schema.required, ['actionId', 'actionType', 'scoreIncrement', 'timestamp', 'clientSignature']);
    assert.ok(update.responses['200']);
    assert.deepEqual(update.security, [{ bearerAuth: [] }]);
    const ui = await t.app.inject({ url: '/docs/' });
    assert.equal(ui.statusCode, 200);
    assert.match(ui.body, /swagger/i);
  });

  it('answers CORS for the configured origins only', async () => {
    const allowed = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/scores/update',
      headers: { origin: 'https://game.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    assert.equal(allowed.statusCode, 204);
    assert.equal(allowed.headers['access-control-allow-origin'], 'https://game.example.com');
    const other = await t.app.inject({ url: '/api/v1/scores/leaderboard', headers: { origin: 'https://evil.example.net' } });
    assert.equal(other.headers['access-control-allow-origin'], undefined);
    const simple = await t.app.inject({ url: '/api/v1/scores/leaderboard', headers: { origin: 'https://admin.example.com' } });
    assert.equal(simple.headers['access-control-allow-origin'], 'https://admin.example.com');
    assert.match(simple.headers['access-control-expose-headers'] as string, /X-Request-Id/i);
  });

  it('sends security headers on API responses and pages', async () => {
    for (const path of ['/api/v1/scores/leaderboard', '/', '/admin']) {
      const response = await t.app.inject({ url: path });
      assert.equal(response.headers['x-content-type-options'], 'nosniff', path);
      assert.match(response.headers['content-security-policy'] as string, /frame-ancestors 'none'/, path);
      assert.equal(response.headers['referrer-policy'], 'no-referrer', path);
    }
  });
});
