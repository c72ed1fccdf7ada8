/** Latencies in log buckets of 1 %, from 0.01 ms up: constant memory for runs of any length. */
export class LatencyHistogram {
  private static readonly STEP = Math.log(1.01);
  private readonly counts = new Uint32Array(2400);
  total = 0;

  record(ms: number): void {
    const index = ms <= 0.01 ? 0 : Math.min(this.counts.length - 1, Math.ceil(Math.log(ms / 0.01) / LatencyHistogram.STEP));
    this.counts[index]! += 1;
    this.total += 1;
  }

  percentile(p: number): number {
    if (this.total === 0) return 0;
    const target = Math.max(1, Math.ceil(p * this.total));
    let seen = 0;
    for (let index = 0; index < this.counts.length; index++) {
      seen += this.counts[index]!;
      if (seen >= target) return 0.01 * Math.exp(index * LatencyHistogram.STEP);
    }
    return 0;
  }
}
