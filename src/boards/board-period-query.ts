import { AppError } from '../errors.js';
import { ALL_TIME, PERIOD_ID_PATTERN, type Period, type PeriodSchedule } from './board-periods.js';
import type { Board } from './board.js';

/** Walking a schedule is a cron step each: how far a kept-period check walks before trusting the data. */
const MAX_KEEP_WALK = 1000;

export function periodNotFound(board: Board, id: string): AppError {
  return new AppError('PERIOD_NOT_FOUND', `Board "${board.id}" has no kept period "${id.slice(0, 32)}"`);
}

/**
 * The period a read names (`current`, `previous` or a period id), given the board's current period
 * and schedule. A well-formed id that is not one of the board's kept periods (not on its schedule,
 * in the future, or ended more than `keepPeriods` periods ago) is 404 PERIOD_NOT_FOUND.
 */
export function resolvePeriod(board: Board, current: Period, schedule: PeriodSchedule | null, asked: string | undefined): Period {
  if (asked === undefined || asked === 'current') return current;
  if (asked === 'previous') {
    if (!schedule || !current.startsAt) throw periodNotFound(board, asked);
    const previous = schedule.before(current);
    return isKept(board, schedule, previous, current) ? previous : throwNotFound(board, asked);
  }
  if (!PERIOD_ID_PATTERN.test(asked) || (asked !== 'all' && Number.isNaN(Date.parse(asked)))) {
    throw new AppError('INVALID_REQUEST', 'period must be current, previous or a period id', { details: { part: 'querystring', fields: [{ field: 'period', message: 'is not a period' }] } });
  }
  if (asked === ALL_TIME.id) return schedule ? throwNotFound(board, asked) : current;
  if (!schedule || !current.startsAt) throw periodNotFound(board, asked);
  const period = schedule.startingExactly(new Date(asked));
  if (!period || period.startsAt!.getTime() > current.startsAt.getTime()) throw periodNotFound(board, asked);
  return isKept(board, schedule, period, current) ? period : throwNotFound(board, asked);
}

function throwNotFound(board: Board, id: string): never {
  throw periodNotFound(board, id);
}

/** True when `period` is current or among the `keepPeriods` periods ended last. */
export function isKept(board: Board, schedule: PeriodSchedule, period: Period, current: Period): boolean {
  if (period.id === current.id || board.keepPeriods === null) return true;
  let walked = period;
  for (let ended = 1; ended <= Math.min(board.keepPeriods, MAX_KEEP_WALK); ended++) {
    const next = schedule.periodAt(walked.endsAt!.getTime());
    if (next.id === current.id) return true;
    walked = next;
  }
  // Beyond the walk, the pruning task's deletions decide: a period is kept while it has entries.
  return board.keepPeriods > MAX_KEEP_WALK;
}
