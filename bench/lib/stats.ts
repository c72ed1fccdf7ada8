/** Latency samples (milliseconds) in a growable typed array, with exact percentiles. */
export class Samples {
  private data: Float64Array;
  private length = 0;

  constructor(initialCapacity = 1 << 16) {
    this.data = new Float64Array(initialCapacity);
  }

  add(value: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = value;
  }

  get count(): number {
    return this.length;
  }

  summary(): LatencySummary {
    return summarize(this.data.subarray(0, this.length));
  }
}

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of the values (sorted in place). */
export function summarize(values: Float64Array): LatencySummary {
  const n = values.length;
  if (n === 0) return { count: 0, mean: NaN, p50: NaN, p95: NaN, p99: NaN, max: NaN };
  values.sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const at = (q: number) => values[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!;
  return { count: n, mean: sum / n, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: values[n - 1]! };
}

/**
 * Percentiles of a very large number of values kept as counts in fixed-width buckets (the
 * fan-out scenario has tens of millions of socket deliveries): exact to `resolutionMs`.
 */
export class BucketHistogram {
  private readonly counts: Float64Array;
  private readonly offset: number;
  private total = 0;
  private sum = 0;
  private max = -Infinity;
  private below = 0;

  /** Values from `minMs` to `maxMs` (clamped beyond), in buckets of `resolutionMs`. */
  private readonly resolutionMs: number;

  constructor(minMs = -1000, maxMs = 60_000, resolutionMs = 0.1) {
    this.resolutionMs = resolutionMs;
    this.counts = new Float64Array(Math.ceil((maxMs - minMs) / resolutionMs) + 1);
    this.offset = -minMs / resolutionMs;
  }

  add(valueMs: number, times = 1): void {
    let index = Math.round(valueMs / this.resolutionMs + this.offset);
    if (index < 0) index = 0;
    if (index >= this.counts.length) index = this.counts.length - 1;
    this.counts[index]! += times;
    this.total += times;
    this.sum += valueMs * times;
    if (valueMs > this.max) this.max = valueMs;
    if (valueMs < 0) this.below += times;
  }

  get count(): number {
    return this.total;
  }

  /** How many values were negative (e.g. a broadcast that beat the HTTP response to the client). */
  get negative(): number {
    return this.below;
  }

  summary(): LatencySummary {
    if (this.total === 0) return { count: 0, mean: NaN, p50: NaN, p95: NaN, p99: NaN, max: NaN };
    const targets = [0.5, 0.95, 0.99].map((q) => Math.max(1, Math.ceil(q * this.total)));
    const found: number[] = [];
    let seen = 0;
    for (let i = 0; i < this.counts.length && found.length < targets.length; i++) {
      seen += this.counts[i]!;
      while (found.length < targets.length && seen >= targets[found.length]!) found.push((i - this.offset) * this.resolutionMs);
    }
    return { count: this.total, mean: this.sum / this.total, p50: found[0]!, p95: found[1]!, p99: found[2]!, max: this.max };
  }
}

export function formatMs(value: number): string {
  if (!Number.isFinite(value)) return '-';
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export function formatRate(value: number): string {
  if (!Number.isFinite(value)) return '-';
  return Math.round(value).toLocaleString('en-US');
}

export function formatMiB(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '-';
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

/** A plain-text table with aligned columns. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
