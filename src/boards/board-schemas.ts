import { Type, type Static } from '@sinclair/typebox';
import { ACTION_ID_SCHEMA } from '../action-id.js';
import { UserIdParam } from '../http/path-params.js';

/** A period as every answer and event names it. */
export const PeriodData = Type.Object({
  id: Type.String({ description: 'The period start in UTC (ISO 8601 with milliseconds), or "all" for a board that never resets' }),
  startsAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  endsAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export const BoardData = Type.Object({
  id: Type.String(),
  title: Type.String(),
  sortOrder: Type.Union([Type.Literal('desc'), Type.Literal('asc')]),
  operator: Type.Union([Type.Literal('increment'), Type.Literal('best'), Type.Literal('latest')]),
  reset: Type.Union([Type.String(), Type.Null()]),
  timezone: Type.String(),
  actions: Type.Union([Type.Array(Type.String()), Type.Literal('all')]),
  minScore: Type.Integer(),
  maxScore: Type.Integer(),
  startsAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  endsAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  keepPeriods: Type.Union([Type.Integer(), Type.Null()]),
  metadata: Type.Object({}, { additionalProperties: true }),
  createdAt: Type.String({ format: 'date-time' }),
  period: PeriodData,
  totalEntries: Type.Integer({ minimum: 0 }),
});

export const BoardsData = Type.Object({ boards: Type.Array(BoardData) });

export const BoardEntryData = Type.Object({
  rank: Type.Integer({ minimum: 1 }),
  userId: Type.String(),
  username: Type.Union([Type.String(), Type.Null()]),
  score: Type.Integer(),
  lastUpdated: Type.String({ format: 'date-time' }),
});

/** A board entry an action update fed (`data.boards` of POST /api/v1/scores/update). */
export const FedBoardData = Type.Object({
  boardId: Type.String(),
  period: PeriodData,
  score: Type.Integer(),
  rank: Type.Integer({ minimum: 1 }),
});

// Any text: a board id that names no board (malformed ones included) is 404 BOARD_NOT_FOUND.
export const BoardParams = Type.Object({ boardId: Type.String({ minLength: 1, maxLength: 256, description: 'A board id (`^[a-z0-9][a-z0-9_-]{0,63}$`)' }) });
export const BoardUserParams = Type.Object({
  boardId: BoardParams.properties.boardId,
  userId: UserIdParam,
});

const PeriodQueryValue = Type.String({
  maxLength: 32,
  pattern: '^(current|previous|all|\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z)$',
  description: '`current` (default), `previous`, or a period id',
});

export const PeriodQuery = Type.Object({ period: Type.Optional(PeriodQueryValue) });

export const EntriesQuery = Type.Object(
  {
    period: Type.Optional(PeriodQueryValue),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
    userId: Type.Optional(Type.Array(UserIdParam, { minItems: 1, maxItems: 100, description: 'Repeat for each player (a friends view); not with `cursor`' })),
  },
);
export type EntriesQuery = Static<typeof EntriesQuery>;

export const EntriesData = Type.Object({
  boardId: Type.String(),
  period: PeriodData,
  entries: Type.Array(BoardEntryData),
  totalEntries: Type.Integer({ minimum: 0 }),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const EntryData = Type.Object({
  boardId: Type.String(),
  period: PeriodData,
  entry: BoardEntryData,
  totalEntries: Type.Integer({ minimum: 0 }),
  topPercent: Type.Integer({ minimum: 1, maximum: 100 }),
});

export const AroundQuery = Type.Object(
  { period: Type.Optional(PeriodQueryValue), limit: Type.Integer({ minimum: 1, maximum: 100, default: 11 }) },
);

export const AroundData = Type.Object({
  boardId: Type.String(),
  period: PeriodData,
  entries: Type.Array(BoardEntryData),
  totalEntries: Type.Integer({ minimum: 0 }),
});

export const PeriodsQuery = Type.Object(
  { limit: Type.Integer({ minimum: 1, maximum: 100, default: 10 }), cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) },
);

export const PeriodsData = Type.Object({
  boardId: Type.String(),
  periods: Type.Array(
    Type.Object({
      id: Type.String(),
      startsAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
      endsAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
      totalEntries: Type.Integer({ minimum: 0 }),
      top: Type.Array(BoardEntryData),
    }),
  ),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const SubmissionBody = Type.Object(
  {
    actionId: Type.String(ACTION_ID_SCHEMA),
    // A number: a fractional score is SCORE_VALIDATION_FAILED, not a malformed body (as in section 3).
    score: Type.Number({ description: 'An integer within the board\'s [minScore, maxScore]' }),
    timestamp: Type.String({ format: 'date-time', maxLength: 64, description: 'ISO 8601, within TIMESTAMP_TOLERANCE_MS of server time' }),
    clientSignature: Type.String({
      pattern: '^[0-9a-fA-F]{64}$',
      description: 'hex(HMAC-SHA256(HMAC_SECRET_KEY, actionId + "|" + boardId + "|" + String(score) + "|" + timestamp))',
    }),
  },
  { additionalProperties: false },
);
export type SubmissionBody = Static<typeof SubmissionBody>;

export const SubmissionData = Type.Object({
  userId: Type.String(),
  boardId: Type.String(),
  period: PeriodData,
  score: Type.Integer(),
  previousScore: Type.Union([Type.Integer(), Type.Null()]),
  submitted: Type.Integer(),
  improved: Type.Boolean(),
  rank: Type.Integer({ minimum: 1 }),
});

export const DeletedBoardData = Type.Object({ boardId: Type.String(), deleted: Type.Literal(true) });
export const RemovedEntryData = Type.Object({ boardId: Type.String(), period: PeriodData, userId: Type.String(), removed: Type.Literal(true) });
