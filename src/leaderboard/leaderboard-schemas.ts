import { Type } from '@sinclair/typebox';

export const LeaderboardQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
  offset: Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 }),
});

export const LeaderboardEntry = Type.Object({
  rank: Type.Integer({ minimum: 1 }),
  userId: Type.String(),
  username: Type.Union([Type.String(), Type.Null()]),
  score: Type.Integer(),
  lastUpdated: Type.String({ format: 'date-time' }),
});

export const LeaderboardData = Type.Object({
  leaderboard: Type.Array(LeaderboardEntry),
  timestamp: Type.String({ format: 'date-time' }),
  cacheHit: Type.Boolean(),
});

export const ChangesQuery = Type.Object({
  since: Type.Optional(Type.String({ format: 'date-time', description: 'ISO 8601; omit to get the current top 10' })),
});

export const ChangesData = Type.Object({
  hasChanges: Type.Boolean(),
  leaderboard: Type.Array(LeaderboardEntry),
  lastUpdated: Type.String({ format: 'date-time', description: 'When this instance last saw the top 10 change' }),
});
