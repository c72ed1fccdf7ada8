import type { ErrorCode } from '../errors.js';
import type { LeaderboardEntry } from '../boards/rank-entry.js';

/** The leaderboard entry as every live event and the REST API carry it. */
export type LiveEntry = LeaderboardEntry;

export interface LeaderboardUpdatePayload {
  leaderboard: LiveEntry[];
  timestamp: string;
  /** +1 per broadcast of this instance: a gap tells the client to refetch. */
  seq: number;
}

/** A board period as events carry it: `id`, and its bounds as ISO 8601 (null for a board that never resets). */
export interface LivePeriod {
  id: string;
  startsAt: string | null;
  endsAt: string | null;
}

/** One board's top 10 in its current period (DESIGN section 11, Live). */
export interface BoardUpdatePayload {
  boardId: string;
  period: LivePeriod;
  leaderboard: LiveEntry[];
  timestamp: string;
  /** +1 per broadcast of this board on this instance: a gap tells the client to refetch. */
  seq: number;
}

/** An error in an ack: a code of the error table (src/errors.ts) and a message for people. */
export interface AckError {
  code: ErrorCode;
  message: string;
}

export type BoardSubscribeAck = (result: { ok: true; boardId: string; period: LivePeriod } | { ok: false; error: AckError }) => void;
export type BoardUnsubscribeAck = (result: { ok: true } | { ok: false; error: AckError }) => void;

/** A player's rank moved on a board period (their own update, or others passing them). */
export interface RankChangedPayload {
  userId: string;
  newRank: number;
  /** null for a first entry. */
  oldRank: number | null;
  newScore: number;
  boardId: string;
  period: LivePeriod;
}

/** The second specification's event shape (`auth.protocol = "legacy"` clients). */
export interface LegacyEventPayload {
  event: 'leaderboard_changed' | 'score_updated' | 'user_position_changed';
  userId: string | null;
  newScore: number | null;
  scoreIncrease: number | null;
  newRank: number | null;
  timestamp: string;
  /** Only on leaderboard_changed: the top 10. */
  leaderboard?: LiveEntry[];
}

export interface ServerToClientEvents {
  'leaderboard:update': (payload: LeaderboardUpdatePayload) => void;
  'score:updated': (payload: { userId: string; newScore: number; increment: number }) => void;
  'rank:changed': (payload: RankChangedPayload) => void;
  'board:update': (payload: BoardUpdatePayload) => void;
  leaderboard_changed: (payload: LegacyEventPayload) => void;
  score_updated: (payload: LegacyEventPayload) => void;
  user_position_changed: (payload: LegacyEventPayload) => void;
  /** To admin sockets: a new suspicious-activity flag. */
  'suspicious:flagged': (payload: { id: number; userId: string; reason: string; details: Record<string, unknown>; createdAt: string; frozen: boolean }) => void;
}

/** A refusal's `reason` (and `claim`) are those of the HTTP 401's `details` (TOKEN_EXPIRED, …). */
export type AuthenticateAck = (result: { ok: true; userId: string } | { ok: false; error: string; reason?: string; claim?: string }) => void;

export interface ClientToServerEvents {
  authenticate: (payload: { token?: unknown } | undefined, ack?: AuthenticateAck) => void;
  /** Payloads are whatever the client sent: checked by the handler. */
  'board:subscribe': (payload: unknown, ack?: BoardSubscribeAck) => void;
  'board:unsubscribe': (payload: unknown, ack?: BoardUnsubscribeAck) => void;
}

export type Protocol = 'v1' | 'legacy';

export interface SocketData {
  protocol: Protocol;
  userId: string | null;
}

/** Rooms: v1 and legacy clients never share one, so neither receives the other's events. */
export const rooms = {
  /** Sockets whose token carries the admin role. */
  admin: 'admin',
  leaderboard: (protocol: Protocol) => (protocol === 'legacy' ? 'legacy:leaderboard' : 'leaderboard'),
  user: (protocol: Protocol, userId: string) => (protocol === 'legacy' ? `legacy:user:${userId}` : `user:${userId}`),
  /** The sockets that subscribed to one board (either protocol: the subscription is asked for by name). */
  board: (boardId: string) => `board:${boardId}`,
};

/** The board a room is for, or null for other rooms. */
export function boardOfRoom(room: string): string | null {
  return room.startsWith('board:') ? room.slice('board:'.length) : null;
}
