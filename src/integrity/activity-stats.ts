/** Per-second counts of this instance's score traffic, for the admin dashboard's charts. */
export interface ActivitySecond {
  /** Epoch seconds. */
  second: number;
  applied: number;
  /** Refusals by reason (`details.reason` of a 403, else the error code). */
  rejected: Record<string, number>;
}

/** A ring of the last `seconds` seconds of counts: O(1) per event, fixed memory. */
export class ActivityStats {
  private readonly ring: ActivitySecond[];

  constructor(private readonly seconds = 600) {
    this.ring = Array.from({ length: seconds }, () => ({ second: -1, applied: 0, rejected: {} }));
  }

  record(atMs: number, outcome: string): void {
    const slot = this.slot(Math.floor(atMs / 1000));
    if (outcome === 'applied') slot.applied += 1;
    else slot.rejected[outcome] = (slot.rejected[outcome] ?? 0) + 1;
  }

  /** The last `seconds` seconds up to `nowMs`, oldest first, zeros where nothing happened. */
  window(nowMs: number, seconds = this.seconds): ActivitySecond[] {
    const now = Math.floor(nowMs / 1000);
    const span = Math.min(seconds, this.seconds);
    const result: ActivitySecond[] = [];
    for (let second = now - span + 1; second <= now; second++) {
      const slot = this.ring[second % this.seconds]!;
      result.push(slot.second === second ? { second, applied: slot.applied, rejected: { ...slot.rejected } } : { second, applied: 0, rejected: {} });
    }
    return result;
  }

  private slot(second: number): ActivitySecond {
    const slot = this.ring[second % this.seconds]!;
    if (slot.second !== second) {
      slot.second = second;
      slot.applied = 0;
      slot.rejected = {};
    }
    return slot;
  }
}
