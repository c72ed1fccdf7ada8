// GET /api/v1/users/:userId/export over real HTTP in both modes: the streamed document holds what
// the export always held, its limits answer in the envelope before any byte of it, a reader that
// stops reading holds the server to a page or two of buffered output, and other players' score
// updates keep being answered while big exports stream to slow readers.
import http from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildApp } from '../../src/app.js';
import { createBackends } from '../../src/backends.js';
import type { SqlClient } from '../../src/db/sql-client.js';
import { AppError } from '../../src/errors.js';
import { UserExportService } from '../../src/users/user-export-service.js';
import { FAST_ACTIONS, MODES, actionsFile, createTestApp, type TestApp } from '../helpers/app.js';
import { sleep, waitFor } from '../helpers/outage-services.js';

/** Adds a user with `rows` history rows (one statement), a matching score row and two flags. */
async function seedUser(sql: SqlClient, userId: string, rows: number): Promise<void> {
  await sql.query(`INSERT INTO users (id, username, email) VALUES ($1, $2, $3)`, [userId, `Player ${userId}`, `${userId}@example.com`]);
  await sql.query(
    `INSERT INTO scores (user_id, score, last_updated, total_actions, first_action, last_action, action_last_at)
     VALUES ($1, $2::bigint * 10, now(), $2, now() - interval '1 day', now(), '{"TASK_COMPLETE": 1700000000000}'::jsonb)`,
    [userId, rows],
  );
  await sql.query(
    `INSERT INTO score_history (user_id, action_id, action_type, score_increment, score_before, score_after, ip_address, user_agent, created_at)
     SELECT $1, md5($1 || ':' || g)::uuid, CASE WHEN g % 3 = 0 THEN 'ACHIEVEMENT' ELSE 'TASK_COMPLETE' END, 10, (g - 1) * 10, g * 10,
            CASE WHEN g % 7 = 0 THEN NULL ELSE ('10.0.' || (g % 250) || '.' || (g % 200 + 1))::inet END,
            CASE WHEN g % 5 = 0 THEN NULL ELSE 'agent "' || g || '" \\ é' END,
            now() - (($2::int - g) * interval '1 second')
     FROM generate_series(1, $2::int) AS g`,
    [userId, rows],
  );
  await sql.query(
    `INSERT INTO board_entries (board_id, period_id, user_id, score, order_score, last_updated)
     VALUES ('global', 'all', $1, $2::bigint * 10, -$2::bigint * 10, date_trunc('milliseconds', now()))`,
    [userId, rows],
  );
  await sql.query(
    `INSERT INTO suspicious_activity (user_id, reason, details) VALUES ($1, 'SCORE_VELOCITY', '{"z": 5.5, "window": [1, 2]}'), ($1, 'IP_BURST', '{}')`,
    [userId],
  );
}

/** What the export held when it was built in one transaction: the same queries, read whole. */
async function referenceExport(sql: SqlClient, userId: string): Promise<unknown> {
  const [user] = await sql.query(`SELECT id, username, email, status, frozen_reason, hidden, created_at, updated_at FROM users WHERE id = $1`, [userId]);
  const [score] = await sql.query(`SELECT score, last_updated, total_actions, first_action, last_action, action_last_at FROM scores WHERE user_id = $1`, [userId]);
  const history = await sql.query(
    `SELECT id, action_id, action_type, score_increment, score_before, score_after, host(ip_address) AS ip_address, user_agent, created_at,
            board_id, period_id, submitted_score, api_key_id
     FROM score_history WHERE user_id = $1 ORDER BY id`,
    [userId],
  );
  const flags = await sql.query(`SELECT id, user_id, reason, details, created_at FROM suspicious_activity WHERE user_id = $1 ORDER BY id`, [userId]);
  const suspiciousActivity = flags.map((row) => ({
    id: row.id,
    userId: row.user_id,
    reason: row.reason,
    details: typeof row.details === 'string' ? JSON.parse(row.details) : row.details,
    createdAt: row.created_at,
  }));
  const entries = await sql.query(
    `SELECT board_id, period_id, score, last_updated FROM board_entries WHERE user_id = $1 ORDER BY board_id, period_id`,
    [userId],
  );
  const boards = entries.map((row) => ({ boardId: row.board_id, period: row.period_id, score: Number(row.score), lastUpdated: new Date(row.last_updated as string).toISOString() }));
  return JSON.parse(JSON.stringify({ user, score: score ?? null, boards, history, suspiciousActivity }));
}

interface Download {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  ms: number;
}

/** Downloads an export on its own connection, pausing `chunkDelayMs` after every chunk (a slow reader). */
function download(url: string, userId: string, token: string, chunkDelayMs = 0): Promise<Download> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = http.get(`${url}/api/v1/users/${encodeURIComponent(userId)}/export`, { agent: false, headers: { authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        if (chunkDelayMs > 0) {
          res.pause();
          setTimeout(() => res.resume(), chunkDelayMs);
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }));
      res.on('error', reject);
    });
    request.on('error', reject);
  });
}

/** Asserts a 429 envelope with a positive Retry-After. */
function assertTooMany(res: { status: number; headers: http.IncomingHttpHeaders; body: string }): void {
  assert.equal(res.status, 429, res.body);
  const body = JSON.parse(res.body) as { success: boolean; error: { code: string; requestId: string } };
  assert.equal(body.success, false);
  assert.equal(body.error.code, 'RATE_LIMIT_EXCEEDED');
  assert.equal(body.error.requestId, res.headers['x-request-id']);
  assert.match(String(res.headers['retry-after']), /^[1-9]\d*$/);
}

function percentile(values: number[], share: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))]!;
}

for (const { mode, skip } of MODES) {
  describe(`user export, streamed (${mode})`, { skip }, () => {
    let t: TestApp;
    let url: string;
    before(async () => {
      t = await createTestApp(mode, { ACTIONS_CONFIG: actionsFile(FAST_ACTIONS), EXPORT_RATE_LIMIT_MAX_REQUESTS: '3' });
      url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    });
    after(() => t.close());

    it('streams the same document the export always held, for 3,000 history rows', async () => {
      await seedUser(t.backends.sql, 'archivist', 3000);
      const res = await download(url, 'archivist', t.token('archivist'));
      assert.equal(res.status, 200, res.body.slice(0, 300));
      assert.match(String(res.headers['content-type']), /^application\/json; charset=utf-8/);
      assert.equal(res.headers['content-disposition'], 'attachment; filename="scoreboard-export-archivist.json"');
      const document = JSON.parse(res.body) as { success: boolean; data: Record<string, unknown> };
      assert.deepEqual(Object.keys(document), ['success', 'data']);
      assert.equal(document.success, true);
      assert.deepEqual(Object.keys(document.data), ['exportedAt', 'user', 'score', 'boards', 'history', 'suspiciousActivity']);
      assert.equal(new Date(document.data.exportedAt as string).toISOString(), document.data.exportedAt);
      const { exportedAt: _, ...data } = document.data;
      assert.deepEqual(data, await referenceExport(t.backends.sql, 'archivist'));
      assert.equal((data.history as unknown[]).length, 3000);
    });

    it('a user who never scored: score null, empty lists; 404, 403 and 401 in the envelope', async () => {
      await t.backends.sql.query(`INSERT INTO users (id, username) VALUES ('newcomer', 'New')`);
      const fresh = await download(url, 'newcomer', t.token('newcomer'));
      const { exportedAt: _, ...data } = (JSON.parse(fresh.body) as { data: Record<string, unknown> }).data;
      assert.deepEqual(data, await referenceExport(t.backends.sql, 'newcomer'));
      assert.equal(data.score, null);
      assert.deepEqual(data.history, []);

      const ghost = await t.app.inject({ url: '/api/v1/users/ghost/export', headers: { authorization: `Bearer ${t.token('root', { role: 'admin' })}` } });
      assert.equal(ghost.statusCode, 404);
      assert.equal(ghost.json().error.code, 'USER_NOT_FOUND');
      assert.equal(ghost.json().error.requestId, ghost.headers['x-request-id']);
      const other = await t.app.inject({ url: '/api/v1/users/archivist/export', headers: { authorization: `Bearer ${t.token('newcomer')}` } });
      assert.equal(other.statusCode, 403);
      assert.equal(other.json().error.details.reason, 'NOT_ALLOWED');
      const anonymous = await t.app.inject({ url: '/api/v1/users/archivist/export' });
      assert.equal(anonymous.statusCode, 401);
      assert.equal(anonymous.json().success, false);
    });

    it('a reader that stops reading: the server buffers a page or two, the export stays in flight (one per user: 429), and finishes once read', { timeout: 120_000 }, async () => {
      const rows = 60_000;
      await seedUser(t.backends.sql, 'hoarder', rows);
      const serverSockets: Socket[] = [];
      const track = (socket: Socket) => serverSockets.push(socket);
      t.app.server.on('connection', track);
      try {
        const token = t.token('hoarder');
        const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
          http.get(`${url}/api/v1/users/hoarder/export`, { agent: false, headers: { authorization: `Bearer ${token}` } }, resolve).on('error', reject);
        });
        response.pause();
        assert.equal(response.statusCode, 200);
        await sleep(1500);
        const server = serverSockets.find((socket) => socket.remotePort === response.socket.localPort);
        assert.ok(server, 'the server side of the connection');
        const writtenWhilePaused = server.bytesWritten;
        const buffered = server.writableLength;

        const second = await download(url, 'hoarder', token);
        assertTooMany(second);

        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        const ended = new Promise((resolve) => response.on('end', resolve));
        response.resume();
        await ended;
        const body = Buffer.concat(chunks).toString('utf8');
        const total = Buffer.byteLength(body);
        console.log(`  export of ${rows} rows: ${(total / 2 ** 20).toFixed(1)} MiB; while the reader paused the server had written ` +
          `${(writtenWhilePaused / 2 ** 20).toFixed(2)} MiB and buffered ${(buffered / 2 ** 10).toFixed(0)} KiB`);
        assert.ok(buffered < 2 * 2 ** 20, `the server buffered ${buffered} bytes for a reader that read nothing`);
        assert.ok(writtenWhilePaused < total / 2, `${writtenWhilePaused} of ${total} bytes were written while the reader read nothing`);
        assert.equal((JSON.parse(body) as { data: { history: unknown[] } }).data.history.length, rows);
      } finally {
        t.app.server.off('connection', track);
      }
    });

    it('a client that goes away mid-export frees its slot', async () => {
      await seedUser(t.backends.sql, 'quitter', 20_000);
      const token = t.token('quitter');
      await new Promise<void>((resolve, reject) => {
        const request = http.get(`${url}/api/v1/users/quitter/export`, { agent: false, headers: { authorization: `Bearer ${token}` } }, (res) => {
          assert.equal(res.statusCode, 200);
          res.once('data', () => {
            request.destroy();
            resolve();
          });
        });
        request.on('error', () => undefined);
        setTimeout(() => reject(new Error('no data')), 10_000);
      });
      const again = await waitFor(async () => (await download(url, 'quitter', token)).status === 200, 10_000, 'a new export once the first client left');
      assert.ok(again.value);
    });

    it(`EXPORT_RATE_LIMIT_MAX_REQUESTS per user per hour: the next is 429 with Retry-After${mode === 'production' ? ', on another instance too' : ''}`, async () => {
      await seedUser(t.backends.sql, 'counted', 10);
      const token = t.token('counted');
      for (let i = 0; i < 3; i += 1) assert.equal((await download(url, 'counted', token)).status, 200);
      const refused = await download(url, 'counted', token);
      assertTooMany(refused);
      const wait = Number(refused.headers['retry-after']);
      assert.ok(wait > 3500 && wait <= 3600, `Retry-After ${wait}`);
      // Another player's exports are counted apart.
      await seedUser(t.backends.sql, 'neighbour', 10);
      assert.equal((await download(url, 'neighbour', t.token('neighbour'))).status, 200);
      if (mode !== 'production') return;
      const backends = await createBackends(t.config);
      const other = await buildApp(t.config, backends);
      try {
        const res = await other.inject({ url: '/api/v1/users/counted/export', headers: { authorization: `Bearer ${token}` } });
        assert.equal(res.statusCode, 429, res.body);
        assert.equal(res.json().error.code, 'RATE_LIMIT_EXCEEDED');
      } finally {
        await other.close();
        await backends.close();
      }
    });

    it('at most maxInFlight exports stream at once on an instance; the slot frees when one ends', async () => {
      for (const userId of ['cap-a', 'cap-b', 'cap-c']) await seedUser(t.backends.sql, userId, 10);
      const service = new UserExportService({ store: t.backends.stores, limiter: t.backends.exportLimiter, maxInFlight: 2 });
      const first = await service.open('cap-a');
      await service.open('cap-b');
      await assert.rejects(service.open('cap-c'), (error: unknown) => error instanceof AppError && error.code === 'RATE_LIMIT_EXCEEDED' && (error.retryAfterSec ?? 0) > 0);
      await assert.rejects(service.open('cap-a'), (error: unknown) => error instanceof AppError && error.code === 'RATE_LIMIT_EXCEEDED');
      first.destroy();
      await waitFor(async () => service.inFlight === 1, 2000, 'the slot freed');
      const third = await service.open('cap-c');
      let text = '';
      for await (const piece of third) text += piece;
      assert.deepEqual((JSON.parse(text) as { data: { history: unknown[] } }).data.history.length, 10);
      await waitFor(async () => service.inFlight === 1, 2000, 'the finished export freed its slot');
    });

    it("other players' score updates keep being answered while big exports stream to slow readers", { timeout: 180_000 }, async () => {
      const exporters = ['big-0', 'big-1', 'big-2', 'big-3'];
      for (const userId of exporters) await seedUser(t.backends.sql, userId, 14_400);
      const players = Array.from({ length: 9 }, (_, i) => `steady-${i}`);
      const agent = new http.Agent({ keepAlive: true, maxSockets: players.length });
      const post = (userId: string) =>
        new Promise<{ status: number; ms: number }>((resolve, reject) => {
          const payload = JSON.stringify(t.body({ scoreIncrement: 1 }));
          const started = performance.now();
          const request = http.request(`${url}/api/v1/scores/update`, {
            method: 'POST',
            agent,
            headers: { authorization: `Bearer ${t.token(userId)}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
          }, (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
          });
          request.on('error', reject);
          request.end(payload);
        });
      /** Every player posts one update after another until `until()` is false. */
      const keepPosting = async (until: () => boolean) => {
        const answers: { status: number; ms: number }[] = [];
        await Promise.all(players.map(async (userId) => {
          while (until()) answers.push(await post(userId));
        }));
        return answers;
      };
      try {
        const baselineEnd = performance.now() + 3000;
        const baseline = await keepPosting(() => performance.now() < baselineEnd);
        const rssBefore = process.memoryUsage().rss;
        let peakRss = rssBefore;
        const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
        let streaming = true;
        const downloads = Promise.all(exporters.map((userId) => download(url, userId, t.token(userId), 40))).finally(() => (streaming = false));
        const during = await keepPosting(() => streaming);
        const exported = await downloads;
        clearInterval(sampler);
        // Measured again after the exports: the machine is shared, and the reference is the slower
        // of the two quiet phases around them (a load that began during the exports is not theirs).
        const afterEnd = performance.now() + 3000;
        const after = await keepPosting(() => performance.now() < afterEnd);

        const summary = (answers: { ms: number }[]) =>
          `${answers.length} updates, p50 ${percentile(answers.map((a) => a.ms), 0.5).toFixed(1)} ms, p95 ${percentile(answers.map((a) => a.ms), 0.95).toFixed(1)} ms, ` +
          `max ${Math.max(...answers.map((a) => a.ms)).toFixed(1)} ms`;
        console.log(`  baseline: ${summary(baseline)}; after: ${summary(after)}; during ${exporters.length} slow exports of 14,400 rows ` +
          `(${exported.map((e) => (e.ms / 1000).toFixed(1)).join(', ')} s each): ${summary(during)}; ` +
          `RSS ${(rssBefore / 2 ** 20).toFixed(0)} -> peak ${(peakRss / 2 ** 20).toFixed(0)} MiB`);

        for (const res of exported) {
          assert.equal(res.status, 200);
          assert.equal((JSON.parse(res.body) as { data: { history: unknown[] } }).data.history.length, 14_400);
        }
        assert.deepEqual([...baseline, ...after].filter((a) => a.status !== 200), []);
        assert.deepEqual(during.filter((a) => a.status !== 200), [], 'every update answered 200 while the exports streamed');
        assert.ok(during.length >= players.length * 5, `only ${during.length} updates were answered while the exports streamed`);
        const p50 = (answers: { ms: number }[]) => percentile(answers.map((a) => a.ms), 0.5);
        const p95 = (answers: { ms: number }[]) => percentile(answers.map((a) => a.ms), 0.95);
        const reference50 = Math.max(p50(baseline), p50(after));
        const reference95 = Math.max(p95(baseline), p95(after));
        assert.ok(p50(during) <= 10 * reference50 + 50, `median update latency ${p50(during).toFixed(1)} ms against ${reference50.toFixed(1)} ms`);
        assert.ok(p95(during) <= 10 * reference95 + 200, `p95 update latency ${p95(during).toFixed(1)} ms against ${reference95.toFixed(1)} ms`);
      } finally {
        agent.destroy();
      }
    });
  });
}
