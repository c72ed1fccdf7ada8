import { CronExpressionParser } from 'cron-parser';

/** A board's reset: never (null), a named schedule, or a 5-field cron expression. */
export type Reset = null | 'daily' | 'weekly' | 'monthly' | string;

/** One period of a board: `id` is its start in UTC (ISO 8601 with milliseconds), or `all`. */
export interface Period {
  id: string;
  startsAt: Date | null;
  endsAt: Date | null;
}

/** The one period of a board that never resets. */
export const ALL_TIME: Readonly<Period> = Object.freeze({ id: 'all', startsAt: null, endsAt: null });

const NAMED: Record<string, string> = {
  daily: '0 0 * * *',
  weekly: '0 0 * * 1',
  monthly: '0 0 1 * *',
};

/** How a period id looks: `all`, or a UTC instant with milliseconds (what `toISOString` gives). */
export const PERIOD_ID_PATTERN = /^(all|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)$/;

/** The 5-field cron expression of a reset (named ones expanded), or null for a board that never resets. */
export function cronOf(reset: Reset): string | null {
  if (reset === null) return null;
  return NAMED[reset] ?? reset;
}

/** Why `reset` is not a schedule (null when it is): named, or exactly 5 cron fields that parse. */
export function resetProblem(reset: string): string | null {
  if (reset in NAMED) return null;
  const fields = reset.trim().split(/\s+/);
  if (fields.length !== 5) return `must be daily, weekly, monthly or a 5-field cron expression (minute hour day-of-month month day-of-week); got ${fields.length} fields`;
  try {
    CronExpressionParser.parse(`0 ${reset}`, { tz: 'UTC', currentDate: new Date(0) }).next();
    return null;
  } catch (error) {
    return `is not a valid cron expression: ${(error as Error).message}`;
  }
}

/** True for an IANA time zone name this runtime knows. */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/**
 * The instants at which one schedule starts new periods, in one time zone. Computing a period costs a
 * cron evaluation, so the current one is kept and recomputed only once it has ended.
 */
export class PeriodSchedule {
  private readonly cron: string;
  private current: Period | null = null;

  constructor(
    reset: string,
    private readonly timezone: string,
  ) {
    this.cron = `0 ${cronOf(reset)}`;
  }

  /** The period holding the instant `atMs`: it starts at the last instant of the schedule at or before it. */
  periodAt(atMs: number): Period {
    const cached = this.current;
    if (cached && cached.startsAt!.getTime() <= atMs && atMs < cached.endsAt!.getTime()) return cached;
    // `prev` is strictly before currentDate: one millisecond later makes a boundary instant its own period's start.
    const startsAt = CronExpressionParser.parse(this.cron, { tz: this.timezone, currentDate: new Date(atMs + 1) }).prev().toDate();
    const period = this.startingAt(startsAt);
    if (!cached || atMs >= cached.startsAt!.getTime()) this.current = period;
    return period;
  }

  /** The period before `period`. */
  before(period: Period): Period {
    return this.periodAt(period.startsAt!.getTime() - 1);
  }

  /** The period that starts at `startsAt`, or null when the schedule has no instant there. */
  startingExactly(startsAt: Date): Period | null {
    const period = this.periodAt(startsAt.getTime());
    return period.startsAt!.getTime() === startsAt.getTime() ? period : null;
  }

  private startingAt(startsAt: Date): Period {
    const endsAt = CronExpressionParser.parse(this.cron, { tz: this.timezone, currentDate: startsAt }).next().toDate();
    return { id: startsAt.toISOString(), startsAt, endsAt };
  }
}
