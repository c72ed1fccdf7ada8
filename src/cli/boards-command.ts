import { readFileSync } from 'node:fs';
import type { FastifyBaseLogger } from 'fastify';
import { createBackends, type Backends } from '../backends.js';
import { BoardCatalogue, FixedFieldError } from '../boards/board-catalogue.js';
import { parseBoardsFile } from '../boards/board-file.js';
import { BoardRankings } from '../boards/board-rankings.js';
import { ConfigError, loadConfig, StartupError } from '../config.js';
import { LeaderboardService } from '../boards/leaderboard-service.js';
import { createLogger } from '../logger.js';
import { actionNamesOf } from '../scores/action-catalogue.js';

/** The catalogue and rankings over the configured database, as a server builds them. */
async function openBoards(): Promise<{ backends: Backends; catalogue: BoardCatalogue; rankings: BoardRankings; log: FastifyBaseLogger }> {
  const config = loadConfig(process.env, { requireSecrets: false });
  const log = createLogger(config);
  const backends = await createBackends(config, log);
  const catalogue = new BoardCatalogue({ repository: backends.stores.boards, actions: actionNamesOf(config.actions), log });
  await catalogue.reload();
  const global = new LeaderboardService({ rankIndex: backends.rankIndex, entries: backends.stores.boards, log });
  const rankings = new BoardRankings({ catalogue, rankIndex: backends.rankIndex, entries: backends.stores.boards, global, log });
  return { backends, catalogue, rankings, log };
}

/** `scoreboard boards list`: every board, its current period and entries. */
async function listBoards(): Promise<void> {
  const { backends, catalogue, rankings } = await openBoards();
  try {
    const rows = [['id', 'order', 'operator', 'reset', 'timezone', 'fed by', 'period', 'entries']];
    for (const board of catalogue.list()) {
      const { period } = rankings.current(board);
      const entries = await backends.stores.boards.count({ boardId: board.id, periodId: period.id });
      const fedBy = board.actions === 'all' ? 'every action' : board.actions.length > 0 ? board.actions.join(',') : 'submissions';
      rows.push([board.id, board.sortOrder, board.operator, board.reset ?? 'never', board.timezone, fedBy, period.id, String(entries)]);
    }
    const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
    process.stdout.write(rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n') + '\n');
  } finally {
    await backends.close();
  }
}

/** `scoreboard boards apply FILE`: the definitions created or updated (never deleted), as at start. */
async function applyBoards(file: string | undefined): Promise<void> {
  if (!file) throw new ConfigError(['boards apply needs the FILE of board definitions (a JSON array, as BOARDS_CONFIG)']);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError([`${file}: cannot read JSON: ${(error as Error).message}`]);
  }
  const config = loadConfig(process.env, { requireSecrets: false });
  const parsed = parseBoardsFile(raw, actionNamesOf(config.actions));
  if (!parsed.ok) throw new ConfigError(parsed.problems.map((problem) => `${file}: ${problem}`));
  const { backends, catalogue } = await openBoards();
  try {
    const applied = await catalogue.apply(parsed.definitions);
    const line = (label: string, ids: string[]) => `${label}: ${ids.length > 0 ? ids.join(', ') : '-'}\n`;
    process.stdout.write(line('created', applied.created) + line('updated', applied.updated) + line('unchanged', applied.unchanged));
  } catch (error) {
    if (error instanceof FixedFieldError) throw new StartupError(`${file}: ${error.message}; nothing was applied`, 2, { cause: error });
    throw error;
  } finally {
    await backends.close();
  }
}

export async function boardsCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === 'list') return listBoards();
  if (sub === 'apply') return applyBoards(rest[0]);
  throw new ConfigError([`boards needs "list" or "apply FILE" (got ${sub === undefined ? 'nothing' : `"${sub.slice(0, 40)}"`})`]);
}

/** `scoreboard rebuild-cache`: every board's current period rebuilt from the database. */
export async function rebuildCache(): Promise<void> {
  const { backends, rankings } = await openBoards();
  try {
    const count = await rankings.rebuildAll('rebuild-cache');
    process.stdout.write(`rank index rebuilt with ${count} entries over ${rankings.all().length} boards\n`);
    if (!backends.redis) process.stdout.write('(no REDIS_URL: the in-process index is rebuilt by every server at start anyway)\n');
  } finally {
    await backends.close();
  }
}
