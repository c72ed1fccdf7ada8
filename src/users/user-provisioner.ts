import type { Principal } from '../auth/principal.js';
import { GroupCommit } from '../group-commit.js';
import type { UserProfile, UserStore } from '../db/user-store.js';

export interface UserProvisionerOptions {
  store: UserStore;
  /** How many recently seen users to remember. @default 100000 */
  maxRemembered?: number;
  /** Batches of new users written at once. @default 2 */
  writeConcurrency?: number;
}

/**
 * Creates users on first sight from their token's claims. Remembers whom it has already written
 * (with the name and e-mail written) so that a player's next requests cost no database round trip.
 */
export class UserProvisioner {
  private readonly store: UserStore;
  private readonly maxRemembered: number;
  private readonly seen = new Map<string, string>();

  /** First requests of many new players share one statement and one commit. */
  private readonly writes: GroupCommit<UserProfile, null>;

  constructor(options: UserProvisionerOptions) {
    this.store = options.store;
    this.maxRemembered = options.maxRemembered ?? 100_000;
    this.writes = new GroupCommit({
      write: async (profiles) => {
        await this.store.ensureUsers(profiles);
        return profiles.map(() => ({ ok: true as const, value: null }));
      },
      keys: (profile) => [profile.id],
      concurrency: options.writeConcurrency ?? 2,
    });
  }

  async ensure(principal: Principal): Promise<void> {
    const profile = this.pending(principal);
    if (!profile) return;
    await this.writes.submit(profile);
    this.remember(principal);
  }

  /**
   * The profile to write for this principal, or null when this instance already wrote it with these
   * claims. A caller that writes it itself (the score update's statement) calls `remember` after.
   */
  pending(principal: Principal): UserProfile | null {
    const seen = this.seen.get(principal.userId);
    if (seen === claimsOf(principal)) return null;
    // No claims (a player a game server names) never change a row: only a new user needs writing.
    if (seen !== undefined && principal.username === null && principal.email === null) return null;
    return { id: principal.userId, username: principal.username, email: principal.email };
  }

  /** Notes that the principal's user row is written with its current claims. */
  remember(principal: Principal): void {
    this.seen.delete(principal.userId);
    this.seen.set(principal.userId, claimsOf(principal));
    if (this.seen.size > this.maxRemembered) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }

  /** Forgets a user (erased, or found missing), so the next request writes them again. */
  forget(userId: string): void {
    this.seen.delete(userId);
  }
}

function claimsOf(principal: Principal): string {
  return `${principal.username ?? ''}\u0000${principal.email ?? ''}`;
}
