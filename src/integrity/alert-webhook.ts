import type { FastifyBaseLogger } from 'fastify';

export interface AlertWebhookOptions {
  url: string;
  log: FastifyBaseLogger;
  /** Attempts per alert. @default 4 */
  attempts?: number;
  /** First retry delay; doubles each time. @default 1000 */
  backoffMs?: number;
  /** Per attempt. @default 5000 */
  timeoutMs?: number;
  /** Alerts waiting at most; the oldest is dropped (and logged) beyond it. @default 1000 */
  maxQueued?: number;
}

/**
 * POSTs alerts as JSON, one at a time from a bounded queue, retrying with exponential back-off.
 * `send` only enqueues: the score path never waits for the webhook.
 */
export class AlertWebhook {
  private readonly queue: unknown[] = [];
  private running = false;
  private stopped = false;
  private readonly options: Required<Omit<AlertWebhookOptions, 'log' | 'url'>> & Pick<AlertWebhookOptions, 'log' | 'url'>;

  constructor(options: AlertWebhookOptions) {
    this.options = { attempts: 4, backoffMs: 1000, timeoutMs: 5000, maxQueued: 1000, ...options };
  }

  send(alert: unknown): void {
    if (this.stopped) return;
    if (this.queue.length >= this.options.maxQueued) {
      this.queue.shift();
      this.options.log.warn('alert webhook queue full; dropped the oldest alert');
    }
    this.queue.push(alert);
    if (!this.running) void this.drain();
  }

  /** Stops sending; alerts still queued are dropped. */
  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (!this.stopped && this.queue.length > 0) await this.deliver(this.queue.shift());
    } finally {
      this.running = false;
    }
  }

  private async deliver(alert: unknown): Promise<void> {
    const { attempts, backoffMs, timeoutMs, log, url } = this.options;
    for (let attempt = 1; attempt <= attempts && !this.stopped; attempt++) {
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'scoreboard-alerts' },
          body: JSON.stringify(alert),
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (response.ok) return;
        // A 4xx other than 429 will not get better by retrying.
        if (response.status < 500 && response.status !== 429) {
          log.warn({ status: response.status }, 'alert webhook refused the alert');
          return;
        }
        log.warn({ status: response.status, attempt }, 'alert webhook failed');
      } catch (error) {
        log.warn({ err: error, attempt }, 'alert webhook unreachable');
      }
      if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, backoffMs * 2 ** (attempt - 1)).unref());
    }
    log.error('alert webhook: alert dropped after every retry');
  }
}
