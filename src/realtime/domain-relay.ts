import type { LeaderboardService } from '../boards/leaderboard-service.js';
import type { SuspiciousActivity } from '../db/integrity-store.js';
import type { AppliedSubmissionEvent, BoardSubmissions } from '../boards/board-submissions.js';
import type { IntegrityService } from '../integrity/integrity-service.js';
import type { AppliedScoreEvent, ScoreService } from '../scores/score-service.js';
import type { LeaderboardBroadcaster, TopCause } from './leaderboard-broadcaster.js';
import type { LiveServer } from './live-server.js';
import { sendOwnBoardMoves, sendOwnUpdate } from './player-events.js';
import { rooms } from './realtime-events.js';
import type { SignedInPlayers } from './signed-in-players.js';

export interface DomainRelayOptions {
  io: LiveServer;
  leaderboard: Pick<LeaderboardService, 'topSize'>;
  scores: Pick<ScoreService, 'on' | 'off'>;
  integrity?: Pick<IntegrityService, 'on' | 'off'>;
  submissions?: Pick<BoardSubmissions, 'on' | 'off'>;
  broadcaster: Pick<LeaderboardBroadcaster, 'noteCause'>;
  signedIn: Pick<SignedInPlayers, 'has'>;
}

/** Applied updates and integrity flags, to the sockets that want them; returns the detach. */
export function relayDomainEvents(options: DomainRelayOptions): () => void {
  const { io, leaderboard, scores, integrity, submissions, broadcaster, signedIn } = options;
  const onApplied = (event: AppliedScoreEvent) => {
    const cause: TopCause = { userId: event.userId, newScore: event.newScore, increment: event.increment, rank: event.rank, timestamp: event.timestamp };
    if (event.rank <= leaderboard.topSize || (event.previousRank !== null && event.previousRank <= leaderboard.topSize)) {
      broadcaster.noteCause(cause);
    }
    // Nobody to tell: each emit is a write to the Redis stream that every instance reads.
    if (signedIn.has(event.userId)) sendOwnUpdate(io, event, cause);
  };
  // A direct submission moves its player on that one board; the board's broadcast follows its ranking by itself.
  const onSubmitted = (event: AppliedSubmissionEvent) => {
    if (signedIn.has(event.userId)) sendOwnBoardMoves(io, event.userId, [event]);
  };
  const onFlagged = (flag: SuspiciousActivity & { frozen: boolean }) => {
    io.to(rooms.admin).emit('suspicious:flagged', {
      id: flag.id,
      userId: flag.userId,
      reason: flag.reason,
      details: flag.details,
      createdAt: flag.createdAt.toISOString(),
      frozen: flag.frozen,
    });
  };
  scores.on('applied', onApplied);
  integrity?.on('flagged', onFlagged);
  submissions?.on('applied', onSubmitted);
  return () => {
    scores.off('applied', onApplied);
    integrity?.off('flagged', onFlagged);
    submissions?.off('applied', onSubmitted);
  };
}
