/**
 * An item waited longer than `maxWaitMs` for its batch to leave: the database is not keeping up
 * (or not answering). Like a pool's connect timeout, it means "retry later"; nothing was written.
 */
export class WriteQueueTimeoutError extends Error {
  constructor(waitedMs: number) {
    super(`timeout exceeded when waiting ${Math.round(waitedMs)} ms for a database write`);
    this.name = 'WriteQueueTimeoutError';
  }
}

/** One item's result from a batch: its value, or the error that is its alone. */
export type BatchResult<O> = { ok: true; value: O } | { ok: false; error: unknown };

export interface GroupCommitOptions<I, O> {
  /**
   * Writes a batch (one statement, one commit) and answers each item in order. Throwing fails every
   * item of the batch with that error.
   */
  write: (items: I[]) => Promise<Array<BatchResult<O>>>;
  /**
   * Keys an item holds while queued in a batch or written (e.g. its user id and action id): two
   * items sharing a key are never in one batch nor written at the same time, so a batch never
   * touches one row twice and items sharing a key are written in arrival order.
   */
  keys: (item: I) => readonly string[];
  /** Batches written at once. @default 4 */
  concurrency?: number;
  /** Most items in one batch. @default 256 */
  maxBatch?: number;
  /**
   * Longest an item may wait for its batch to leave (not for the write itself, which the database
   * client bounds) before it fails with a WriteQueueTimeoutError. @default 3000
   */
  maxWaitMs?: number;
  /** Told of every batch written (its size), for metrics. */
  onBatch?: (size: number) => void;
}

interface Pending<I, O> {
  item: I;
  queuedAt: number;
  keys: readonly string[];
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: items arriving while earlier batches are being written wait and leave together
 * as the next batch, so under load one statement and one commit carry many callers' writes, and
 * at low load a lone item leaves at once (after the current tick's other arrivals). Each caller
 * still gets its own result or error.
 */
export class GroupCommit<I, O> {
  private queue: Array<Pending<I, O>> = [];
  private readonly busy = new Set<string>();
  private inFlight = 0;
  private scheduled = false;
  private readonly concurrency: number;
  private readonly maxBatch: number;
  private readonly maxWaitMs: number;
  private expiry: NodeJS.Timeout | null = null;

  constructor(private readonly options: GroupCommitOptions<I, O>) {
    this.concurrency = options.concurrency ?? 4;
    this.maxBatch = options.maxBatch ?? 256;
    this.maxWaitMs = options.maxWaitMs ?? 3000;
  }

  /** Queues one item; resolves with its result once its batch is committed. */
  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, queuedAt: performance.now(), keys: this.options.keys(item), resolve, reject });
      this.armExpiry();
      if (!this.scheduled && this.inFlight < this.concurrency) {
        this.scheduled = true;
        // After the other arrivals of this turn of the event loop, so they share the batch.
        setImmediate(() => {
          this.scheduled = false;
          this.pump();
        });
      }
    });
  }

  /** Items queued, not yet written. */
  get waiting(): number {
    return this.queue.length;
  }

  /** One timer for the whole queue, due when its oldest item would have waited too long. */
  private armExpiry(): void {
    const oldest = this.queue[0];
    if (this.expiry || !oldest) return;
    const dueInMs = Math.max(0, oldest.queuedAt + this.maxWaitMs - performance.now());
    this.expiry = setTimeout(() => {
      this.expiry = null;
      this.expire();
      this.armExpiry();
    }, dueInMs);
  }

  /** Nothing is waiting: no timer may keep the process alive. */
  private disarmExpiry(): void {
    if (this.expiry) clearTimeout(this.expiry);
    this.expiry = null;
  }

  private expire(): void {
    const now = performance.now();
    const expired = this.queue.filter((pending) => now - pending.queuedAt >= this.maxWaitMs);
    if (expired.length === 0) return;
    this.queue = this.queue.filter((pending) => now - pending.queuedAt < this.maxWaitMs);
    for (const pending of expired) pending.reject(new WriteQueueTimeoutError(now - pending.queuedAt));
  }

  private pump(): void {
    while (this.inFlight < this.concurrency && this.queue.length > 0) {
      const batch = this.take();
      if (batch.length === 0) return; // every queued item waits for a key held by a batch in flight
      this.inFlight += 1;
      void this.write(batch);
    }
  }

  /** The next batch: queued items in arrival order, skipping any whose keys are taken. */
  private take(): Array<Pending<I, O>> {
    const batch: Array<Pending<I, O>> = [];
    const rest: Array<Pending<I, O>> = [];
    const claimed = new Set<string>();
    for (const pending of this.queue) {
      const free = batch.length < this.maxBatch && pending.keys.every((key) => !this.busy.has(key) && !claimed.has(key));
      // A skipped item's keys stay claimed, so a later item with the same key cannot overtake it.
      for (const key of pending.keys) claimed.add(key);
      (free ? batch : rest).push(pending);
    }
    this.queue = rest;
    if (rest.length === 0) this.disarmExpiry();
    for (const pending of batch) for (const key of pending.keys) this.busy.add(key);
    return batch;
  }

  private async write(batch: Array<Pending<I, O>>): Promise<void> {
    try {
      this.options.onBatch?.(batch.length);
      const results = await this.options.write(batch.map((pending) => pending.item));
      batch.forEach((pending, index) => {
        const result = results[index];
        if (!result) pending.reject(new Error('a batch write returned fewer results than items'));
        else if (result.ok) pending.resolve(result.value);
        else pending.reject(result.error);
      });
    } catch (error) {
      for (const pending of batch) pending.reject(error);
    } finally {
      for (const pending of batch) for (const key of pending.keys) this.busy.delete(key);
      this.inFlight -= 1;
      this.pump();
    }
  }
}
