import type { Principal } from '../auth/principal.js';
import type { ScoreStore } from '../db/score-store.js';

export interface UserProvisionerOptions {
  store: ScoreStore;
  /** How many recently seen users to remember. @default 100000 */
  maxRemembered?: number;
}

/**
 * Creates users on first sight from their token's claims. Remembers whom it has already written
 * (with the name and e-mail written) so that a player's next requests cost no database round trip.
 */
export class UserProvisioner {
  private readonly store: ScoreStore;
  private readonly maxRemembered: number;
  private readonly seen = new Map<string, string>();

  constructor(options: UserProvisionerOptions) {
    this.store = options.store;
    this.maxRemembered = options.maxRemembered ?? 100_000;
  }

  async ensure(principal: Principal): Promise<void> {
    const claims = `${principal.username ?? ''}\u0000${principal.email ?? ''}`;
    if (this.seen.get(principal.userId) === claims) return;
    await this.store.ensureUser({ id: principal.userId, username: principal.username, email: principal.email });
    this.seen.delete(principal.userId);
    this.seen.set(principal.userId, claims);
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
