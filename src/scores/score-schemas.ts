import { Type, type Static } from '@sinclair/typebox';
import { ACTION_ID_SCHEMA } from '../action-id.js';
import { FedBoardData } from '../boards/board-schemas.js';

export const ScoreUpdateBody = Type.Object(
  {
    actionId: Type.String(ACTION_ID_SCHEMA),
    actionType: Type.String({ minLength: 1, maxLength: 64, description: 'An action type of the catalogue, e.g. TASK_COMPLETE' }),
    // A number rather than an integer: a fractional or negative increment is SCORE_VALIDATION_FAILED, not a malformed body.
    scoreIncrement: Type.Number({ description: 'A positive integer no larger than the action type\'s maxScore' }),
    timestamp: Type.String({ format: 'date-time', maxLength: 64, description: 'ISO 8601, within TIMESTAMP_TOLERANCE_MS of server time' }),
    clientSignature: Type.String({
      pattern: '^[0-9a-fA-F]{64}$',
      description: 'hex(HMAC-SHA256(HMAC_SECRET_KEY, actionId + actionType + String(scoreIncrement) + timestamp))',
    }),
  },
  { additionalProperties: false },
);
export type ScoreUpdateBody = Static<typeof ScoreUpdateBody>;

export const ScoreUpdateData = Type.Object({
  userId: Type.String(),
  newScore: Type.Integer(),
  previousScore: Type.Integer(),
  rank: Type.Integer({ minimum: 1 }),
  timestamp: Type.String({ format: 'date-time' }),
  boards: Type.Array(FedBoardData, { description: 'The boards besides global this update fed (DESIGN section 11); [] when none' }),
});


export const UserScoreData = Type.Object({
  userId: Type.String(),
  username: Type.Union([Type.String(), Type.Null()]),
  score: Type.Integer(),
  rank: Type.Integer({ minimum: 1 }),
  lastUpdated: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  totalActions: Type.Integer(),
  firstAction: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  lastAction: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export const HistoryQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  before: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Continue below this history entry id (`nextBefore` of the previous page)' })),
});

export const HistoryData = Type.Object({
  userId: Type.String(),
  history: Type.Array(
    Type.Object({
      id: Type.Integer(),
      actionId: Type.String(),
      actionType: Type.String(),
      scoreIncrement: Type.Integer(),
      scoreBefore: Type.Union([Type.Integer(), Type.Null()], { description: 'Null for a board submission that made a first entry in its period' }),
      scoreAfter: Type.Integer(),
      boardId: Type.Union([Type.String(), Type.Null()], { description: 'A direct board submission: its board (null for score updates)' }),
      periodId: Type.Union([Type.String(), Type.Null()]),
      submittedScore: Type.Union([Type.Integer(), Type.Null()], { description: 'A direct board submission: the score sent' }),
      apiKeyId: Type.Union([Type.String(), Type.Null()], { description: 'The game-server key that sent it (Authorization: ApiKey); null for a signed client request' }),
      ipAddress: Type.Union([Type.String(), Type.Null()]),
      userAgent: Type.Union([Type.String(), Type.Null()]),
      createdAt: Type.String({ format: 'date-time' }),
    }),
  ),
  nextBefore: Type.Union([Type.Integer(), Type.Null()]),
});
