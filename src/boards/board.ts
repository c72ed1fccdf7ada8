import { ALL_TIME, isTimeZone, PeriodSchedule, resetProblem, type Period, type Reset } from './board-periods.js';

export type SortOrder = 'desc' | 'asc';
export type Operator = 'increment' | 'best' | 'latest';

/** A board's rules, every default filled in (DESIGN section 11). */
export interface BoardDefinition {
  id: string;
  title: string;
  sortOrder: SortOrder;
  operator: Operator;
  reset: Reset;
  timezone: string;
  /** Action types whose accepted updates feed the board; `all` for `global`. */
  actions: readonly string[] | 'all';
  minScore: number;
  maxScore: number;
  startsAt: Date | null;
  endsAt: Date | null;
  keepPeriods: number | null;
  metadata: Record<string, unknown>;
}

/** A board, its periods and its place in the catalogue. */
export interface Board extends BoardDefinition {
  createdAt: Date;
}

/** One board's entries in one period: what every rank index and SQL read is keyed by. */
export interface BoardRef {
  boardId: string;
  periodId: string;
}

export const GLOBAL_BOARD_ID = 'global';
export const BOARD_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const MAX_BOARD_SCORE = Number.MAX_SAFE_INTEGER;
export const MIN_BOARD_SCORE = -Number.MAX_SAFE_INTEGER;
const METADATA_MAX_BYTES = 2048;
const TITLE_MAX_LENGTH = 100;
const KEEP_PERIODS_MAX = 100_000;

/** The board every action type feeds, that never resets: `/api/v1/scores/leaderboard` and its kin. */
export function globalBoard(createdAt: Date = new Date(0)): Board {
  return {
    id: GLOBAL_BOARD_ID,
    title: 'Global',
    sortOrder: 'desc',
    operator: 'increment',
    reset: null,
    timezone: 'UTC',
    actions: 'all',
    minScore: 0,
    maxScore: MAX_BOARD_SCORE,
    startsAt: null,
    endsAt: null,
    keepPeriods: null,
    metadata: {},
    createdAt,
  };
}

/** True when an accepted update of `actionType` (canonical) adds to the board. */
export function isFedBy(board: BoardDefinition, actionType: string): boolean {
  return board.actions === 'all' || board.actions.includes(actionType);
}

/** Boards with actions (and `global`) take no direct submissions; the others take only those. */
export function takesSubmissions(board: BoardDefinition): boolean {
  return board.actions !== 'all' && board.actions.length === 0;
}

/** True while the board takes scores: within [startsAt, endsAt). */
export function isOpenAt(board: BoardDefinition, atMs: number): boolean {
  return (board.startsAt === null || board.startsAt.getTime() <= atMs) && (board.endsAt === null || atMs < board.endsAt.getTime());
}

/** Better for the board: higher for `desc`, lower for `asc`. */
export function isBetter(board: Pick<BoardDefinition, 'sortOrder'>, candidate: number, current: number): boolean {
  return board.sortOrder === 'desc' ? candidate > current : candidate < current;
}

/**
 * The action types a board may list: `resolve` gives a name's canonical form (or undefined for an
 * unknown one), `names` the whole catalogue (for messages). Passed in, so boards need not know the
 * catalogue's shape.
 */
export interface ActionNames {
  resolve(name: string): string | undefined;
  names(): readonly string[];
}

/** A field of a definition and what is wrong with it. */
export interface FieldProblem {
  field: string;
  message: string;
}

export type DefinitionResult = { ok: true; definition: BoardDefinition } | { ok: false; problems: FieldProblem[] };

const CREATE_FIELDS = ['id', 'title', 'sortOrder', 'operator', 'reset', 'timezone', 'actions', 'minScore', 'maxScore', 'startsAt', 'endsAt', 'keepPeriods', 'metadata'];
/** What `PATCH` may change; the rest decide what the stored entries mean. */
export const PATCHABLE_FIELDS = ['title', 'metadata', 'actions', 'minScore', 'maxScore', 'startsAt', 'endsAt', 'keepPeriods'] as const;

/** Reads a new board's definition (an admin's POST, an entry of BOARDS_CONFIG), filling in defaults. */
export function parseBoardDefinition(raw: unknown, catalogue: ActionNames): DefinitionResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, problems: [{ field: 'body', message: 'must be an object' }] };
  const input = raw as Record<string, unknown>;
  const problems: FieldProblem[] = unknownFields(input, CREATE_FIELDS);
  const read = new FieldReader(input, problems);
  const id = read.text('id', { required: true, max: 64 });
  if (id !== undefined && !BOARD_ID_PATTERN.test(id)) problems.push({ field: 'id', message: `must match ${BOARD_ID_PATTERN.source}` });
  else if (id === GLOBAL_BOARD_ID) problems.push({ field: 'id', message: '"global" is reserved' });
  const timezone = read.text('timezone') ?? 'UTC';
  if (!isTimeZone(timezone)) problems.push({ field: 'timezone', message: `"${timezone.slice(0, 64)}" is not an IANA time zone` });
  const reset = read.nullableText('reset') ?? null;
  if (reset !== null) {
    const problem = resetProblem(reset);
    if (problem) problems.push({ field: 'reset', message: problem });
  }
  const definition: BoardDefinition = {
    id: id ?? '',
    title: read.text('title', { max: TITLE_MAX_LENGTH }) ?? id ?? '',
    sortOrder: read.choice('sortOrder', ['desc', 'asc'] as const) ?? 'desc',
    operator: read.choice('operator', ['increment', 'best', 'latest'] as const) ?? 'increment',
    reset,
    timezone,
    actions: [],
    minScore: 0,
    maxScore: MAX_BOARD_SCORE,
    startsAt: null,
    endsAt: null,
    keepPeriods: null,
    metadata: {},
  };
  applyChangeable(definition, input, read, catalogue);
  crossChecks(definition, problems);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, definition };
}

/** Applies an admin's PATCH to `current`; `id`, `sortOrder`, `operator`, `reset` and `timezone` cannot change. */
export function patchBoardDefinition(current: BoardDefinition, raw: unknown, catalogue: ActionNames): DefinitionResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, problems: [{ field: 'body', message: 'must be an object' }] };
  const input = raw as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  for (const field of Object.keys(input)) {
    if ((PATCHABLE_FIELDS as readonly string[]).includes(field)) continue;
    problems.push({ field, message: CREATE_FIELDS.includes(field) ? 'cannot be changed once the board exists' : 'is not a property of a board' });
  }
  const definition: BoardDefinition = { ...current };
  const read = new FieldReader(input, problems);
  if ('title' in input) definition.title = read.text('title', { max: TITLE_MAX_LENGTH, required: true }) ?? current.title;
  applyChangeable(definition, input, read, catalogue);
  crossChecks(definition, problems);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, definition };
}

/** The fields a PATCH may change, read into `definition` where present. */
function applyChangeable(definition: BoardDefinition, input: Record<string, unknown>, read: FieldReader, catalogue: ActionNames): void {
  if ('actions' in input) definition.actions = read.actions('actions', catalogue) ?? definition.actions;
  if ('minScore' in input) definition.minScore = read.score('minScore') ?? definition.minScore;
  if ('maxScore' in input) definition.maxScore = read.score('maxScore') ?? definition.maxScore;
  if ('startsAt' in input) definition.startsAt = read.instant('startsAt') ?? null;
  if ('endsAt' in input) definition.endsAt = read.instant('endsAt') ?? null;
  if ('keepPeriods' in input) definition.keepPeriods = read.keepPeriods('keepPeriods');
  if ('metadata' in input) definition.metadata = read.metadata('metadata') ?? definition.metadata;
}

function crossChecks(definition: BoardDefinition, problems: FieldProblem[]): void {
  if (definition.actions !== 'all' && definition.actions.length > 0 && definition.operator !== 'increment') {
    problems.push({ field: 'actions', message: `only a board with operator "increment" can be fed by actions (this one is "${definition.operator}")` });
  }
  if (definition.minScore > definition.maxScore) problems.push({ field: 'minScore', message: `must not be above maxScore (${definition.maxScore})` });
  if (definition.startsAt && definition.endsAt && definition.endsAt.getTime() <= definition.startsAt.getTime()) {
    problems.push({ field: 'endsAt', message: 'must be after startsAt' });
  }
}

function unknownFields(input: Record<string, unknown>, known: readonly string[]): FieldProblem[] {
  return Object.keys(input)
    .filter((field) => !known.includes(field))
    .map((field) => ({ field: field.slice(0, 64), message: 'is not a property of a board' }));
}

/** Reads typed fields, noting a problem (and answering undefined) for each that is wrong. */
class FieldReader {
  constructor(
    private readonly input: Record<string, unknown>,
    private readonly problems: FieldProblem[],
  ) {}

  private wrong(field: string, message: string): undefined {
    this.problems.push({ field, message });
    return undefined;
  }

  text(field: string, options: { required?: boolean; max?: number } = {}): string | undefined {
    const value = this.input[field];
    if (value === undefined) return options.required ? this.wrong(field, 'is required') : undefined;
    if (typeof value !== 'string' || value.length === 0) return this.wrong(field, 'must be a non-empty string');
    if (options.max !== undefined && value.length > options.max) return this.wrong(field, `must be at most ${options.max} characters`);
    return value;
  }

  nullableText(field: string): string | null | undefined {
    return this.input[field] === null ? null : this.text(field, { max: 200 });
  }

  choice<T extends string>(field: string, allowed: readonly T[]): T | undefined {
    const value = this.input[field];
    if (value === undefined) return undefined;
    return (allowed as readonly unknown[]).includes(value) ? (value as T) : this.wrong(field, `must be one of ${allowed.join(', ')}`);
  }

  score(field: string): number | undefined {
    const value = this.input[field];
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) return this.wrong(field, `must be an integer within ±${MAX_BOARD_SCORE}`);
    return value;
  }

  instant(field: string): Date | null | undefined {
    const value = this.input[field];
    if (value === null) return null;
    if (typeof value !== 'string' || !isCalendarInstant(value)) {
      return this.wrong(field, 'must be an ISO 8601 date-time with a time zone (e.g. 2026-12-01T00:00:00Z) or null');
    }
    return new Date(value);
  }

  keepPeriods(field: string): number | null {
    const value = this.input[field];
    if (value === null) return null;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > KEEP_PERIODS_MAX) {
      this.wrong(field, `must be an integer from 0 to ${KEEP_PERIODS_MAX}, or null (keep all)`);
      return null;
    }
    return value;
  }

  actions(field: string, catalogue: ActionNames): string[] | undefined {
    const value = this.input[field];
    if (!Array.isArray(value) || value.length > catalogue.names().length + 16) return this.wrong(field, 'must be an array of action types');
    const types = new Set<string>();
    for (const item of value) {
      const type = typeof item === 'string' ? catalogue.resolve(item) : undefined;
      if (!type) return this.wrong(field, `"${String(item).slice(0, 64)}" is not an action type of the catalogue (${catalogue.names().join(', ')})`);
      types.add(type);
    }
    return [...types];
  }

  metadata(field: string): Record<string, unknown> | undefined {
    const value = this.input[field];
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return this.wrong(field, 'must be a JSON object');
    if (Buffer.byteLength(JSON.stringify(value)) > METADATA_MAX_BYTES) return this.wrong(field, `must be at most ${METADATA_MAX_BYTES} bytes as JSON`);
    return value as Record<string, unknown>;
  }
}

/** The schedule of a board's periods, or null for one that never resets. */
export function scheduleOf(board: Pick<BoardDefinition, 'reset' | 'timezone'>): PeriodSchedule | null {
  return board.reset === null ? null : new PeriodSchedule(board.reset, board.timezone);
}

export { ALL_TIME, type Period };

/**
 * An ISO 8601 date-time with a zone whose fields are a real calendar time: Date.parse alone rolls
 * 2026-02-30 over to March, and an instant nobody wrote must be refused, not moved.
 */
function isCalendarInstant(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|([+-])(\d{2}):?(\d{2}))$/.exec(value);
  if (!match || Number.isNaN(Date.parse(value))) return false;
  const [year, month, day, hour, minute, second, , zoneHours, zoneMinutes] = match.slice(1).map((part) => (part === undefined ? 0 : Number(part)));
  const daysInMonth = new Date(Date.UTC(year!, month!, 0)).getUTCDate();
  return month! >= 1 && month! <= 12 && day! >= 1 && day! <= daysInMonth && hour! <= 23 && minute! <= 59 && second! <= 59 && zoneHours! <= 23 && zoneMinutes! <= 59;
}
