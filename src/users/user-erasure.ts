import type { UserStore } from '../db/user-store.js';

/** Told after a player's rows are gone, so that caches and indexes forget them too. */
export type ErasureListener = (userId: string) => Promise<void> | void;

/**
 * A player's right to erasure: their user row goes, and with it (by the schema's cascades) their
 * scores, board entries, history and flags; then every listener forgets them (rank indexes,
 * caches, the detectors' statistics). A listener that fails is logged and left to the next
 * rebuild: the rows are gone either way.
 */
export class UserErasure {
  private readonly listeners: ErasureListener[] = [];

  constructor(
    private readonly users: UserStore,
    private readonly onListenerError: (error: unknown) => void,
  ) {}

  onErased(listener: ErasureListener): void {
    this.listeners.push(listener);
  }

  /** False when the user is unknown. */
  async erase(userId: string): Promise<boolean> {
    if (!(await this.users.eraseUser(userId))) return false;
    await Promise.all(
      this.listeners.map(async (listener) => {
        try {
          await listener(userId);
        } catch (error) {
          this.onListenerError(error);
        }
      }),
    );
    return true;
  }
}
