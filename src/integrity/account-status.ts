import type { UserStore } from '../db/user-store.js';

/** Told after a player's status changed, so that caches and boards follow (a frozen player's cached standing, a hidden player's entries). */
export type StatusListener = (change: { userId: string; status: 'active' | 'frozen'; hidden: boolean }) => Promise<void> | void;

export interface FreezeOptions {
  reason: string;
  /** Also take the player off every board until unfrozen (their entries are kept). */
  hide?: boolean;
}

/**
 * Freezing and unfreezing accounts (an admin's, or AUTO_FREEZE's): the user row first, then every
 * listener (caches, boards). A frozen account's updates are refused; a hidden one is also off the
 * boards. Unfreezing always brings a hidden player back.
 */
export class AccountStatus {
  private readonly listeners: StatusListener[] = [];

  constructor(private readonly users: UserStore) {}

  onChange(listener: StatusListener): void {
    this.listeners.push(listener);
  }

  /** False when the user is unknown. */
  async freeze(userId: string, options: FreezeOptions): Promise<boolean> {
    if (!(await this.users.setStatus(userId, 'frozen', options.reason))) return false;
    const hidden = options.hide === true;
    if (hidden) await this.users.setHidden(userId, true);
    await this.tell({ userId, status: 'frozen', hidden });
    return true;
  }

  /** False when the user is unknown. */
  async unfreeze(userId: string): Promise<boolean> {
    if (!(await this.users.setStatus(userId, 'active', null))) return false;
    await this.users.setHidden(userId, false);
    await this.tell({ userId, status: 'active', hidden: false });
    return true;
  }

  private async tell(change: Parameters<StatusListener>[0]): Promise<void> {
    for (const listener of this.listeners) await listener(change);
  }
}
