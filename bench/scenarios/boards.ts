import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startProduction, type BenchContext, type ScenarioRow } from '../lib/context.js';
import { withDatabase } from '../lib/infra.js';
import { BENCH_ACTION, presignTokens, submissionBody, updateBody } from '../lib/players.js';
import type { ServerProcess } from '../lib/server.js';
import { DURABILITY_SQL, checkDurability, driveUpdates, updateRow, uuidArray, type SignedWrites, type UpdateRun } from './updates.js';

/** The boards an action update feeds besides `global`: one of each named reset. */
export const FED_BOARDS = ['bench-daily', 'bench-weekly', 'bench-monthly'] as const;
/** A board that takes direct submissions and keeps each player's best. */
export const BEST_BOARD = 'bench-best';
const SCORE_MAX = 1_000_000_000;

/** BOARDS_CONFIG of the scenario, written to the run's temporary directory. */
function boardsFile(ctx: BenchContext): string {
  const resets = ['daily', 'weekly', 'monthly'];
  const definitions = [
    ...FED_BOARDS.map((id, i) => ({ id, reset: resets[i], actions: [BENCH_ACTION] })),
    { id: BEST_BOARD, operator: 'best', sortOrder: 'desc', minScore: 0, maxScore: SCORE_MAX },
  ];
  const file = join(ctx.tmpDir, 'boards.json');
  writeFileSync(file, JSON.stringify(definitions));
  return file;
}

/** Direct submissions to the `best` board, a random score each. */
const SUBMISSIONS: SignedWrites = {
  path: `/api/v1/boards/${BEST_BOARD}/scores`,
  prefix: 'x',
  body: (secrets) => submissionBody(secrets, BEST_BOARD, Math.floor(Math.random() * SCORE_MAX)),
};

/** Score updates of fresh players (not the updates scenario's, whose user rows exist by now). */
const FED_UPDATES: SignedWrites = {
  path: '/api/v1/scores/update',
  prefix: 'v',
  body: (secrets) => updateBody(secrets, 1 + Math.floor(Math.random() * 100)),
};

/** One update sent before the load: its answer must name the three fed boards. */
async function checkFedAnswer(ctx: BenchContext, server: ServerProcess): Promise<string> {
  const [token] = presignTokens(ctx.secrets, ['bench-fed-check']);
  const { body, actionId } = updateBody(ctx.secrets, 1);
  const response = await fetch(`${server.url}/api/v1/scores/update`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body,
  });
  const answer = (await response.json()) as { data?: { boards?: Array<{ boardId: string }> } };
  const fed = (answer.data?.boards ?? []).map((board) => board.boardId).sort();
  if (response.status !== 200 || fed.join() !== [...FED_BOARDS].sort().join()) {
    throw new Error(`boards: an update was answered ${response.status} feeding [${fed.join(', ')}], expected ${FED_BOARDS.join(', ')}: ${JSON.stringify(answer).slice(0, 500)}`);
  }
  return actionId;
}

/**
 * Every 200 has its history row, and each fed board holds, summed over its periods, exactly the
 * increments the history holds (the update's one statement wrote all four, or none).
 */
async function checkWrites(ctx: BenchContext, name: string, run: UpdateRun, fedBoards: readonly string[], noun: string): Promise<string> {
  const { durability, sums } = await withDatabase(ctx.dbName, async (client) => {
    const row = (await client.query(DURABILITY_SQL, [uuidArray(run.okActionIds)])).rows[0];
    const history = Number((await client.query('SELECT COALESCE(sum(score_increment), 0)::bigint AS n FROM score_history WHERE board_id IS NULL')).rows[0].n);
    const boards = (await client.query('SELECT board_id, sum(score)::bigint AS n FROM board_entries WHERE board_id = ANY($1) GROUP BY board_id', [fedBoards])).rows;
    return { durability: { rows: Number(row.rows), found: Number(row.found) }, sums: { history, boards: new Map(boards.map((b) => [String(b.board_id), Number(b.n)])) } };
  });
  const note = checkDurability(name, run, durability, noun);
  const wrong = fedBoards.filter((id) => sums.boards.get(id) !== sums.history);
  if (wrong.length > 0) {
    throw new Error(`${name}: the history holds ${sums.history} points of increments but ${wrong.map((id) => `${id} ${sums.boards.get(id) ?? 0}`).join(', ')}`);
  }
  return fedBoards.length === 0 ? note : `${note}; each of ${fedBoards.join(', ')} holds the ${sums.history.toLocaleString('en-US')} points the history holds`;
}

/** Drives one measurement on a fresh server with the scenario's boards, then checks what it stored. */
async function measure(ctx: BenchContext, name: string, writes: SignedWrites & { noun: string }, fedBoards: readonly string[], file: string): Promise<UpdateRun & { note: string }> {
  await withDatabase(ctx.dbName, (client) => client.query('TRUNCATE score_history'));
  const server = await startProduction(ctx, { BOARDS_CONFIG: file });
  let run: UpdateRun;
  try {
    ctx.log(`server pid ${server.pid} ready in ${server.startMs.toFixed(0)} ms`);
    const checked = fedBoards.length > 0 ? await checkFedAnswer(ctx, server) : null;
    run = await driveUpdates(ctx, server, name, true, writes);
    if (checked) run.okActionIds.push(checked);
  } finally {
    await server.stop();
  }
  return { ...run, note: await checkWrites(ctx, name, run, fedBoards, writes.noun) };
}

function vsUpdates(ctx: BenchContext, row: ScenarioRow, target: number): ScenarioRow {
  const ratio = ctx.updatesRate ? row.throughput / ctx.updatesRate : null;
  row.details = { ...row.details, vsUpdates: ratio, target };
  if (ratio !== null) {
    row.notes.unshift(`${ratio.toFixed(2)}x the updates scenario's rate in this run (${Math.round(ctx.updatesRate!).toLocaleString('en-US')}/s; target ${target})`);
  }
  return row;
}

/**
 * (a) Score updates that feed `global` and a daily, a weekly and a monthly board in the same
 * statement; (b) signed direct submissions to a `best` board. Each as the updates scenario does
 * it, shown as a ratio to its rate in the same run.
 */
export async function boards(ctx: BenchContext) {
  const file = boardsFile(ctx);
  const fed = await measure(ctx, 'boards-fed', { ...FED_UPDATES, noun: 'updates', what: `POST /api/v1/scores/update feeding global + ${FED_BOARDS.join(', ')}` }, FED_BOARDS, file);
  const fedRow = updateRow(ctx, 'boards', 'boards: POST /scores/update feeding 3 boards', fed, fed.note);
  fedRow.id = 'boards-fed';
  const submitted = await measure(ctx, 'boards-submit', { ...SUBMISSIONS, noun: 'submissions', what: `POST ${SUBMISSIONS.path} (best, desc)` }, [], file);
  const submitRow = updateRow(ctx, 'boards', `boards: POST /boards/:id/scores (best)`, submitted, submitted.note, 'submissions');
  submitRow.id = 'boards-submit';
  return {
    rows: [vsUpdates(ctx, fedRow, 0.7), vsUpdates(ctx, submitRow, 0.8)],
    details: { fedBoards: FED_BOARDS, bestBoard: BEST_BOARD, updatesRate: ctx.updatesRate },
  };
}
