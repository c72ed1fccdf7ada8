import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runSimulation, type SimulationSummary } from '../../src/cli/simulate/index.js';
import { actionsFile, createTestApp, MODES, TEST_HMAC_KEY, TEST_JWT_SECRET, type TestApp } from '../helpers/app.js';

const BIN = new URL('../../bin/scoreboard.js', import.meta.url).pathname;

/** Quick actions, so that a few seconds hold many turns. */
const QUICK_ACTIONS = {
  TASK_COMPLETE: { maxScore: 50, minDuration: 200 },
  ACHIEVEMENT: { maxScore: 200, minDuration: 500 },
  BOSS_DEFEATED: { maxScore: 1000, minDuration: 2000 },
};

/** The boards submitted to: a time trial (lowest first), a high score, a latest value that may be negative. */
const FED = {
  laps: { title: 'Lap times', operator: 'best', sortOrder: 'asc', minScore: 20_000, maxScore: 600_000, metadata: { format: 'duration-ms' } },
  highscore: { title: 'High score', operator: 'best', sortOrder: 'desc', minScore: 0, maxScore: 5000 },
  mood: { title: 'Mood', operator: 'latest', sortOrder: 'desc', minScore: -100, maxScore: 100 },
} as const;

interface Entry {
  rank: number;
  userId: string;
  username: string;
  score: number;
}

async function entries(t: TestApp, boardId: string): Promise<Entry[]> {
  const response = await t.app.inject({ method: 'GET', url: `/api/v1/boards/${boardId}/entries?limit=100` });
  assert.equal(response.statusCode, 200, response.body);
  return response.json().data.entries as Entry[];
}

/** Direct submissions the server recorded for a board (one history row per accepted submission). */
async function submissions(t: TestApp, boardId: string): Promise<{ userId: string; submitted: number; after: number }[]> {
  const rows = await t.backends.sql.query(`SELECT user_id, submitted_score, score_after FROM score_history WHERE board_id = $1 ORDER BY id`, [boardId]);
  return rows.map((row) => ({ userId: row.user_id as string, submitted: Number(row.submitted_score), after: Number(row.score_after) }));
}

function boardOf(summary: SimulationSummary, boardId: string) {
  const board = summary.boards?.find((candidate) => candidate.boardId === boardId);
  assert.ok(board, `${boardId} in ${JSON.stringify(summary.boards)}`);
  return board;
}

for (const { mode, skip } of MODES) {
  describe(`scoreboard simulate --boards against a live server (${mode})`, { skip }, () => {
    let t: TestApp;
    let url: string;
    let actions: string;
    before(async () => {
      actions = actionsFile(QUICK_ACTIONS);
      t = await createTestApp(mode, { ACTIONS_CONFIG: actions, RATE_LIMIT_MAX_REQUESTS: '1000' });
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
      const admin = { authorization: `Bearer ${t.token('root', { role: 'admin' })}` };
      const create = async (definition: object) => {
        const response = await t.app.inject({ method: 'POST', url: '/api/v1/admin/boards', headers: admin, payload: definition });
        assert.equal(response.statusCode, 201, response.body);
      };
      for (const [id, definition] of Object.entries(FED)) await create({ id, ...definition });
      // Fed by the updates already (skipped), and closed before the run (skipped).
      await create({ id: 'tasks', operator: 'increment', actions: ['TASK_COMPLETE'] });
      await create({ id: 'last-season', operator: 'best', endsAt: '2020-01-01T00:00:00Z' });
    });
    after(() => t.close());

    it('submits plausible scores to every best and latest board, and the report counts what the server recorded', async () => {
      // A board that closes during the run: its submissions are refused 403 BOARD_CLOSED, then it is dropped.
      // (At 30 turns/s a board gets about 2.5 submissions/s: some land after it closes.)
      const closesAt = new Date(Date.now() + 2500).toISOString();
      const admin = { authorization: `Bearer ${t.token('root', { role: 'admin' })}` };
      const created = await t.app.inject({ method: 'POST', url: '/api/v1/admin/boards', headers: admin, payload: { id: 'sprint', operator: 'latest', maxScore: 1000, endsAt: closesAt } });
      assert.equal(created.statusCode, 201, created.body);

      const chunks: string[] = [];
      const summary = await runSimulation({
        url,
        players: 8,
        ratePerSec: 30,
        durationMs: 6000,
        boards: true,
        jwtSecret: TEST_JWT_SECRET,
        hmacSecretKey: TEST_HMAC_KEY,
        actions: t.config.actions,
        rateLimit: t.config.rateLimit,
        output: { write: (chunk: string) => chunks.push(chunk) > 0, isTTY: false },
      });
      const text = chunks.join('');
      assert.equal(summary.stopReason, 'duration', text);
      assert.deepEqual(summary.boards?.map((board) => board.boardId).sort(), ['highscore', 'laps', 'mood', 'sprint'], 'increment and closed boards are skipped');

      for (const [boardId, definition] of Object.entries(FED)) {
        const board = boardOf(summary, boardId);
        assert.equal(`${board.operator} ${board.sortOrder}`, `${definition.operator} ${definition.sortOrder}`);
        assert.ok(board.sent >= 2, `${boardId}: only ${board.sent} submissions`);
        assert.deepEqual([board.ok, board.refused, board.failed, board.byCode], [board.sent, 0, 0, {}], `${boardId}: ${JSON.stringify(board)}`);
        // What the server recorded: as many submissions as the report says were accepted, all in range.
        const recorded = await submissions(t, boardId);
        assert.equal(recorded.length, board.ok, boardId);
        for (const row of recorded) {
          assert.match(row.userId, /^sim-[1-8]$/);
          assert.ok(Number.isInteger(row.submitted) && row.submitted >= definition.minScore && row.submitted <= definition.maxScore, `${boardId}: ${row.submitted}`);
        }
        // The board's entries: the simulated players, within range, one each, as the operator keeps them.
        const onBoard = await entries(t, boardId);
        assert.deepEqual(onBoard.map((entry) => entry.userId).sort(), [...new Set(recorded.map((row) => row.userId))].sort());
        for (const entry of onBoard) {
          assert.match(entry.username, /^[A-Z][a-z]+ [1-8]$/);
          assert.ok(entry.score >= definition.minScore && entry.score <= definition.maxScore, `${boardId}: ${entry.score}`);
          const own = recorded.filter((row) => row.userId === entry.userId).map((row) => row.submitted);
          const expected = definition.operator === 'latest' ? own.at(-1) : definition.sortOrder === 'asc' ? Math.min(...own) : Math.max(...own);
          assert.equal(entry.score, expected, `${boardId} ${entry.userId}: ${own.join(' ')}`);
        }
      }

      // The closing board: accepted before it closed, refused with its code after, then left alone.
      const sprint = boardOf(summary, 'sprint');
      assert.ok(sprint.refused >= 1, JSON.stringify(sprint));
      assert.deepEqual(sprint.byCode, { BOARD_CLOSED: sprint.refused });
      assert.equal((await submissions(t, 'sprint')).length, sprint.ok);
      assert.match(text, /^note: board sprint refused a submission with 403\/BOARD_CLOSED: no more submissions to it$/m);

      // In all: the submissions are counted with the updates, and the only refusals are the closed board's.
      const updates = await t.backends.sql.query(`SELECT count(*)::bigint AS n FROM score_history WHERE board_id IS NULL AND user_id LIKE 'sim-%'`);
      const fed = summary.boards!.reduce((sum, board) => sum + board.ok, 0);
      assert.equal(summary.ok, Number(updates[0]?.n) + fed);
      assert.equal(summary.refused, sprint.refused);
      assert.equal(summary.failed, 0);
      assert.ok((await entries(t, 'tasks')).length > 0, 'the increment board is fed by the updates');
      assert.equal((await submissions(t, 'tasks')).length, 0);

      // What the command prints: the boards fed, and a line per board with its counts.
      assert.match(text, /^a third of the honest players' turns are submissions to 4 boards: .*laps \(best asc, 20000\.\.600000\)/m);
      assert.match(text, /^by board \(direct submissions, POST \/api\/v1\/boards\/:boardId\/scores\):$/m);
      for (const board of summary.boards!) {
        const refusals = board.refused > 0 ? ` \\(403\\/BOARD_CLOSED:${board.refused}\\)` : '';
        assert.match(text, new RegExp(`^  ${board.boardId} +${board.operator} ${board.sortOrder} +sent ${board.sent} +ok ${board.ok} +refused ${board.refused}${refusals}$`, 'm'));
      }
    });

    // The command's wiring once: the run itself is the same in both modes.
    it('the command takes --boards and prints the boards report', { skip: mode !== 'embedded' && 'run in embedded mode' }, async () => {
      const child = spawn(process.execPath, [BIN, 'simulate', '--players', '6', '--rate', '20', '--duration', '2s', '--url', url, '--prefix', 'cli-', '--boards'], {
        env: { ...process.env, LOG_LEVEL: 'silent', DATA_DIR: 'memory://', JWT_SECRET: TEST_JWT_SECRET, HMAC_SECRET_KEY: TEST_HMAC_KEY, ACTIONS_CONFIG: actions, RATE_LIMIT_MAX_REQUESTS: '1000' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const status = await new Promise<number | null>((resolve) => child.once('close', resolve));
      assert.equal(status, 0, stderr);
      assert.match(stdout, /^done after 2\.\ds \(duration reached\): sent (\d+), ok \1, refused 0, /m);
      const lines = [...stdout.matchAll(/^ {2}(\S+) +(best|latest) (asc|desc) +sent (\d+) +ok (\d+) +refused 0$/gm)];
      assert.deepEqual(lines.map((line) => line[1]).sort(), ['highscore', 'laps', 'mood'], stdout);
      let fed = 0;
      for (const line of lines) {
        const recorded = (await submissions(t, line[1]!)).filter((row) => row.userId.startsWith('cli-'));
        assert.equal(recorded.length, Number(line[5]), `${line[1]}: ${stdout}`);
        fed += recorded.length;
      }
      assert.ok(fed >= 1, stdout);
    });
  });
}
