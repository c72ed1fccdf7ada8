import http from 'node:http';
import autocannon, { type RawRequest, type RequestSpec } from 'autocannon';
import { Samples, type LatencySummary } from './stats.js';

export interface LoadOptions {
  url: string;
  connections: number;
  durationSec: number;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  /**
   * Builds each request (a fresh body, a random player): called once per request sent. `context`
   * is the connection's; with one request per connection it holds what this request stored in it
   * until its response has been handed to `onResponse`.
   */
  setupRequest?: (request: RawRequest, context: Record<string, unknown>) => RawRequest;
  timeoutSec?: number;
  onResponse?: (status: number, context: Record<string, unknown>) => void;
}

export interface LoadResult {
  seconds: number;
  responses: number;
  /** Responses with a 2xx status. */
  ok: number;
  /** 2xx responses per second. */
  rate: number;
  byStatus: Record<string, number>;
  errors: number;
  timeouts: number;
  latency: LatencySummary;
  /** A few bodies of non-2xx responses, to tell what went wrong. */
  failureSamples: Array<{ status: number; body: string }>;
}

/** An autocannon run that keeps every response's latency (autocannon itself reports no p95). */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const samples = new Samples();
  const byStatus: Record<string, number> = {};
  const failureSamples: Array<{ status: number; body: string }> = [];
  const spec: RequestSpec = {
    method: options.method ?? 'GET',
    path: options.path,
    headers: options.headers ?? {},
    onResponse(status, body, context) {
      if ((status < 200 || status > 299) && failureSamples.length < 5) failureSamples.push({ status, body: body.slice(0, 500) });
      options.onResponse?.(status, context);
    },
  };
  if (options.setupRequest) spec.setupRequest = options.setupRequest;
  const started = performance.now();
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSec,
    timeout: options.timeoutSec ?? 30,
    requests: [spec],
  });
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    samples.add(responseTime);
    const key = String(statusCode);
    byStatus[key] = (byStatus[key] ?? 0) + 1;
  });
  const stopOnAbort = () => instance.stop();
  abortListeners.add(stopOnAbort);
  try {
    const result = await instance;
    const seconds = (performance.now() - started) / 1000;
    let ok = 0;
    for (const [status, count] of Object.entries(byStatus)) if (status.startsWith('2')) ok += count;
    return {
      seconds,
      responses: samples.count,
      ok,
      rate: ok / seconds,
      byStatus,
      errors: result.errors,
      timeouts: result.timeouts,
      latency: samples.summary(),
      failureSamples,
    };
  } finally {
    abortListeners.delete(stopOnAbort);
  }
}

const abortListeners = new Set<() => void>();

/** A note for the report when some requests got no answer; null when all did. */
export function unansweredNote(result: LoadResult): string | null {
  if (result.errors === 0 && result.timeouts === 0) return null;
  return `${result.timeouts} requests timed out (no answer within 30 s) and ${result.errors} connection errors in all: the server was overloaded`;
}

/** Stops every running load (Ctrl-C). */
export function stopAllLoads(): void {
  for (const stop of abortListeners) stop();
}

/**
 * Throws, with what the server answered, unless every response was 2xx: anything else means the
 * benchmark sends what it should not. Requests that got no answer at all (connection errors,
 * 30 s timeouts) are the server's doing under load: see `unansweredNote`.
 */
export function assertAllOk(name: string, result: LoadResult): void {
  const bad = result.responses - result.ok;
  if (bad > 0) {
    throw new Error(
      `${name}: ${bad} non-2xx responses, ${result.errors} connection errors, ${result.timeouts} timeouts ` +
        `(status counts ${JSON.stringify(result.byStatus)}); the benchmark is broken. Samples:\n` +
        result.failureSamples.map((sample) => `  ${sample.status} ${sample.body}`).join('\n'),
    );
  }
}

export interface PacedResponse {
  status: number;
  body: string;
  /** Wall-clock time (epoch ms, sub-millisecond) at which the whole response had arrived. */
  receivedAt: number;
  latencyMs: number;
}

/**
 * Sends `build()` requests at a steady `ratePerSec` (spread evenly, not in bursts as autocannon's
 * rate limit does) over keep-alive connections, for `durationSec`. At most `maxInFlight` requests
 * are outstanding: a send that falls due while they all wait is skipped (and counted), so a
 * server that cannot keep up shows a lower achieved rate instead of an ever-growing queue here.
 */
export async function runPaced(options: {
  url: string;
  ratePerSec: number;
  durationSec: number;
  maxInFlight?: number;
  build: () => { path: string; headers: Record<string, string>; body: string; tag: unknown };
  onResponse: (response: PacedResponse, tag: unknown) => void;
}): Promise<{ sent: number; skipped: number; received: number; errors: number; seconds: number; latency: LatencySummary }> {
  const maxInFlight = options.maxInFlight ?? 64;
  const agent = new http.Agent({ keepAlive: true, maxSockets: maxInFlight });
  const target = new URL(options.url);
  const samples = new Samples();
  let sent = 0;
  let due = 0;
  let skipped = 0;
  let received = 0;
  let errors = 0;
  let stopped = false;
  const stop = () => {
    stopped = true;
  };
  abortListeners.add(stop);
  const inFlight = new Set<Promise<void>>();
  const send = () => {
    const { path, headers, body, tag } = options.build();
    const startedAt = performance.now();
    const promise = new Promise<void>((resolve) => {
      const request = http.request(
        { host: target.hostname, port: target.port, method: 'POST', path, headers: { ...headers, 'content-length': Buffer.byteLength(body) }, agent },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const now = performance.now();
            received += 1;
            samples.add(now - startedAt);
            options.onResponse(
              { status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString(), receivedAt: performance.timeOrigin + now, latencyMs: now - startedAt },
              tag,
            );
            resolve();
          });
        },
      );
      request.on('error', () => {
        errors += 1;
        resolve();
      });
      request.end(body);
    });
    sent += 1;
    inFlight.add(promise);
    void promise.then(() => inFlight.delete(promise));
  };
  const started = performance.now();
  try {
    await new Promise<void>((resolve) => {
      const tick = () => {
        const elapsed = performance.now() - started;
        if (stopped || elapsed >= options.durationSec * 1000) return resolve();
        const now = Math.floor((elapsed / 1000) * options.ratePerSec);
        for (; due < now; due++) {
          if (inFlight.size >= maxInFlight) skipped += 1;
          else send();
        }
        setTimeout(tick, 2);
      };
      tick();
    });
    await Promise.all(inFlight);
  } finally {
    abortListeners.delete(stop);
    agent.destroy();
  }
  return { sent, skipped, received, errors, seconds: (performance.now() - started) / 1000, latency: samples.summary() };
}
