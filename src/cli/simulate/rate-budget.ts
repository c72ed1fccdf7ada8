import type { ActionCatalogue } from '../../scores/action-catalogue.js';
import { formatRate } from './simulation-format.js';

/** Added to every wait the server's rules impose (clock granularity, the server's own clocks). */
export const SAFETY_MARGIN_MS = 150;

/**
 * The window the engine waits out for the per-user limit: Redis counts in whole seconds, rounded up,
 * so the longer of the two, plus the safety margin.
 */
export function bookkeepingWindowMs(windowMs: number): number {
  return Math.ceil(windowMs / 1000) * 1000 + SAFETY_MARGIN_MS;
}

/** The server's limits: `maxRequests` per user and `globalMaxRequests` per client address per `windowMs`. */
export interface RateLimits {
  windowMs: number;
  maxRequests: number;
  globalMaxRequests?: number;
}

export interface ReachableRate {
  perSec: number;
  limitedBy: 'user' | 'actions' | 'global';
}

/**
 * The rate `players` honest players can keep up without a refusal (updates/s), and why not more.
 * Per player: the per-user limit, and each action type at most once per its minDuration; all
 * together: the per-address limit (every simulated player shares this machine's address).
 */
export function reachableRate(options: { players: number; actions: ActionCatalogue; rateLimit: RateLimits }): ReachableRate {
  const { windowMs, maxRequests, globalMaxRequests } = options.rateLimit;
  const perUser = (maxRequests / windowMs) * 1000;
  let perActions = 0;
  for (const rule of options.actions.values()) perActions += rule.minDurationMs <= 0 ? Infinity : 1000 / (rule.minDurationMs + SAFETY_MARGIN_MS);
  const perPlayer = Math.min(perUser, perActions);
  const all = options.players * perPlayer;
  const global = globalMaxRequests === undefined ? Infinity : (globalMaxRequests / windowMs) * 1000;
  if (global < all) return { perSec: global, limitedBy: 'global' };
  return { perSec: all, limitedBy: perUser <= perActions ? 'user' : 'actions' };
}

/**
 * The rate the run aims at: the one asked for, or the reachable one when that is less, with the note
 * that says why (undefined when the asked rate is reachable).
 */
export function targetRate(options: { players: number; ratePerSec: number; actions: ActionCatalogue; rateLimit: RateLimits }): { perSec: number; note?: string } {
  const reachable = reachableRate(options);
  if (options.ratePerSec <= reachable.perSec * 1.0001) return { perSec: options.ratePerSec };
  const { maxRequests, globalMaxRequests } = options.rateLimit;
  const target = reachable.perSec;
  const window = `${options.rateLimit.windowMs / 1000} s`;
  const why =
    reachable.limitedBy === 'global'
      ? `the server accepts at most ${globalMaxRequests} updates per ${window} from one address (RATE_LIMIT_GLOBAL_MAX_REQUESTS)`
      : reachable.limitedBy === 'user'
        ? `${options.players} honest players can send at most ${maxRequests} updates per ${window} each (RATE_LIMIT_MAX_REQUESTS)`
        : `${options.players} honest players can send each action type at most once per its minDuration`;
  const perPlayer = reachableRate({ ...options, players: 1 }).perSec;
  const more =
    reachable.limitedBy === 'global' || (globalMaxRequests !== undefined && (globalMaxRequests / options.rateLimit.windowMs) * 1000 < options.ratePerSec)
      ? ''
      : ` For ${formatRate(options.ratePerSec)}/s use --players ${Math.ceil(options.ratePerSec / perPlayer - 1e-9)} or more.`;
  return {
    perSec: target,
    note: `note: ${why}, so ${formatRate(target)} updates/s is the most they reach without being refused; running at ${formatRate(target)}/s instead of ${formatRate(options.ratePerSec)}/s.${more}`,
  };
}

/**
 * What the server's rate limits will allow next. A request counts against a limit from when it is
 * sent until a window after its answer (the server counted it somewhere in between); one in flight
 * counts as well. Per user, the caller keeps each player's attempts (answer times, ascending).
 */
export class RateBudget {
  /** The window waited out, {@link bookkeepingWindowMs} of the server's. */
  readonly windowMs: number;
  private readonly maxRequests: number;
  private readonly globalMaxRequests: number | undefined;
  private inFlight = 0;
  private readonly globalAnswers: number[] = [];
  private globalPausedUntil = 0;

  constructor(
    limits: RateLimits,
    private readonly now: () => number,
  ) {
    this.windowMs = bookkeepingWindowMs(limits.windowMs);
    this.maxRequests = limits.maxRequests;
    this.globalMaxRequests = limits.globalMaxRequests;
  }

  /** When the next request from this machine fits the per-address limit (and any global back-off). */
  globalReadyAt(at: number): number {
    const { globalMaxRequests, globalAnswers, windowMs } = this;
    if (globalMaxRequests === undefined) return this.globalPausedUntil;
    while (globalAnswers.length > 0 && globalAnswers[0]! <= at - windowMs) globalAnswers.shift();
    const excess = this.inFlight + globalAnswers.length + 1 - globalMaxRequests;
    if (excess <= 0) return this.globalPausedUntil;
    if (excess > globalAnswers.length) return Math.max(this.globalPausedUntil, at + 50); // wait for answers
    return Math.max(this.globalPausedUntil, globalAnswers[excess - 1]! + windowMs);
  }

  /** When a player with these attempts may send again under the per-user limit. */
  userReadyAt(attempts: readonly number[]): number {
    return attempts.length < this.maxRequests ? 0 : attempts[attempts.length - this.maxRequests]! + this.windowMs;
  }

  /** Adds an attempt answered at `at` to a player's, keeping only those that can still hold one back. */
  recordAttempt(attempts: number[], at: number): void {
    attempts.push(at);
    if (attempts.length > 1 && attempts[attempts.length - 2]! > at) attempts.sort((a, b) => a - b); // seeds
    // Only the latest maxRequests within a window can hold the next request back.
    let drop = Math.max(0, attempts.length - this.maxRequests);
    while (drop < attempts.length && attempts[drop]! <= this.now() - this.windowMs) drop++;
    if (drop > 0) attempts.splice(0, drop);
  }

  /** A request is on its way. */
  started(): void {
    this.inFlight += 1;
  }

  /** The request started last ended (answered or failed) at `at`. */
  ended(at: number): void {
    this.inFlight -= 1;
    if (this.globalMaxRequests !== undefined) this.globalAnswers.push(at);
  }

  /** The server asked every request from this address to wait (a 429 with `scope: global`). */
  pauseGlobal(until: number): void {
    this.globalPausedUntil = until;
  }
}
