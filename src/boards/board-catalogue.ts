import { EventEmitter } from 'node:events';
import type { FastifyBaseLogger } from 'fastify';
import { AppError, forbidden } from '../errors.js';
import { ALL_TIME, type Period } from './board-periods.js';
import type { BoardRepository } from './board-repository.js';
import { fixedFieldChanges, sameDefinition } from './board-file.js';
import {
  GLOBAL_BOARD_ID,
  globalBoard,
  parseBoardDefinition,
  patchBoardDefinition,
  scheduleOf,
  type ActionNames,
  type Board,
  type BoardDefinition,
  type FieldProblem,
} from './board.js';
import type { PeriodSchedule } from './board-periods.js';

export interface BoardCatalogueOptions {
  repository: Pick<BoardRepository, 'listBoards' | 'catalogueVersion' | 'createBoard' | 'updateBoard' | 'deleteBoard'>;
  actions: ActionNames;
  log: FastifyBaseLogger;
  /** How often the catalogue's version is read, to learn of other instances' changes. @default 1000 */
  pollMs?: number;
}

export interface BoardCatalogueEvents {
  /** The set of boards or a definition changed (this instance's change or another's). */
  changed: [{ added: Board[]; removed: string[]; updated: Board[] }];
}

/** What applying a definitions file did, board by board. */
export interface AppliedDefinitions {
  created: string[];
  updated: string[];
  unchanged: string[];
}

/** A definition that would change a field that decides what stored entries mean. */
export class FixedFieldError extends Error {
  constructor(
    readonly boardId: string,
    readonly fields: string[],
  ) {
    super(`board "${boardId}": ${fields.join(', ')} cannot change once the board exists (delete it and create it again to start over)`);
    this.name = 'FixedFieldError';
  }
}

function invalidDefinition(problems: FieldProblem[]): AppError {
  const message = problems.map((problem) => `${problem.field} ${problem.message}`).join('; ');
  return new AppError('INVALID_REQUEST', `Invalid board definition: ${message}`, { details: { part: 'body', fields: problems } });
}

export function boardNotFound(boardId: string): AppError {
  return new AppError('BOARD_NOT_FOUND', `There is no board "${boardId.slice(0, 64)}"`);
}

/**
 * Every board this instance knows, kept as the database holds them: loaded at start, then re-read
 * whenever the catalogue's version moves (any instance's change is seen within `pollMs`). Answers
 * the current period of a board from its schedule, with no job needed for a period to begin.
 */
export class BoardCatalogue extends EventEmitter<BoardCatalogueEvents> {
  private boards = new Map<string, Board>([[GLOBAL_BOARD_ID, globalBoard()]]);
  private readonly schedules = new Map<string, PeriodSchedule | null>();
  private version = -1;
  private timer: NodeJS.Timeout | null = null;
  private reloading: Promise<void> | null = null;

  constructor(private readonly options: BoardCatalogueOptions) {
    super();
  }

  async start(): Promise<void> {
    await this.reload();
    this.timer = setInterval(() => void this.poll(), this.options.pollMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  get(boardId: string): Board | undefined {
    return this.boards.get(boardId);
  }

  /** The board, or 404 BOARD_NOT_FOUND. */
  require(boardId: string): Board {
    const board = this.boards.get(boardId);
    if (!board) throw boardNotFound(boardId);
    return board;
  }

  list(): Board[] {
    return [...this.boards.values()].sort((a, b) => (a.id === GLOBAL_BOARD_ID ? -1 : b.id === GLOBAL_BOARD_ID ? 1 : a.id.localeCompare(b.id)));
  }

  /** The board's period holding the instant `atMs` (`all` for a board that never resets). */
  periodAt(board: Board, atMs: number): Period {
    return this.scheduleOf(board)?.periodAt(atMs) ?? ALL_TIME;
  }

  /** The board's schedule, or null when it never resets. */
  scheduleOf(board: Board): PeriodSchedule | null {
    let schedule = this.schedules.get(board.id);
    if (schedule === undefined) {
      schedule = scheduleOf(board);
      this.schedules.set(board.id, schedule);
    }
    return schedule;
  }

  async create(raw: unknown): Promise<Board> {
    const parsed = parseBoardDefinition(raw, this.options.actions);
    if (!parsed.ok) throw invalidDefinition(parsed.problems);
    if (parsed.definition.id === GLOBAL_BOARD_ID || !(await this.options.repository.createBoard(parsed.definition))) {
      throw new AppError('BOARD_EXISTS', `A board "${parsed.definition.id}" exists already`);
    }
    await this.reload();
    return this.require(parsed.definition.id);
  }

  async update(boardId: string, raw: unknown): Promise<Board> {
    const current = this.require(boardId);
    if (boardId === GLOBAL_BOARD_ID) throw forbidden('NOT_ALLOWED', 'The global board cannot be changed');
    const patched = patchBoardDefinition(current, raw, this.options.actions);
    if (!patched.ok) throw invalidDefinition(patched.problems);
    if (!(await this.options.repository.updateBoard(patched.definition))) throw boardNotFound(boardId);
    await this.reload();
    return this.require(boardId);
  }

  async delete(boardId: string): Promise<void> {
    this.require(boardId);
    if (boardId === GLOBAL_BOARD_ID) throw forbidden('NOT_ALLOWED', 'The global board cannot be deleted');
    if (!(await this.options.repository.deleteBoard(boardId))) throw boardNotFound(boardId);
    await this.reload();
  }

  /**
   * Creates or updates each definition (never deletes a board). Every definition is checked against
   * the stored boards before anything is written, so a file that would change a fixed field of a
   * board changes nothing at all.
   * @throws FixedFieldError naming the first such board.
   */
  async apply(definitions: readonly BoardDefinition[]): Promise<AppliedDefinitions> {
    await this.reload();
    for (const wanted of definitions) {
      const stored = this.boards.get(wanted.id);
      const fixed = stored ? fixedFieldChanges(stored, wanted) : [];
      if (fixed.length > 0) throw new FixedFieldError(wanted.id, fixed);
    }
    const applied: AppliedDefinitions = { created: [], updated: [], unchanged: [] };
    for (const wanted of definitions) {
      const stored = this.boards.get(wanted.id);
      if (stored && sameDefinition(stored, wanted)) applied.unchanged.push(wanted.id);
      else if (stored) {
        await this.options.repository.updateBoard(wanted);
        applied.updated.push(wanted.id);
      } else if (await this.options.repository.createBoard(wanted)) applied.created.push(wanted.id);
      else applied.updated.push(wanted.id);
    }
    await this.reload();
    return applied;
  }

  /** Re-reads the boards when another instance (or this one) changed them. */
  private async poll(): Promise<void> {
    try {
      const version = await this.options.repository.catalogueVersion();
      if (version !== this.version) await this.reload();
    } catch (error) {
      this.options.log.warn({ err: error }, 'reading the board catalogue failed; keeping the boards known');
    }
  }

  /** Reads every board; concurrent callers share one read started after their call. */
  async reload(): Promise<void> {
    const previous = this.reloading ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.read());
    this.reloading = next.finally(() => {
      if (this.reloading === next) this.reloading = null;
    });
    return next;
  }

  private async read(): Promise<void> {
    const version = await this.options.repository.catalogueVersion();
    const boards = await this.options.repository.listBoards();
    const next = new Map(boards.map((board) => [board.id, board]));
    if (!next.has(GLOBAL_BOARD_ID)) next.set(GLOBAL_BOARD_ID, globalBoard());
    const added: Board[] = [];
    const updated: Board[] = [];
    for (const board of next.values()) {
      const before = this.boards.get(board.id);
      if (!before || before.createdAt.getTime() !== board.createdAt.getTime()) added.push(board);
      else if (!sameDefinition(before, board)) updated.push(board);
    }
    const removed = [...this.boards.keys()].filter((id) => !next.has(id) || added.some((board) => board.id === id && this.boards.has(id)));
    this.boards = next;
    this.version = version;
    for (const id of [...removed, ...updated.map((board) => board.id), ...added.map((board) => board.id)]) this.schedules.delete(id);
    if (added.length + removed.length + updated.length > 0) this.emit('changed', { added, removed, updated });
  }
}
