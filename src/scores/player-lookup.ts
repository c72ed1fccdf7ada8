import type { FastifyBaseLogger } from 'fastify';
import type { KeyValueCache } from '../cache/key-value-cache.js';
import type { ScoreStore, UserScore } from '../db/score-store.js';
import type { LeaderboardService } from '../boards/leaderboard-service.js';

/** How long a user's score lookup stays cached; a newer version in the rank index invalidates it sooner. */
export const USER_CACHE_TTL_SEC = 300;

export function userCacheKey(userId: string): string {
  return `user:${userId}`;
}

export interface PlayerStanding extends UserScore {
  rank: number;
}

type CachedUserScore = Omit<UserScore, 'firstAction' | 'lastAction'> & { firstAction: string | null; lastAction: string | null };

/**
 * A player's score, totals and rank. The SQL row is cached (TTL 300 s) and checked against the
 * rank index's version of the player on every read, so a copy cached by a read that raced an
 * update is never served after the update is ranked.
 */
export class PlayerLookup {
  constructor(
    private readonly options: { store: ScoreStore; leaderboard: LeaderboardService; userCache: KeyValueCache; log: FastifyBaseLogger },
  ) {}

  /** The player's standing, or null for an unknown user. */
  async get(userId: string): Promise<PlayerStanding | null> {
    const { leaderboard } = this.options;
    const [cached, ranked] = await Promise.all([this.readCache(userId), leaderboard.standingOf(userId)]);
    let user = cached && (!ranked || ranked.version <= cached.version) ? cached : null;
    if (!user) {
      user = await this.options.store.getUserScore(userId);
      if (!user) return null;
      await this.options.userCache
        .set(userCacheKey(userId), JSON.stringify(user), USER_CACHE_TTL_SEC)
        .catch((error: unknown) => this.options.log.warn({ err: error }, 'user cache write failed'));
    }
    const rank =
      ranked && ranked.version === user.version
        ? ranked.rank
        : await leaderboard.rankOf(userId, user.lastUpdatedMs === null ? null : { score: user.score, lastUpdatedMs: user.lastUpdatedMs });
    return { ...user, rank };
  }

  /** Drops the cached copy (after a write that the rank index does not version, such as a freeze). */
  async forget(userId: string): Promise<void> {
    await this.options.userCache.delete(userCacheKey(userId)).catch(() => undefined);
  }

  private async readCache(userId: string): Promise<UserScore | null> {
    try {
      const raw = await this.options.userCache.get(userCacheKey(userId));
      if (!raw) return null;
      const value = JSON.parse(raw) as CachedUserScore;
      return {
        ...value,
        firstAction: value.firstAction ? new Date(value.firstAction) : null,
        lastAction: value.lastAction ? new Date(value.lastAction) : null,
      };
    } catch (error) {
      this.options.log.warn({ err: error }, 'user cache read failed');
      return null;
    }
  }
}
