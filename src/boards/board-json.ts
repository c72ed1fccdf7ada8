import type { RankedEntry } from './rank-entry.js';
import type { Period } from './board-periods.js';
import type { Board } from './board.js';

export interface PeriodJson {
  id: string;
  startsAt: string | null;
  endsAt: string | null;
}

/** A period as answers and events carry it. */
export function periodJson(period: Period): PeriodJson {
  return { id: period.id, startsAt: period.startsAt?.toISOString() ?? null, endsAt: period.endsAt?.toISOString() ?? null };
}

/** A Board in an answer: the definition with every default, its current period and entry count. */
export function boardJson(board: Board, period: Period, totalEntries: number) {
  return {
    id: board.id,
    title: board.title,
    sortOrder: board.sortOrder,
    operator: board.operator,
    reset: board.reset,
    timezone: board.timezone,
    actions: board.actions === 'all' ? ('all' as const) : [...board.actions],
    minScore: board.minScore,
    maxScore: board.maxScore,
    startsAt: board.startsAt?.toISOString() ?? null,
    endsAt: board.endsAt?.toISOString() ?? null,
    keepPeriods: board.keepPeriods,
    metadata: board.metadata,
    createdAt: board.createdAt.toISOString(),
    period: periodJson(period),
    totalEntries,
  };
}

/** An entry in an answer. */
export function entryJson(entry: RankedEntry) {
  return { rank: entry.rank, userId: entry.userId, username: entry.username, score: entry.score, lastUpdated: new Date(entry.lastUpdatedMs).toISOString() };
}
