import type { Board, BoardDefinition, BoardRef, SortOrder } from './board.js';

/** One player's entry on a board in one period (the score as stored, not as ordered). */
export interface BoardEntry {
  userId: string;
  username: string | null;
  score: number;
  /** When the entry reached its score, epoch ms: the tie-break. */
  lastUpdatedMs: number;
  /** Grows with every change of the entry. */
  version: number;
}

export interface RankedBoardEntry extends BoardEntry {
  rank: number;
}

/** A place in board order (what a cursor carries): entries after it come next. */
export interface EntryPosition {
  /** The score for `asc`, minus it for `desc`: board order is ascending by it. */
  orderScore: number;
  lastUpdatedMs: number;
  userId: string;
}

/** A direct submission, as the statement applies it (checked already). */
export interface BoardSubmission {
  userId: string;
  /** Set when the user row is created (or their claims refreshed) by the same statement. */
  user: { id: string; username: string | null; email: string | null } | null;
  boardId: string;
  periodId: string;
  sortOrder: SortOrder;
  operator: 'increment' | 'best' | 'latest';
  score: number;
  actionId: string;
  ipAddress: string | null;
  userAgent: string | null;
  /** The game-server key that sent it, for the history row; null for a signed client submission. */
  apiKeyId?: string | null;
}

export type SubmissionOutcome =
  | { kind: 'applied'; score: number; previousScore: number | null; improved: boolean; lastUpdatedMs: number; version: number; username: string | null }
  | { kind: 'duplicate'; original: { userId: string; newScore: number; appliedAtMs: number } | null }
  | { kind: 'frozen' }
  | { kind: 'score-overflow' }
  | { kind: 'unknown-user' }
  | { kind: 'invalid'; field: string };

/**
 * What boards need from SQL (`db/board-store.ts` implements it over PGlite and PostgreSQL). Reads
 * leave hidden players out (frozen with `hide`): they hold no rank, no place, no count.
 */
export interface BoardRepository {
  listBoards(): Promise<Board[]>;
  /** Grows with every change of the boards table (any instance's). */
  catalogueVersion(): Promise<number>;
  /** Creates the board; false when its id is taken. */
  createBoard(definition: BoardDefinition): Promise<boolean>;
  /** Replaces a board's changeable fields; false when it does not exist. */
  updateBoard(definition: BoardDefinition): Promise<boolean>;
  /** Deletes the board with its entries; false when it does not exist. */
  deleteBoard(boardId: string): Promise<boolean>;

  /** `limit` entries after `after` (from the first when null), in board order. */
  page(ref: BoardRef, sortOrder: SortOrder, after: EntryPosition | null, limit: number): Promise<BoardEntry[]>;
  /** `limit` entries from the 0-based place `offset` (the offset-paged routes of `global`). */
  pageAt(ref: BoardRef, offset: number, limit: number): Promise<BoardEntry[]>;
  /** `limit` entries before `before`, nearest first (board order reversed). */
  pageBefore(ref: BoardRef, sortOrder: SortOrder, before: EntryPosition, limit: number): Promise<BoardEntry[]>;
  /** Entries placed before `position` (its rank minus one). */
  countBefore(ref: BoardRef, position: EntryPosition): Promise<number>;
  count(ref: BoardRef): Promise<number>;
  /** The entries of these players that have one, in no particular order. */
  entriesOf(ref: BoardRef, userIds: readonly string[]): Promise<BoardEntry[]>;
  /** Period ids holding entries, newest first, below `beforeId` when given. */
  periodIds(boardId: string, beforeId: string | null, limit: number): Promise<string[]>;
  /** Every entry of a period in batches (keyset by user id): the rank index rebuild's source. */
  streamEntries(ref: BoardRef, batchSize?: number): AsyncIterable<BoardEntry[]>;

  /** Applies direct submissions of distinct (player, board) pairs in one statement, each with its history row. */
  applySubmissions(submissions: readonly BoardSubmission[]): Promise<Array<{ ok: true; value: SubmissionOutcome } | { ok: false; error: unknown }>>;
  /** Removes one entry (on `global` the player's score goes back to 0 with it); false when there was none. */
  removeEntry(ref: BoardRef, userId: string): Promise<boolean>;
  /** Deletes up to `limit` entries of the board's periods older than `keepFromPeriodId`; returns how many. */
  pruneBefore(boardId: string, keepFromPeriodId: string, limit: number): Promise<number>;
  /** Every entry of a player on every board, for the export. */
  entriesOfUser(userId: string): Promise<Array<BoardEntry & BoardRef>>;
}

/** A board period an update adds its increment to. */
export interface FedBoard {
  boardId: string;
  periodId: string;
  sortOrder: 'desc' | 'asc';
}

/** A board entry as the update's statement left it. */
export interface WrittenEntry {
  boardId: string;
  periodId: string;
  score: number;
  lastUpdatedMs: number;
  version: number;
}
