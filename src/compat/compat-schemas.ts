import { Type, type Static } from '@sinclair/typebox';
import { ACTION_ID_SCHEMA } from '../action-id.js';

export const ActionCompleteBody = Type.Object(
  {
    actionId: Type.String(ACTION_ID_SCHEMA),
    score: Type.Number({ description: 'The increment: a positive integer no larger than the action type\'s maxScore' }),
    timestamp: Type.String({ format: 'date-time', maxLength: 64 }),
    metadata: Type.Object(
      {
        actionType: Type.String({ minLength: 1, maxLength: 64, description: 'Matched case-insensitively' }),
        level: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
        duration: Type.Optional(Type.Number({ minimum: 0, maximum: 86_400_000, description: 'Milliseconds the action took; below its minDuration is 403 TOO_FAST' })),
      },
      { additionalProperties: false },
    ),
    clientSignature: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{64}$', description: 'Or the X-Client-Signature header' })),
  },
  { additionalProperties: false },
);
export type ActionCompleteBody = Static<typeof ActionCompleteBody>;

export const ActionCompleteResponse = Type.Object({
  success: Type.Literal(true),
  newScore: Type.Integer(),
  previousScore: Type.Integer(),
  leaderboardPosition: Type.Integer({ minimum: 1 }),
  actionId: Type.String(),
});

export const CompatLeaderboardQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
});

export const CompatLeaderboardResponse = Type.Object({
  leaderboard: Type.Array(
    Type.Object({
      rank: Type.Integer(),
      userId: Type.String(),
      username: Type.Union([Type.String(), Type.Null()]),
      score: Type.Integer(),
      lastUpdate: Type.String({ format: 'date-time' }),
    }),
  ),
  totalUsers: Type.Integer(),
  lastUpdated: Type.String({ format: 'date-time' }),
});
