/** Why an export could not start now; null when it was admitted. */
export type ExportRefusal = 'user-busy' | 'instance-busy' | null;

/**
 * The exports in flight on this instance: one per user at a time, at most `maxInFlight` in all.
 * An admitted export must be released exactly once, however it ends.
 */
export class ExportAdmission {
  private readonly users = new Set<string>();

  constructor(private readonly maxInFlight: number) {}

  admit(userId: string): ExportRefusal {
    if (this.users.has(userId)) return 'user-busy';
    if (this.users.size >= this.maxInFlight) return 'instance-busy';
    this.users.add(userId);
    return null;
  }

  release(userId: string): void {
    this.users.delete(userId);
  }

  /** Exports streaming now. */
  get inFlight(): number {
    return this.users.size;
  }
}
