import { randomBytes, randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { createTokenSigner } from '../auth/jwt.js';
import type { ActionCatalogue } from '../scores/action-catalogue.js';
import { signAction } from '../scores/signature.js';

/**
 * `scoreboard simulate`: simulated players posting signed score updates against a running server.
 *
 * The engine (this module's `runSimulation`) owns what every player shares: tokens, signing, HTTP,
 * bookkeeping of what the server's limits will allow, counting, progress. What a player *does* —
 * when it acts and what it claims — is a {@link PlayerProfile}. `honestProfile` keeps every rule, so
 * that the server never refuses it; the cheating profiles of {@link CHEAT_PROFILES} run beside it
 * (`--cheaters N`), each breaking one rule or habit the anti-cheat looks for.
 */

/** What a profile sees of its player. The engine keeps it current before every call. */
export interface PlayerView {
  /** 1-based number of the player (also in its user id and name). */
  readonly index: number;
  readonly userId: string;
  readonly username: string;
  /** Mean ms between this player's actions for the rate the run aims at. */
  readonly meanIntervalMs: number;
  /** Updates this player has sent so far (counted when sent). */
  readonly sent: number;
  /**
   * Per action type (upper case, every type of the catalogue): the time (`now` clock) from which an
   * update of that type is accepted again, i.e. the type's minDuration after its last accepted update,
   * with a safety margin. At or before `now`: ready.
   */
  readonly actionReadyAt: ReadonlyMap<string, number>;
  /**
   * The time from which the next request fits the server's rate limits (per user and per client
   * address), and after any back-off the server asked for. At or before `now`: ready.
   */
  readonly readyAt: number;
  /** Scratch space that belongs to the profile, one per player. */
  readonly memo: Record<string, number | undefined>;
}

/** The engine's writable side of a player's view (it updates it; profiles only read it). */
export type PlayerViewState = { -readonly [K in keyof PlayerView]: PlayerView[K] } & { actionReadyAt: Map<string, number> };

/** What a profile knows about the run. */
export interface ProfileContext {
  /** The current time (ms since the epoch, the run's `now` clock). */
  readonly now: number;
  readonly actions: ActionCatalogue;
  /** Uniform in [0, 1). */
  readonly random: () => number;
  /** The server's per-user limit: at most `maxRequests` attempts per `windowMs`. */
  readonly rateLimit: { readonly windowMs: number; readonly maxRequests: number };
}

export interface ChosenAction {
  actionType: string;
  scoreIncrement: number;
  /** Sign the update with a key other than the server's (a forged update): 403 INVALID_SIGNATURE. */
  wrongKey?: boolean;
  /**
   * Send it with `X-Forwarded-For: <address>`. The server takes the client address from that header
   * only when it runs with TRUST_PROXY=true; otherwise it sees this machine's address.
   */
  forwardedFor?: string;
}

/** How one kind of player behaves. */
export interface PlayerProfile {
  name: string;
  /**
   * ms until this player's next action; 0 or less: act now. Asked again after every wait (the
   * engine sleeps at most a second at a time), so it must answer the same until the player acts.
   */
  nextDelayMs(player: PlayerView, context: ProfileContext): number;
  /** The action to send now. */
  chooseAction(player: PlayerView, context: ProfileContext): ChosenAction;
}

/** How far behind its plan an honest player may fall before it stops trying to catch up (in mean intervals). */
const MAX_BACKLOG_INTERVALS = 3;

/** Added to every wait the server's rules impose (clock granularity, the server's own clocks). */
export const SAFETY_MARGIN_MS = 150;

/**
 * The window the engine waits out for the per-user limit: Redis counts in whole seconds, rounded up,
 * so the longer of the two, plus the safety margin.
 */
export function bookkeepingWindowMs(windowMs: number): number {
  return Math.ceil(windowMs / 1000) * 1000 + SAFETY_MARGIN_MS;
}

/** An honest increment for an action worth at most `maxScore`: 1..maxScore, mostly small (u^3). */
export function honestIncrement(maxScore: number, random: () => number): number {
  // About a quarter of TASK_COMPLETEs (max 50) are worth 1 point, half at most 6, few near the max.
  return Math.min(maxScore, Math.max(1, Math.ceil(maxScore * random() ** 3)));
}

/**
 * An honest player: acts at irregular, human-looking intervals (0.5 to 1.5 times its mean, catching
 * up after a wait), only with action types whose minDuration has passed and only within the rate
 * limits; increments are spread over 1..maxScore, mostly small.
 */
export const honestProfile: PlayerProfile = {
  name: 'honest',
  nextDelayMs(player, { now, random }) {
    const { memo } = player;
    if (memo.plannedFor !== player.sent) {
      const mean = player.meanIntervalMs;
      const previous = memo.plannedAt;
      memo.plannedAt =
        previous === undefined
          ? now + random() * mean // the first action: spread players over one interval
          : Math.max(previous + mean * (0.5 + random()), now - MAX_BACKLOG_INTERVALS * mean);
      memo.plannedFor = player.sent;
    }
    const firstReadyAction = Math.min(...player.actionReadyAt.values());
    return Math.max(memo.plannedAt!, player.readyAt, firstReadyAction) - now;
  },
  chooseAction(player, { now, actions, random }) {
    const types = [...actions.keys()];
    const ready = types.filter((type) => (player.actionReadyAt.get(type) ?? 0) <= now);
    const pool = ready.length > 0 ? ready : [types.reduce((a, b) => ((player.actionReadyAt.get(a) ?? 0) <= (player.actionReadyAt.get(b) ?? 0) ? a : b))];
    const actionType = pool[Math.floor(random() * pool.length)] ?? types[0]!;
    return { actionType, scoreIncrement: honestIncrement(actions.get(actionType)?.maxScore ?? 1, random) };
  },
};

// ---------------------------------------------------------------------------------------------
// Cheaters. Each breaks one rule or habit the anti-cheat looks for (README "Anti-cheat") and keeps
// the others, so that what flags it is its own behaviour.

/** At least this long between two requests of a cheater, whatever the rules allow (a cheat, not a load test). */
const MIN_CHEAT_INTERVAL_MS = 100;
/** How often a `bad-signature` player forges its signature. */
export const BAD_SIGNATURE_SHARE = 0.5;

/** The action type with the longest minDuration: the wait most worth skipping. */
function slowestType(actions: ActionCatalogue): string {
  return [...actions.entries()].reduce((a, b) => (b[1].minDurationMs > a[1].minDurationMs ? b : a))[0];
}

/** The action type a bot can repeat most often (the shortest minDuration). */
function quickestType(actions: ActionCatalogue): string {
  return [...actions.entries()].reduce((a, b) => (b[1].minDurationMs < a[1].minDurationMs ? b : a))[0];
}

/**
 * The fixed interval of a `too-regular` bot: its action's minDuration + 50 ms, at least a second, and
 * slow enough that the per-user limit never holds it back.
 */
export function regularIntervalMs(actions: ActionCatalogue, rateLimit: ProfileContext['rateLimit']): number {
  const rule = actions.get(quickestType(actions))!;
  return Math.max(1000, rule.minDurationMs + 50, Math.ceil(bookkeepingWindowMs(rateLimit.windowMs) / rateLimit.maxRequests) + 50);
}

/** A different documentation address (RFC 5737) for every request of a player: 198.51.100.x, 203.0.113.x, 192.0.2.x. */
export function spoofedAddress(playerIndex: number, request: number): string {
  const k = playerIndex * 7919 + request;
  return `${['198.51.100', '203.0.113', '192.0.2'][k % 3]}.${(Math.floor(k / 3) % 254) + 1}`;
}

/**
 * `too-fast`: ignores minDuration. Sends the action type with the longest minDuration about twice as
 * often as that allows (or at the honest pace, if faster), irregularly, keeping only the rate limits:
 * most of its updates are refused 403 TOO_FAST.
 */
export const tooFastProfile: PlayerProfile = {
  name: 'too-fast',
  nextDelayMs(player, { now, actions, random }) {
    const { memo } = player;
    if (memo.plannedFor !== player.sent) {
      const rule = actions.get(slowestType(actions))!;
      const interval = Math.max(MIN_CHEAT_INTERVAL_MS, rule.minDurationMs > 0 ? Math.min(player.meanIntervalMs, rule.minDurationMs / 2) : player.meanIntervalMs);
      const previous = memo.plannedAt;
      memo.plannedAt =
        previous === undefined
          ? now + random() * interval
          : Math.max(previous + interval * (0.5 + random()), now - MAX_BACKLOG_INTERVALS * interval);
      memo.plannedFor = player.sent;
    }
    return Math.max(memo.plannedAt!, player.readyAt) - now;
  },
  chooseAction(_player, { actions, random }) {
    const actionType = slowestType(actions);
    return { actionType, scoreIncrement: honestIncrement(actions.get(actionType)!.maxScore, random) };
  },
};

/**
 * `too-regular`: a bot on a metronome. Always the action it may repeat most often, at an exact fixed
 * interval ({@link regularIntervalMs}: e.g. every 1050 ms for a minDuration of 1000 ms, or 6065 ms
 * under 10 updates a minute), with honest increments: within every rule, but machine-regular.
 */
export const tooRegularProfile: PlayerProfile = {
  name: 'too-regular',
  nextDelayMs(player, { now, actions, rateLimit }) {
    const { memo } = player;
    if (memo.plannedFor !== player.sent) {
      const interval = regularIntervalMs(actions, rateLimit);
      const previous = memo.plannedAt;
      // The next tick after the last one; ticks missed while held back are skipped, not caught up.
      memo.plannedAt = previous === undefined ? now : previous + interval * Math.max(1, Math.ceil((now - previous) / interval));
      memo.plannedFor = player.sent;
    }
    return Math.max(memo.plannedAt!, player.readyAt, player.actionReadyAt.get(quickestType(actions)) ?? 0) - now;
  },
  chooseAction(_player, { actions, random }) {
    const actionType = quickestType(actions);
    return { actionType, scoreIncrement: honestIncrement(actions.get(actionType)!.maxScore, random) };
  },
};

/**
 * `too-much-score`: always claims the action's maxScore, with whichever action is worth most of those
 * ready, as soon as minDurations and the rate limits allow: every update is accepted, and the score
 * grows far faster than anyone else's.
 */
export const tooMuchScoreProfile: PlayerProfile = {
  name: 'too-much-score',
  nextDelayMs(player, { now }) {
    const { memo } = player;
    if (memo.plannedFor !== player.sent) {
      memo.lastSentAt = player.sent === 0 ? -Infinity : now;
      memo.plannedFor = player.sent;
    }
    const firstReadyAction = Math.min(...player.actionReadyAt.values());
    return Math.max(player.readyAt, firstReadyAction, memo.lastSentAt! + MIN_CHEAT_INTERVAL_MS) - now;
  },
  chooseAction(player, { now, actions }) {
    const entries = [...actions.entries()];
    const ready = entries.filter(([type]) => (player.actionReadyAt.get(type) ?? 0) <= now);
    const [actionType, rule] =
      ready.length > 0
        ? ready.reduce((a, b) => (b[1].maxScore > a[1].maxScore ? b : a))
        : entries.reduce((a, b) => ((player.actionReadyAt.get(b[0]) ?? 0) < (player.actionReadyAt.get(a[0]) ?? 0) ? b : a));
    return { actionType, scoreIncrement: rule.maxScore };
  },
};

/**
 * `many-ips`: plays like an honest player, but every request claims another client address in
 * `X-Forwarded-For` (a player hopping proxies, or many devices on one account). The server reads that
 * header only when it runs with TRUST_PROXY=true: without it, every request comes from this machine.
 */
export const manyIpsProfile: PlayerProfile = {
  name: 'many-ips',
  nextDelayMs: (player, context) => honestProfile.nextDelayMs(player, context),
  chooseAction: (player, context) => ({ ...honestProfile.chooseAction(player, context), forwardedFor: spoofedAddress(player.index, player.sent) }),
};

/**
 * `bad-signature`: plays like an honest player, but signs about half of its updates
 * ({@link BAD_SIGNATURE_SHARE}) with a wrong key, as a tampered client would: 403 INVALID_SIGNATURE.
 */
export const badSignatureProfile: PlayerProfile = {
  name: 'bad-signature',
  nextDelayMs: (player, context) => honestProfile.nextDelayMs(player, context),
  chooseAction: (player, context) => ({ ...honestProfile.chooseAction(player, context), wrongKey: context.random() < BAD_SIGNATURE_SHARE }),
};

export const CHEAT_PROFILE_NAMES = ['too-fast', 'too-regular', 'too-much-score', 'many-ips', 'bad-signature'] as const;
export type CheatProfileName = (typeof CHEAT_PROFILE_NAMES)[number];

/** The cheating profiles by name (`--cheat-profiles`). */
export const CHEAT_PROFILES: Readonly<Record<CheatProfileName, PlayerProfile>> = {
  'too-fast': tooFastProfile,
  'too-regular': tooRegularProfile,
  'too-much-score': tooMuchScoreProfile,
  'many-ips': manyIpsProfile,
  'bad-signature': badSignatureProfile,
};

/** `count` cheaters over `names`, round robin: the profile of each cheater, in order. */
export function spreadCheaters(count: number, names: readonly CheatProfileName[] = CHEAT_PROFILE_NAMES): PlayerProfile[] {
  return Array.from({ length: names.length === 0 ? 0 : count }, (_, i) => CHEAT_PROFILES[names[i % names.length]!]);
}

/** Something progress is written to (`process.stdout`, or a collector in tests). */
export interface ProgressOutput {
  write(chunk: string): unknown;
  /** A terminal gets one line rewritten every second; anything else a line every 5 s. */
  isTTY?: boolean;
}

export interface SimulationOptions {
  /** Base URL of the server, e.g. `http://localhost:3000`. */
  url: string;
  players: number;
  /** Updates per second, all players together. */
  ratePerSec: number;
  /** Run this long; undefined: until `signal` aborts. */
  durationMs: number | undefined;
  jwtSecret: string;
  hmacSecretKey: string;
  /** The server's action catalogue (honest players keep its minDurations). */
  actions: ActionCatalogue;
  /** The server's limits: `maxRequests` per user and `globalMaxRequests` per client address per `windowMs`. */
  rateLimit: { windowMs: number; maxRequests: number; globalMaxRequests?: number };
  /** User ids are `<prefix><n>`; default `sim-`. */
  userIdPrefix?: string;
  /** Aborting stops the run: no new requests, in-flight ones finish, the summary is printed. */
  signal?: AbortSignal;
  output?: ProgressOutput;
  /** Clock for request timestamps and scheduling; default `Date.now`. */
  now?: () => number;
  /** Of the `players`; default {@link honestProfile}. */
  profile?: PlayerProfile;
  /**
   * Cheaters beside the `players`, one per entry, with their profiles (e.g. {@link spreadCheaters}).
   * Their user ids are `<prefix><profile>-<n>`. With any, the summary reads the flags the server
   * raised (GET /api/v1/admin/suspicious-activity, with an admin token signed like the players').
   */
  cheaters?: readonly PlayerProfile[];
  /** Default: uniform `Math.random`. */
  random?: () => number;
  /** Default 1000 ms on a TTY, 5000 ms otherwise. */
  progressIntervalMs?: number;
  /** Stop when the server has not answered for this long; default 10000. */
  unreachableAfterMs?: number;
}

export type StopReason = 'duration' | 'signal' | 'unreachable' | 'rejected';

export interface SimulationSummary {
  players: number;
  /** Requests that completed (answered or failed). */
  sent: number;
  /** Answered 200. */
  ok: number;
  /** Answered with an error status. */
  refused: number;
  /** No answer (connection refused, reset, timeout). */
  failed: number;
  /** Answers by HTTP status, e.g. `{"200": 95, "429": 3}`. */
  byStatus: Record<string, number>;
  /**
   * Refusals and failures by error code; a 403's `details.reason` stands for FORBIDDEN (`TOO_FAST`,
   * `INVALID_SIGNATURE`, ...), a failure's network code for itself (`ECONNREFUSED`, `TIMEOUT`).
   */
  byCode: Record<string, number>;
  /** Of the answered requests, in ms (about 1 % precision). */
  latencyMs: { p50: number; p95: number; p99: number };
  elapsedMs: number;
  /** What was asked for, and what the run aimed at within the server's limits (updates/s). */
  requestedRate: number;
  targetRate: number;
  achievedRate: number;
  leader: { userId: string; username: string | null; score: number } | null;
  stopReason: StopReason;
  /** Why the run failed (`unreachable`, `rejected`). */
  error?: string;
  /** Notes printed during the run (the reachable-rate warning, configuration hints). */
  notes: string[];
  /** The same counts per profile: `players`' profile first, then the cheaters' in order of appearance. */
  profiles: ProfileSummary[];
  /** Why the flags could not be read (runs with cheaters only). */
  flagsError?: string;
}

export interface ProfileSummary {
  name: string;
  players: number;
  sent: number;
  ok: number;
  refused: number;
  failed: number;
  /** As {@link SimulationSummary.byCode}. */
  byCode: Record<string, number>;
  /**
   * Runs with cheaters, when the flags could be read: how many of the profile's players the server
   * flagged since the run started (`suspicious_activity`), and how many per reason.
   */
  flagged?: number;
  reasons?: Record<string, number>;
}

/** Parses `30s`, `2m`, `1h`, `1500ms`, `90` (seconds) into ms; undefined when malformed or not positive. */
export function parseDurationMs(raw: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(raw.trim());
  if (!match) return undefined;
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 's'] ?? 1000;
  const ms = Math.round(Number(match[1]) * factor);
  return ms > 0 ? ms : undefined;
}

/** Readable names for the live page: "Ada 17". */
const NAMES = [
  'Ada', 'Alan', 'Grace', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Ken', 'Dennis', 'Radia',
  'Frances', 'John', 'Hedy', 'Katherine', 'Tim', 'Vint', 'Niklaus', 'Bjarne', 'Guido', 'Anita',
  'Shafi', 'Leslie', 'Tony', 'Sophie', 'Linus', 'Joan', 'Fran', 'Whitfield', 'Jean', 'Lynn',
];

const REQUEST_TIMEOUT_MS = 10_000;
const POLL_TIMEOUT_MS = 5_000;
const LEADER_POLL_MS = 5_000;
const BACKOFF_AFTER_FAILURE_MS = 1_000;
/** Tokens are signed for a day and re-signed every hour, so runs of any length keep going. */
const TOKEN_EXPIRY = '24h';
const TOKEN_REFRESH_MS = 3_600_000;
/** Responses of this kind, with nothing accepted yet, mean the simulator cannot work against this server. */
const FATAL_AFTER = 3;

/** Latencies in log buckets of 1 %, from 0.01 ms up: constant memory for runs of any length. */
class LatencyHistogram {
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

interface Player {
  view: PlayerViewState;
  profile: PlayerProfile;
  /** The counters of the player's profile. */
  group: ProfileStats;
  token: string;
  tokenAt: number;
  seeded: boolean;
  /** When this player's latest attempts were answered (ascending, at most maxRequests kept). */
  attempts: number[];
  pausedUntil: number;
}

interface ProfileStats {
  name: string;
  players: number;
  sent: number;
  ok: number;
  refused: number;
  failed: number;
  byCode: Record<string, number>;
  /** Refusals by label (`429`, `403/TOO_FAST`). */
  byLabel: Map<string, number>;
  /** Failures by network code. */
  byFailure: Map<string, number>;
  /** User id -> reasons flagged, read at the end (runs with cheaters). */
  flags: Map<string, Set<string>>;
}

/** Rows of GET /api/v1/admin/suspicious-activity read at most (pages of 500). */
const MAX_FLAG_PAGES = 20;

interface ErrorEnvelope {
  error?: { code?: unknown; details?: { reason?: unknown; retryAfterMs?: unknown; scope?: unknown } };
}

/** The usual code of a status: shown as just the status (`429`), anything else as `403/TOO_FAST`. */
const PLAIN_CODES: Record<number, string> = {
  401: 'UNAUTHORIZED',
  409: 'DUPLICATE_ACTION',
  413: 'PAYLOAD_TOO_LARGE',
  429: 'RATE_LIMIT_EXCEEDED',
  503: 'SERVICE_UNAVAILABLE',
};

const HINTS: Record<string, string> = {
  INVALID_ACTION: 'the server does not know an action type of this catalogue: does the simulator see the same ACTIONS_CONFIG as the server?',
  SCORE_VALIDATION_FAILED: "the server refused an increment: does the simulator see the same ACTIONS_CONFIG as the server?",
  TIMESTAMP_OUT_OF_RANGE: "the server's clock differs from this machine's by more than TIMESTAMP_TOLERANCE_MS",
  TOO_FAST: 'the server refused an update as TOO_FAST: does the simulator see the same ACTIONS_CONFIG as the server?',
  RATE_LIMIT_EXCEEDED: 'the server refused an update as RATE_LIMIT_EXCEEDED: are RATE_LIMIT_* the same as the server\'s, or is something else sending from this address?',
};

const FATAL: Record<string, string> = {
  UNAUTHORIZED: "the server refuses the simulated players' tokens (401 UNAUTHORIZED): give the simulator the server's JWT_SECRET (or the same DATA_DIR)",
  INVALID_SIGNATURE: "the server refuses the updates' signatures (403 INVALID_SIGNATURE): give the simulator the server's HMAC_SECRET_KEY (or the same DATA_DIR)",
  NOT_FOUND: 'the server has no /api/v1/scores/update route (404): is --url a Scoreboard server?',
};

function formatRate(perSec: number): string {
  const text = perSec >= 100 ? perSec.toFixed(0) : perSec >= 10 ? perSec.toFixed(1) : perSec.toFixed(2);
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

function formatMs(ms: number): string {
  return ms < 10 ? ms.toFixed(1) : ms.toFixed(0);
}

function formatElapsed(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** The network code of a failed fetch: `ECONNREFUSED`, `ENOTFOUND`, `TIMEOUT`, ... */
function networkCode(error: unknown): string {
  const err = error as { name?: string; cause?: { code?: unknown; message?: unknown; errors?: { code?: unknown }[] } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'TIMEOUT';
  const cause = err.cause;
  const code = cause?.code ?? cause?.errors?.find((e) => typeof e.code === 'string')?.code;
  if (typeof code === 'string' && code !== '') return code;
  // undici's own refusals carry only a message ("bad port").
  const message = typeof cause?.message === 'string' ? cause.message.trim().toUpperCase().replace(/[^A-Z0-9]+/g, '_').slice(0, 40) : '';
  return message || 'NETWORK_ERROR';
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * The rate `players` honest players can keep up without a refusal (updates/s), and why not more.
 * Per player: the per-user limit, and each action type at most once per its minDuration; all
 * together: the per-address limit (every simulated player shares this machine's address).
 */
export function reachableRate(options: Pick<SimulationOptions, 'players' | 'actions' | 'rateLimit'>): { perSec: number; limitedBy: 'user' | 'actions' | 'global' } {
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
 * Runs simulated players against `options.url` until the duration passes, `options.signal` aborts,
 * the server cannot be reached for `unreachableAfterMs`, or it refuses the simulator outright (wrong
 * secrets). Never throws for network trouble: the summary's `stopReason` and `error` say what happened.
 */
export async function runSimulation(options: SimulationOptions): Promise<SimulationSummary> {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const output: ProgressOutput = options.output ?? { write: () => true };
  const tty = output.isTTY === true;
  const profile = options.profile ?? honestProfile;
  const cheaters = options.cheaters ?? [];
  const prefix = options.userIdPrefix ?? 'sim-';
  const base = options.url.replace(/\/+$/, '');
  const unreachableAfterMs = options.unreachableAfterMs ?? 10_000;
  const { actions } = options;
  const { maxRequests, globalMaxRequests } = options.rateLimit;
  // Redis counts in whole seconds, rounded up: wait out the longer of the two.
  const windowMs = bookkeepingWindowMs(options.rateLimit.windowMs);

  const notes: string[] = [];
  const pendingNotes: string[] = [];
  let lineShown = false;
  const note = (message: string) => {
    notes.push(message);
    output.write(`${lineShown ? '\r\x1b[K' : ''}${message}\n`);
    lineShown = false;
  };

  // The rate within the server's limits.
  const reachable = reachableRate(options);
  let targetRate = options.ratePerSec;
  if (options.ratePerSec > reachable.perSec * 1.0001) {
    targetRate = reachable.perSec;
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
    pendingNotes.push(`note: ${why}, so ${formatRate(targetRate)} updates/s is the most they reach without being refused; running at ${formatRate(targetRate)}/s instead of ${formatRate(options.ratePerSec)}/s.${more}`);
  }
  const meanIntervalMs = (options.players / targetRate) * 1000;

  // Stopping.
  const stopController = new AbortController();
  setMaxListeners(0, stopController.signal);
  let stopReason: StopReason | undefined;
  let error: string | undefined;
  const stop = (reason: StopReason, message?: string) => {
    if (stopReason) return;
    stopReason = reason;
    error = message;
    stopController.abort();
  };
  const onAbort = () => stop('signal');
  if (options.signal?.aborted) stop('signal');
  options.signal?.addEventListener('abort', onAbort, { once: true });

  // Counters.
  let sent = 0;
  let ok = 0;
  let refused = 0;
  let failed = 0;
  const byStatus: Record<string, number> = {};
  const byCode: Record<string, number> = {};
  const byLabel = new Map<string, number>();
  const byFailure = new Map<string, number>();
  const latency = new LatencyHistogram();
  const hinted = new Set<string>();
  const bump = (record: Record<string, number>, key: string) => {
    record[key] = (record[key] ?? 0) + 1;
  };

  // Reachability: time of the last answer, and since when nothing answers.
  let lastContactAt: number | undefined;
  let failingSince: number | undefined;
  let lastNetworkCode = '';
  const contact = () => {
    lastContactAt = now();
    failingSince = undefined;
  };
  /** `since`: when the failed request was sent, for a timeout (it has been failing that long already). */
  const networkFailure = (code: string, since = now()) => {
    lastNetworkCode = code;
    failingSince ??= code === 'TIMEOUT' ? since : now();
    if (now() - failingSince >= unreachableAfterMs) unreachable();
  };
  const unreachable = () => {
    const hint = lastContactAt === undefined ? ' Is it running? (`scoreboard start`, or pass --url)' : '';
    stop('unreachable', `cannot reach the server at ${base} for ${Math.round(unreachableAfterMs / 1000)} s (${lastNetworkCode}).${hint}`);
  };

  // The leader (from rank-1 answers and from polling the board), and the server's clock.
  let leader: SimulationSummary['leader'] = null;
  let leaderAt = -Infinity;
  let clockOffsetMs = 0;
  let clockUncertaintyMs = 1000;
  let pollPending: Promise<void> | undefined;
  const players: Player[] = [];
  const signer = createTokenSigner(options.jwtSecret, TOKEN_EXPIRY);
  // Counters per profile: the players' first, then the cheaters' in order of appearance.
  const groups = new Map<string, ProfileStats>();
  const groupOf = (name: string): ProfileStats => {
    let group = groups.get(name);
    if (!group) {
      group = { name, players: 0, sent: 0, ok: 0, refused: 0, failed: 0, byCode: {}, byLabel: new Map(), byFailure: new Map(), flags: new Map() };
      groups.set(name, group);
    }
    return group;
  };
  const mainGroup = groupOf(profile.name);
  const everyone = [...Array.from({ length: options.players }, () => profile), ...cheaters];
  for (const [i, playerProfile] of everyone.entries()) {
    const index = i + 1;
    const group = playerProfile === profile ? mainGroup : groupOf(playerProfile.name);
    group.players += 1;
    const cheater = i >= options.players;
    const userId = cheater ? `${prefix}${playerProfile.name}-${group.players}` : `${prefix}${index}`;
    const username = cheater ? `Mallory ${group.players} (${playerProfile.name})` : `${NAMES[(index - 1) % NAMES.length]} ${index}`;
    players.push({
      view: {
        index,
        userId,
        username,
        meanIntervalMs,
        sent: 0,
        actionReadyAt: new Map([...actions.keys()].map((type) => [type, 0])),
        readyAt: 0,
        memo: {},
      },
      profile: playerProfile,
      group,
      token: signer({ userId, username }),
      tokenAt: now(),
      seeded: false,
      attempts: [],
      pausedUntil: 0,
    });
  }
  const first = players[0]!;

  const pollLeader = (timeoutMs = POLL_TIMEOUT_MS): Promise<void> => {
    pollPending ??= (async () => {
      const startedAt = now();
      try {
        const response = await fetch(`${base}/api/v1/scores/leaderboard?limit=1`, {
          headers: { authorization: `Bearer ${first.token}` },
          signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await response.text();
        const answeredAt = now();
        contact();
        if (response.status !== 200) return;
        const body = JSON.parse(text) as { data?: { timestamp?: string; leaderboard?: { userId: string; username: string | null; score: number }[] } };
        const serverNow = Date.parse(body.data?.timestamp ?? '');
        if (Number.isFinite(serverNow)) {
          clockOffsetMs = serverNow - (startedAt + answeredAt) / 2;
          clockUncertaintyMs = (answeredAt - startedAt) / 2 + 2;
        }
        const top = body.data?.leaderboard?.[0];
        if (startedAt >= leaderAt) {
          leader = top ? { userId: top.userId, username: top.username, score: top.score } : null;
          leaderAt = startedAt;
        }
      } catch (err) {
        if (err instanceof SyntaxError) return; // answered, but not with JSON
        networkFailure(networkCode(err), startedAt);
      } finally {
        pollPending = undefined;
      }
    })();
    return pollPending;
  };

  // Rate-limit bookkeeping. A request counts against a limit from when it is sent until a window
  // after its answer (the server counted it somewhere in between); one in flight counts as well.
  let inFlight = 0;
  const globalAnswers: number[] = [];
  let globalPausedUntil = 0;
  const globalReadyAt = (at: number): number => {
    if (globalMaxRequests === undefined) return globalPausedUntil;
    while (globalAnswers.length > 0 && globalAnswers[0]! <= at - windowMs) globalAnswers.shift();
    const excess = inFlight + globalAnswers.length + 1 - globalMaxRequests;
    if (excess <= 0) return globalPausedUntil;
    if (excess > globalAnswers.length) return Math.max(globalPausedUntil, at + 50); // wait for answers
    return Math.max(globalPausedUntil, globalAnswers[excess - 1]! + windowMs);
  };
  const userReadyAt = (player: Player): number =>
    player.attempts.length < maxRequests ? 0 : player.attempts[player.attempts.length - maxRequests]! + windowMs;
  const recordAttempt = (player: Player, at: number) => {
    const { attempts } = player;
    attempts.push(at);
    if (attempts.length > 1 && attempts[attempts.length - 2]! > at) attempts.sort((a, b) => a - b); // seeds
    // Only the latest maxRequests within a window can hold the next request back.
    let drop = Math.max(0, attempts.length - maxRequests);
    while (drop < attempts.length && attempts[drop]! <= now() - windowMs) drop++;
    if (drop > 0) attempts.splice(0, drop);
  };
  const accepted = (player: Player, actionType: string, at: number) => {
    const type = actionType.toUpperCase();
    const rule = actions.get(type);
    if (rule) player.view.actionReadyAt.set(type, Math.max(player.view.actionReadyAt.get(type) ?? 0, at + rule.minDurationMs + SAFETY_MARGIN_MS));
  };

  /** Learns from the player's history what the server remembers from an earlier run (limits, minDurations). */
  const seed = async (player: Player) => {
    player.seeded = true;
    const limit = Math.min(100, Math.max(20, maxRequests));
    try {
      const response = await fetch(`${base}/api/v1/scores/user/${encodeURIComponent(player.view.userId)}/history?limit=${limit}`, {
        headers: { authorization: `Bearer ${player.token}` },
        signal: AbortSignal.timeout(POLL_TIMEOUT_MS),
      });
      const text = await response.text();
      contact();
      if (response.status !== 200) return; // 404: a new player
      const body = JSON.parse(text) as { data?: { history?: { actionType: string; createdAt: string }[] } };
      const horizon = now() - windowMs;
      for (const entry of body.data?.history ?? []) {
        const at = Date.parse(entry.createdAt) - clockOffsetMs + clockUncertaintyMs;
        if (!Number.isFinite(at)) continue;
        accepted(player, entry.actionType, at);
        if (at > horizon) recordAttempt(player, at);
      }
    } catch (err) {
      if (!(err instanceof SyntaxError)) networkFailure(networkCode(err));
    }
  };

  // Only the players' own refusals count: cheaters draw some on purpose (INVALID_SIGNATURE).
  const fatalCheck = (key: string) => {
    const message = FATAL[key];
    if (message && mainGroup.ok === 0 && (mainGroup.byCode[key] ?? 0) >= FATAL_AFTER) stop('rejected', message);
  };
  /** A key the server does not know, for cheaters that forge signatures. */
  const wrongKey = randomBytes(32).toString('hex');

  const send = async (player: Player, choice: ChosenAction) => {
    const unsigned = {
      actionId: randomUUID(),
      actionType: choice.actionType,
      scoreIncrement: choice.scoreIncrement,
      timestamp: new Date(now()).toISOString(),
    };
    const payload = JSON.stringify({ ...unsigned, clientSignature: signAction(choice.wrongKey ? wrongKey : options.hmacSecretKey, unsigned) });
    const { group } = player;
    player.view.sent += 1;
    inFlight += 1;
    const startedAt = performance.now();
    const sentAt = now();
    let answeredAt = sentAt;
    try {
      const response = await fetch(`${base}/api/v1/scores/update`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${player.token}`,
          'content-type': 'application/json',
          'user-agent': 'scoreboard-simulate',
          ...(choice.forwardedFor === undefined ? {} : { 'x-forwarded-for': choice.forwardedFor }),
        },
        body: payload,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await response.text();
      latency.record(performance.now() - startedAt);
      answeredAt = now();
      contact();
      sent += 1;
      group.sent += 1;
      bump(byStatus, String(response.status));
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      if (response.status === 200) {
        ok += 1;
        group.ok += 1;
        accepted(player, choice.actionType, answeredAt);
        const data = (body as { data?: { rank?: number; newScore?: number } } | undefined)?.data;
        if (data?.rank === 1 && typeof data.newScore === 'number' && answeredAt >= leaderAt) {
          leader = { userId: player.view.userId, username: player.view.username, score: data.newScore };
          leaderAt = answeredAt;
        }
        return;
      }
      refused += 1;
      group.refused += 1;
      const envelope = (body as ErrorEnvelope | undefined)?.error;
      const code = typeof envelope?.code === 'string' ? envelope.code : `HTTP_${response.status}`;
      const reason = typeof envelope?.details?.reason === 'string' ? envelope.details.reason : undefined;
      const key = code === 'FORBIDDEN' && reason ? reason : code;
      bump(byCode, key);
      bump(group.byCode, key);
      const label = PLAIN_CODES[response.status] === code || key === `HTTP_${response.status}` ? String(response.status) : `${response.status}/${key}`;
      byLabel.set(label, (byLabel.get(label) ?? 0) + 1);
      group.byLabel.set(label, (group.byLabel.get(label) ?? 0) + 1);
      const retryAfterMs = typeof envelope?.details?.retryAfterMs === 'number' ? envelope.details.retryAfterMs : BACKOFF_AFTER_FAILURE_MS;
      if (response.status === 429) {
        player.pausedUntil = answeredAt + retryAfterMs + SAFETY_MARGIN_MS;
        if (envelope?.details?.scope === 'global') globalPausedUntil = player.pausedUntil;
      } else if (key === 'TOO_FAST') {
        const type = choice.actionType.toUpperCase();
        player.view.actionReadyAt.set(type, Math.max(player.view.actionReadyAt.get(type) ?? 0, answeredAt + retryAfterMs + SAFETY_MARGIN_MS));
      } else if (response.status >= 500) {
        player.pausedUntil = answeredAt + BACKOFF_AFTER_FAILURE_MS;
      }
      if (HINTS[key] && !hinted.has(key) && player.profile === honestProfile) {
        hinted.add(key);
        note(`note: ${HINTS[key]}`);
      }
      fatalCheck(key);
    } catch (err) {
      answeredAt = now();
      const code = networkCode(err);
      sent += 1;
      failed += 1;
      group.sent += 1;
      group.failed += 1;
      bump(byCode, code);
      bump(group.byCode, code);
      byFailure.set(code, (byFailure.get(code) ?? 0) + 1);
      group.byFailure.set(code, (group.byFailure.get(code) ?? 0) + 1);
      // It may have been applied: wait as if it was.
      accepted(player, choice.actionType, answeredAt);
      player.pausedUntil = answeredAt + BACKOFF_AFTER_FAILURE_MS;
      networkFailure(code, sentAt);
    } finally {
      inFlight -= 1;
      recordAttempt(player, answeredAt);
      if (globalMaxRequests !== undefined) globalAnswers.push(answeredAt);
    }
  };

  const profileRateLimit = { windowMs: options.rateLimit.windowMs, maxRequests };
  const context = (): ProfileContext => ({ now: now(), actions, random, rateLimit: profileRateLimit });

  const playerLoop = async (player: Player) => {
    while (!stopReason) {
      const at = now();
      if (at - player.tokenAt > TOKEN_REFRESH_MS) {
        player.token = signer({ userId: player.view.userId, username: player.view.username });
        player.tokenAt = at;
      }
      player.view.readyAt = Math.max(player.pausedUntil, userReadyAt(player), globalReadyAt(at));
      const delay = player.profile.nextDelayMs(player.view, context());
      if (delay > 0) {
        await sleep(Math.min(delay, 1000), stopController.signal);
        continue;
      }
      if (!player.seeded) {
        await seed(player);
        continue;
      }
      await send(player, player.profile.chooseAction(player.view, context()));
    }
  };

  /**
   * Reads the flags the server raised for this run's players since it started, with an admin token
   * signed like the players' (newest first, a page of 500 at a time); says why not when it cannot.
   */
  const readFlags = async (): Promise<string | undefined> => {
    const byUser = new Map(players.map((player) => [player.view.userId, player.group]));
    const adminToken = signer({ userId: `${prefix}admin`, username: 'scoreboard simulate', role: 'admin' });
    const since = startedAt + clockOffsetMs - clockUncertaintyMs;
    let before: number | null = null;
    try {
      for (let page = 0; page < MAX_FLAG_PAGES; page++) {
        const response = await fetch(`${base}/api/v1/admin/suspicious-activity?limit=500${before === null ? '' : `&before=${before}`}`, {
          headers: { authorization: `Bearer ${adminToken}` },
          signal: AbortSignal.timeout(POLL_TIMEOUT_MS),
        });
        const text = await response.text();
        if (response.status !== 200) return `GET /api/v1/admin/suspicious-activity answered ${response.status}`;
        const body = JSON.parse(text) as { data?: { activity?: { userId: string; reason: string; createdAt: string }[]; nextBefore?: number | null } };
        let older = false;
        for (const row of body.data?.activity ?? []) {
          if (Date.parse(row.createdAt) < since) {
            older = true;
            continue;
          }
          const group = byUser.get(row.userId);
          if (!group) continue;
          const reasons = group.flags.get(row.userId) ?? new Set<string>();
          reasons.add(row.reason);
          group.flags.set(row.userId, reasons);
        }
        before = body.data?.nextBefore ?? null;
        if (older || before === null) return undefined;
      }
      return undefined;
    } catch (err) {
      return err instanceof SyntaxError ? 'GET /api/v1/admin/suspicious-activity did not answer JSON' : `GET /api/v1/admin/suspicious-activity failed (${networkCode(err)})`;
    }
  };

  // Progress.
  let startedAt = now();
  const achievedRate = () => {
    const elapsed = now() - startedAt;
    return elapsed > 0 ? (sent / elapsed) * 1000 : 0;
  };
  const leaderText = () => {
    const current = leader;
    return current ? `${current.username ?? current.userId} (${current.score})` : '-';
  };
  const list = (labels: Map<string, number>) =>
    labels.size === 0 ? '' : ` (${[...labels.entries()].sort((a, b) => b[1] - a[1]).map(([label, count]) => `${label}:${count}`).join(' ')})`;
  /** `refused 4 (429:3 403/TOO_FAST:1)`, and `failed 2 (ECONNREFUSED:2)` when requests got no answer. */
  const refusedText = (separator: string) =>
    `refused ${refused}${list(byLabel)}${failed > 0 ? `${separator}failed ${failed}${list(byFailure)}` : ''}`;
  /** With cheaters, the refusals per profile: `by profile honest:0 too-fast:7 bad-signature:3` (the players' always, cheaters' once refused). */
  const byProfileText = () =>
    cheaters.length === 0
      ? []
      : [`by profile ${[...groups.values()].filter((group) => group === mainGroup || group.refused > 0).map((group) => `${group.name}:${group.refused}`).join(' ')}`];
  const progressLine = () =>
    [
      formatElapsed(now() - startedAt),
      `sent ${sent}`,
      `ok ${ok}`,
      refusedText('  '),
      ...byProfileText(),
      `${formatRate(achievedRate())}/s`,
      `p50 ${formatMs(latency.percentile(0.5))} ms`,
      `p95 ${formatMs(latency.percentile(0.95))} ms`,
      `leader ${leaderText()}`,
    ].join('  ');
  const showProgress = () => {
    if (tty) {
      output.write(`\r${progressLine()}\x1b[K`);
      lineShown = true;
    } else {
      output.write(`${progressLine()}\n`);
    }
  };

  const timers: NodeJS.Timeout[] = [];
  try {
    // Wait for the server (at most unreachableAfterMs), learning the leader and its clock.
    let waitingShown = false;
    while (!stopReason && lastContactAt === undefined) {
      await pollLeader();
      if (lastContactAt !== undefined || stopReason) break;
      if (!waitingShown) {
        output.write(`waiting for the server at ${base} (${lastNetworkCode}) ...\n`);
        waitingShown = true;
      }
      await sleep(1000, stopController.signal);
      if (failingSince !== undefined && now() - failingSince >= unreachableAfterMs) unreachable();
    }
    if (lastContactAt !== undefined && !stopReason) {
      for (const message of pendingNotes) note(message);
      const until = options.durationMs === undefined ? 'until Ctrl-C' : `for ${formatElapsed(options.durationMs)}`;
      const cheatersText =
        cheaters.length === 0
          ? ''
          : ` and ${cheaters.length} ${cheaters.length === 1 ? 'cheater' : 'cheaters'} (${[...groups.values()].slice(1).map((group) => `${group.players} ${group.name}`).join(', ')})`;
      output.write(`simulating ${options.players} ${profile.name} players at ${formatRate(targetRate)} updates/s${cheatersText} against ${base} ${until}\n`);
      if (cheaters.some((cheater) => cheater === manyIpsProfile)) {
        note('note: many-ips players send X-Forwarded-For: the server sees those addresses only when it runs with TRUST_PROXY=true');
      }
      startedAt = now();
      if (options.durationMs !== undefined) timers.push(setTimeout(() => stop('duration'), options.durationMs));
      timers.push(setInterval(showProgress, options.progressIntervalMs ?? (tty ? 1000 : 5000)));
      timers.push(setInterval(() => void pollLeader(), LEADER_POLL_MS));
      // While requests fail: look for the server every second, and give up after unreachableAfterMs.
      timers.push(
        setInterval(() => {
          if (failingSince === undefined) return;
          void pollLeader(1000);
          if (now() - failingSince >= unreachableAfterMs) unreachable();
        }, 1000),
      );
      await Promise.all(players.map(playerLoop));
    }
  } finally {
    for (const timer of timers) clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }

  const reached = lastContactAt !== undefined;
  let flagsError: string | undefined;
  if (reached && stopReason !== 'unreachable') {
    await pollPending;
    await pollLeader(2000);
    if (cheaters.length > 0) flagsError = await readFlags();
  }
  const elapsedMs = reached ? now() - startedAt : 0;
  const summary: SimulationSummary = {
    players: options.players,
    sent,
    ok,
    refused,
    failed,
    byStatus,
    byCode,
    latencyMs: {
      p50: Math.round(latency.percentile(0.5) * 10) / 10,
      p95: Math.round(latency.percentile(0.95) * 10) / 10,
      p99: Math.round(latency.percentile(0.99) * 10) / 10,
    },
    elapsedMs,
    requestedRate: options.ratePerSec,
    targetRate,
    achievedRate: elapsedMs > 0 ? (sent / elapsedMs) * 1000 : 0,
    leader,
    stopReason: stopReason ?? 'signal',
    ...(error === undefined ? {} : { error }),
    notes,
    profiles: [...groups.values()].map((group) => {
      const reasons: Record<string, number> = {};
      for (const flags of group.flags.values()) for (const reason of flags) bump(reasons, reason);
      return {
        name: group.name,
        players: group.players,
        sent: group.sent,
        ok: group.ok,
        refused: group.refused,
        failed: group.failed,
        byCode: group.byCode,
        ...(cheaters.length > 0 && flagsError === undefined && reached ? { flagged: group.flags.size, reasons } : {}),
      };
    }),
    ...(flagsError === undefined || cheaters.length === 0 ? {} : { flagsError }),
  };
  if (reached) {
    const why = { duration: 'duration reached', signal: 'interrupted', unreachable: 'server unreachable', rejected: 'refused by the server' }[summary.stopReason];
    output.write(
      `${lineShown ? '\r\x1b[K' : ''}done after ${(elapsedMs / 1000).toFixed(1)}s (${why}): sent ${sent}, ok ${ok}, ${refusedText(', ')}, ` +
        `${formatRate(summary.achievedRate)}/s (asked ${formatRate(options.ratePerSec)}/s), ` +
        `latency p50 ${formatMs(summary.latencyMs.p50)} ms p95 ${formatMs(summary.latencyMs.p95)} ms p99 ${formatMs(summary.latencyMs.p99)} ms, ` +
        `${options.players} players${cheaters.length > 0 ? ` and ${cheaters.length} cheaters` : ''}, leader ${leaderText()}\n`,
    );
    lineShown = false;
    if (cheaters.length > 0) output.write(profileReport(summary, groups));
  }
  return summary;
}

/** The per-profile lines of a run with cheaters: what each profile sent, and who the server flagged. */
function profileReport(summary: SimulationSummary, groups: ReadonlyMap<string, ProfileStats>): string {
  const width = Math.max(...summary.profiles.map((profile) => profile.name.length));
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const list = (labels: Map<string, number> | undefined) =>
    !labels || labels.size === 0 ? '' : ` (${[...labels.entries()].sort((a, b) => b[1] - a[1]).map(([label, n]) => `${label}:${n}`).join(' ')})`;
  const lines = ['by profile:'];
  for (const profile of summary.profiles) {
    const group = groups.get(profile.name);
    lines.push(
      `  ${profile.name.padEnd(width)}  ${count(profile.players, 'player').padEnd(11)}  sent ${String(profile.sent).padEnd(5)}  ok ${String(profile.ok).padEnd(5)}  ` +
        `refused ${profile.refused}${list(group?.byLabel)}${profile.failed > 0 ? `  failed ${profile.failed}${list(group?.byFailure)}` : ''}`,
    );
  }
  if (summary.flagsError !== undefined) {
    lines.push(`flagged: unknown (${summary.flagsError})`);
  } else {
    lines.push('flagged by the server since the run started (GET /api/v1/admin/suspicious-activity), players per reason:');
    for (const profile of summary.profiles) {
      const reasons = Object.entries(profile.reasons ?? {}).sort((a, b) => b[1] - a[1]);
      let text = `  ${profile.name.padEnd(width)}  ${profile.flagged ?? 0} of ${count(profile.players, 'player')}`;
      if (reasons.length > 0) text += `  ${reasons.map(([reason, n]) => `${reason}:${n}`).join(' ')}`;
      if (profile.name === manyIpsProfile.name && !(profile.reasons?.IP_BURST ?? 0)) {
        text += '  (IP_BURST needs the server to run with TRUST_PROXY=true, or it never sees the X-Forwarded-For addresses)';
      }
      lines.push(text);
    }
  }
  return `${lines.join('\n')}\n`;
}
