/**
 * `--boards`: which boards the simulated players submit to, and the scores they submit (pure: the
 * random source is given). A `best` board gets attempts near the player's best that beat it now and
 * then (a time trial `asc` gets times that improve, a `desc` board scores that rise); a `latest`
 * board any value of its range.
 */

/** A board the players submit to, as GET /api/v1/boards describes it. */
export interface SimulatedBoard {
  id: string;
  operator: 'best' | 'latest';
  sortOrder: 'asc' | 'desc';
  minScore: number;
  maxScore: number;
  /** The current period's id, to recognise a player's entry in its history. */
  periodId: string;
}

/** A board of the list that is not fed, and why. */
export interface SkippedBoard {
  id: string;
  why: string;
}

/** The Board fields of GET /api/v1/boards this module reads. */
interface BoardJson {
  id?: unknown;
  operator?: unknown;
  sortOrder?: unknown;
  actions?: unknown;
  minScore?: unknown;
  maxScore?: unknown;
  startsAt?: unknown;
  endsAt?: unknown;
  period?: { id?: unknown };
}

/** Scores beyond this far from `minScore` are not plausible for a player (a board's default range is ±2^53). */
export const PLAUSIBLE_SPAN = 1_000_000;
/** The share of attempts on a `best` board that beat the player's best. */
export const IMPROVE_SHARE = 0.25;
/** A better attempt gains up to this share of what is left between the best and the range's end (harder near the top). */
const IMPROVE_MAX = 0.05;
/** A worse attempt loses up to this share of the span. */
const WORSE_MAX = 0.03;

/**
 * The boards of GET /api/v1/boards that take direct submissions from the players now: `best` and
 * `latest` boards without actions, open at `nowMs`. `increment` boards are fed by the action updates
 * already; `global` is one of those.
 */
export function boardsToFeed(list: readonly unknown[], nowMs: number): { boards: SimulatedBoard[]; skipped: SkippedBoard[] } {
  const boards: SimulatedBoard[] = [];
  const skipped: SkippedBoard[] = [];
  for (const raw of list) {
    const board = raw as BoardJson;
    if (typeof board.id !== 'string') continue;
    const why = skipReason(board, nowMs);
    if (why !== undefined) {
      skipped.push({ id: board.id, why });
      continue;
    }
    boards.push({
      id: board.id,
      operator: board.operator as SimulatedBoard['operator'],
      sortOrder: board.sortOrder === 'asc' ? 'asc' : 'desc',
      minScore: board.minScore as number,
      maxScore: board.maxScore as number,
      periodId: typeof board.period?.id === 'string' ? board.period.id : '',
    });
  }
  return { boards, skipped };
}

function skipReason(board: BoardJson, nowMs: number): string | undefined {
  if (board.operator !== 'best' && board.operator !== 'latest') return `${String(board.operator)}: fed by the action updates`;
  if (!Array.isArray(board.actions) || board.actions.length > 0) return 'fed by action updates';
  if (!Number.isSafeInteger(board.minScore) || !Number.isSafeInteger(board.maxScore)) return 'no score range';
  const startsAt = typeof board.startsAt === 'string' ? Date.parse(board.startsAt) : NaN;
  const endsAt = typeof board.endsAt === 'string' ? Date.parse(board.endsAt) : NaN;
  if (startsAt > nowMs) return 'not open yet';
  if (endsAt <= nowMs) return 'closed';
  return undefined;
}

/** The scores a player plausibly submits: the board's range, at most {@link PLAUSIBLE_SPAN} wide from `minScore`. */
export function plausibleRange(board: Pick<SimulatedBoard, 'minScore' | 'maxScore'>): { low: number; high: number } {
  return { low: board.minScore, high: Math.min(board.maxScore, board.minScore + PLAUSIBLE_SPAN) };
}

/**
 * The score a player submits now, given its entry on the board (undefined before its first one).
 * `latest`: uniform over the plausible range. `best`: a first attempt in the weaker part of the range,
 * then attempts near the entry: a quarter of them better (by up to 5 % of the way left to the range's
 * end), the rest worse by up to 3 % of the span. Always an integer within [minScore, maxScore].
 */
export function boardScore(board: SimulatedBoard, entry: number | undefined, random: () => number): number {
  const { low, high } = plausibleRange(board);
  const span = high - low;
  if (board.operator === 'latest') return clamp(Math.round(low + random() * span), board);
  // Quality 0 is the worst end of the range, 1 the best (the lowest time of an `asc` board).
  const toScore = (quality: number) => (board.sortOrder === 'asc' ? high - quality * span : low + quality * span);
  const best = entry === undefined || span === 0 ? undefined : Math.min(1, Math.max(0, board.sortOrder === 'asc' ? (high - entry) / span : (entry - low) / span));
  return clamp(Math.round(toScore(best === undefined ? 0.1 + 0.5 * random() : nextQuality(best, random()))), board);
}

/** An attempt's quality (0 worst .. 1 best) for a player whose best is `best`, from a uniform `u`. */
function nextQuality(best: number, u: number): number {
  if (u < IMPROVE_SHARE) return best + (1 - best) * IMPROVE_MAX * (u / IMPROVE_SHARE);
  return Math.max(0, best - WORSE_MAX * ((u - IMPROVE_SHARE) / (1 - IMPROVE_SHARE)));
}

function clamp(score: number, board: Pick<SimulatedBoard, 'minScore' | 'maxScore'>): number {
  return Math.min(board.maxScore, Math.max(board.minScore, score));
}

/** The share of an honest player's turns that go to a board when there are boards to feed. */
export const BOARD_TURN_SHARE = 1 / 3;
