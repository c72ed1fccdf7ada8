import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runSimulation, type SimulationOptions, type SimulationSummary } from '../../src/cli/simulate/index.js';
import { actionsFile, createTestApp, TEST_HMAC_KEY, TEST_JWT_SECRET, type TestApp } from '../helpers/app.js';

const BIN = new URL('../../bin/scoreboard.js', import.meta.url).pathname;

/** Short minDurations, so that a few seconds see many updates, but long enough for the rule to matter. */
const QUICK_ACTIONS = {
  TASK_COMPLETE: { maxScore: 50, minDuration: 200 },
  ACHIEVEMENT: { maxScore: 200, minDuration: 500 },
  BOSS_DEFEATED: { maxScore: 1000, minDuration: 2000 },
};

function collector() {
  const chunks: string[] = [];
  return {
    output: { write: (chunk: string) => chunks.push(chunk) > 0, isTTY: false },
    text: () => chunks.join(''),
  };
}

async function listen(t: TestApp): Promise<string> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
}

/** The options of a run against `t`, with the server's own secrets, catalogue and limits. */
function optionsFor(t: TestApp, url: string, output: SimulationOptions['output']): Omit<SimulationOptions, 'players' | 'ratePerSec' | 'durationMs'> {
  return {
    url,
    jwtSecret: TEST_JWT_SECRET,
    hmacSecretKey: TEST_HMAC_KEY,
    actions: t.config.actions,
    rateLimit: t.config.rateLimit,
    output,
  };
}

function assertNeverRefused(summary: SimulationSummary, output: string): void {
  assert.equal(summary.refused, 0, `refused: ${JSON.stringify(summary.byCode)}\n${output}`);
  assert.equal(summary.failed, 0, `failed: ${JSON.stringify(summary.byCode)}\n${output}`);
  assert.equal(summary.sent, summary.ok);
  assert.deepEqual(summary.byCode, {});
  assert.deepEqual(Object.keys(summary.byStatus).filter((status) => status !== '200'), []);
}

async function historyCount(t: TestApp, prefix: string): Promise<number> {
  const [row] = await t.backends.sql.query(`SELECT count(*)::bigint AS n FROM score_history WHERE user_id LIKE $1`, [`${prefix}%`]);
  return Number(row?.n);
}

/** Runs the command as its own process (asynchronously: the server answering it lives in this one). */
function runCli(args: string[], env: Record<string, string>, timeoutMs = 30_000): Promise<{ status: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, 'simulate', ...args], {
    env: { ...process.env, LOG_LEVEL: 'silent', DATA_DIR: 'memory://', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => {
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** A port on which nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('scoreboard simulate', () => {
  // A server with quick actions and a lax per-user limit, shared by the runs that want throughput.
  let t: TestApp;
  let url: string;
  let actions: string;
  // Started first and awaited near the end: it mostly waits (10 s) and costs the other tests nothing.
  let unreachableRun: Promise<{ port: number; result: Awaited<ReturnType<typeof runCli>> }>;
  before(async () => {
    unreachableRun = closedPort().then(async (port) => ({
      port,
      result: await runCli(['--url', `http://127.0.0.1:${port}`, '--duration', '1m'], { JWT_SECRET: TEST_JWT_SECRET, HMAC_SECRET_KEY: TEST_HMAC_KEY }),
    }));
    actions = actionsFile(QUICK_ACTIONS);
    t = await createTestApp('embedded', { ACTIONS_CONFIG: actions, RATE_LIMIT_MAX_REQUESTS: '1000' });
    url = await listen(t);
  });
  after(() => t.close());

  describe('runSimulation against a live server', () => {
    it('honest players are never refused, SQL holds every accepted update, and the board shows them', async () => {
      const out = collector();
      const summary = await runSimulation({ ...optionsFor(t, url, out.output), players: 8, ratePerSec: 20, durationMs: 3000, progressIntervalMs: 1000 });

      assert.equal(summary.stopReason, 'duration');
      assertNeverRefused(summary, out.text());
      assert.ok(summary.ok >= 25, `only ${summary.ok} updates in 3 s at 20/s`);
      assert.equal(summary.players, 8);
      assert.equal(summary.targetRate, 20);
      assert.ok(summary.elapsedMs >= 3000 && summary.elapsedMs < 6000, `elapsed ${summary.elapsedMs}`);
      assert.ok(summary.latencyMs.p50 > 0 && summary.latencyMs.p50 <= summary.latencyMs.p95 && summary.latencyMs.p95 <= summary.latencyMs.p99);
      assert.deepEqual(summary.notes, []);

      assert.equal(await historyCount(t, ''), summary.ok);
      const response = await t.app.inject({ method: 'GET', url: '/api/v1/scores/leaderboard?limit=100' });
      const { leaderboard } = response.json().data as { leaderboard: { userId: string; username: string; score: number }[] };
      assert.ok(leaderboard.length >= 6 && leaderboard.length <= 8, `${leaderboard.length} players on the board`);
      for (const entry of leaderboard) {
        assert.match(entry.userId, /^sim-[1-8]$/);
        assert.match(entry.username, /^[A-Z][a-z]+ [1-8]$/);
        assert.equal(entry.username.split(' ')[1], entry.userId.slice(4));
      }
      assert.deepEqual(summary.leader, { userId: leaderboard[0]!.userId, username: leaderboard[0]!.username, score: leaderboard[0]!.score });

      const text = out.text();
      assert.match(text, /simulating 8 honest players at 20 updates\/s against http:\/\/127\.0\.0\.1:\d+ for 3s/);
      assert.match(text, /^\ds {2}sent \d+ {2}ok \d+ {2}refused 0 {2}[\d.]+\/s {2}p50 [\d.]+ ms {2}p95 [\d.]+ ms {2}leader (-|\w+ \d \(\d+\))$/m);
      assert.match(text, new RegExp(`^done after 3\\.\\ds \\(duration reached\\): sent ${summary.sent}, ok ${summary.ok}, refused 0, `, 'm'));
    });

    it('signs its tokens with the server\'s JWT_ISSUER and JWT_AUDIENCE when the server checks them', async () => {
      const checked = await createTestApp('embedded', { ACTIONS_CONFIG: actions, RATE_LIMIT_MAX_REQUESTS: '1000', JWT_ISSUER: 'https://auth.studio.example/', JWT_AUDIENCE: 'scoreboard' });
      try {
        const checkedUrl = await listen(checked);
        const out = collector();
        const summary = await runSimulation({ ...optionsFor(checked, checkedUrl, out.output), tokenClaims: checked.config.tokens, players: 4, ratePerSec: 10, durationMs: 1500 });
        assert.ok(summary.ok > 0, out.text());
        assertNeverRefused(summary, out.text());
      } finally {
        await checked.close();
      }
    });

    it('stops when its signal aborts, letting in-flight requests finish', async () => {
      const controller = new AbortController();
      const out = collector();
      const earlier = await historyCount(t, 'stop-');
      // Armed once the count is read: on a loaded machine that read alone can take a tenth of the second.
      setTimeout(() => controller.abort(), 1000);
      const summary = await runSimulation({
        ...optionsFor(t, url, out.output),
        players: 4,
        ratePerSec: 10,
        durationMs: undefined,
        userIdPrefix: 'stop-',
        signal: controller.signal,
      });
      assert.equal(summary.stopReason, 'signal');
      assert.ok(summary.elapsedMs < 5000, `elapsed ${summary.elapsedMs}`);
      assertNeverRefused(summary, out.text());
      assert.equal((await historyCount(t, 'stop-')) - earlier, summary.ok);
      assert.match(out.text(), /done after (0\.9|1\.\d)s \(interrupted\)/);
    });
  });

  describe('with the default catalogue (minDuration 1 to 30 s)', () => {
    it('warns when asked for more than the default limits allow, runs at the reachable rate and is never refused', async () => {
      const defaults = await createTestApp('embedded', { RATE_LIMIT_MAX_REQUESTS: '10', RATE_LIMIT_WINDOW_MS: '60000', RATE_LIMIT_GLOBAL_MAX_REQUESTS: '1000' });
      try {
        const defaultsUrl = await listen(defaults);
        const out = collector();
        const summary = await runSimulation({ ...optionsFor(defaults, defaultsUrl, out.output), players: 8, ratePerSec: 10, durationMs: 2000 });
        assert.equal(summary.notes.length, 1);
        assert.match(summary.notes[0]!, /8 honest players can send at most 10 updates per 60 s each \(RATE_LIMIT_MAX_REQUESTS\).*running at 1\.33\/s instead of 10\/s\. For 10\/s use --players 60 or more\.$/);
        assert.equal(out.text().split(summary.notes[0]!).length, 2, 'said once');
        assert.ok(Math.abs(summary.targetRate - 8 / 6) < 1e-9);
        assertNeverRefused(summary, out.text());
        assert.equal(await historyCount(defaults, 'sim-'), summary.ok);
      } finally {
        await defaults.close();
      }
    });

    it('keeps minDurations and the per-user limit when they bind, also right after an earlier run', async () => {
      // 2 updates per 2 s per player and ACHIEVEMENT at most once a second: both rules bind at 20/s.
      const tight = await createTestApp('embedded', { RATE_LIMIT_MAX_REQUESTS: '2', RATE_LIMIT_WINDOW_MS: '2000', RATE_LIMIT_GLOBAL_MAX_REQUESTS: '1000' });
      try {
        const tightUrl = await listen(tight);
        let total = 0;
        // The second run starts while the server still counts the first one's requests and minDurations:
        // its players learn them from their history before they act.
        for (let run = 0; run < 2; run++) {
          const out = collector();
          const summary = await runSimulation({ ...optionsFor(tight, tightUrl, out.output), players: 4, ratePerSec: 20, durationMs: 2000 });
          assert.match(summary.notes[0] ?? '', /at most 2 updates per 2 s each/);
          assertNeverRefused(summary, out.text());
          assert.ok(summary.ok >= 4, `only ${summary.ok} updates`);
          total += summary.ok;
        }
        assert.equal(await historyCount(tight, 'sim-'), total);
      } finally {
        await tight.close();
      }
    });
  });

  describe('the simulate command', () => {
    it('runs for --duration against --url with the server\'s secrets and prints a summary', async () => {
      const result = await runCli(['--players', '3', '--rate', '2', '--duration', '2s', '--url', url, '--prefix', 'cli-'], {
        JWT_SECRET: TEST_JWT_SECRET,
        HMAC_SECRET_KEY: TEST_HMAC_KEY,
        ACTIONS_CONFIG: actions,
        RATE_LIMIT_MAX_REQUESTS: '1000',
      });
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /simulating 3 honest players at 2 updates\/s against http:\/\/127\.0\.0\.1:\d+ for 2s/);
      const done = /done after 2\.\ds \(duration reached\): sent (\d+), ok (\d+), refused 0, .*3 players, leader/.exec(result.stdout);
      assert.ok(done, result.stdout);
      assert.equal(done[1], done[2]);
      assert.ok(Number(done[2]) >= 1);
      assert.equal(await historyCount(t, 'cli-'), Number(done[2]));
    });

    it('exits 1 with a readable message when the server cannot be reached (within about 10 s of trying, allowing for a loaded machine)', async () => {
      const { port, result } = await unreachableRun;
      assert.equal(result.status, 1, result.stderr);
      assert.match(result.stderr, new RegExp(`^scoreboard: cannot reach the server at http://127\\.0\\.0\\.1:${port} for 10 s \\(ECONNREFUSED\\)`));
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
      assert.ok(result.ms < 30_000, `took ${result.ms} ms`);
    });

    it('exits 1 when the server refuses its tokens (another JWT_SECRET)', async () => {
      const result = await runCli(['--url', url, '--duration', '20s', '--rate', '20', '--prefix', 'wrong-'], {
        JWT_SECRET: 'another-jwt-secret-0123456789abcdef01234',
        HMAC_SECRET_KEY: TEST_HMAC_KEY,
        ACTIONS_CONFIG: actions,
        RATE_LIMIT_MAX_REQUESTS: '1000',
      });
      assert.equal(result.status, 1);
      assert.match(result.stderr, /refuses the simulated players' tokens \(401 UNAUTHORIZED\).*JWT_SECRET/);
    });

    it('refuses bad options with exit code 2 and a message', async () => {
      // Each case is a process start (about a second): a few representative ones.
      const cases: [string[], RegExp][] = [
        [['--players', '0'], /--players must be a whole number/],
        [['--rate', 'fast'], /--rate must be a positive number/],
        [['--url', 'ftp://example.com'], /--url must be an http:\/\/ or https:\/\/ URL/],
        [['--duration', 'soon'], /--duration must be a positive duration/],
      ];
      const results = await Promise.all(cases.map(([args]) => runCli(args, { JWT_SECRET: TEST_JWT_SECRET, HMAC_SECRET_KEY: TEST_HMAC_KEY })));
      results.forEach((result, i) => {
        const [args, message] = cases[i]!;
        assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
        assert.match(result.stderr, message);
      });
    });
  });
});
