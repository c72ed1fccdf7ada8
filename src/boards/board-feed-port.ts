import type { FedBoard, WrittenEntry } from './board-repository.js';
import type { PeriodJson } from './board-json.js';

/** A player's entry on one board an update fed (its period as the period object). */
export interface FedBoardResult {
  boardId: string;
  period: PeriodJson;
  score: number;
  rank: number;
  /** Null for a first entry in the period, or when unknown. */
  previousRank: number | null;
}

/** A board entry an update wrote, with whose it is. */
export interface WrittenBoardEntry extends WrittenEntry {
  userId: string;
  username: string | null;
}

/**
 * The boards an update feeds besides `global` (the boards domain answers): which ones an action
 * type applied now goes to, and each written entry's rank once committed.
 */
export interface BoardFeed {
  route(actionType: string, atMs: number): FedBoard[];
  /** Ranks every written entry on its board, in order (one rank-index call per board period). */
  record(entries: readonly WrittenBoardEntry[]): Promise<FedBoardResult[]>;
}
