import type { ActionCatalogue } from '../../scores/action-catalogue.js';
import { honestIncrement, honestProfile, MAX_BACKLOG_INTERVALS } from './honest-profile.js';
import type { PlayerProfile, ProfileContext } from './player-profile.js';
import { bookkeepingWindowMs } from './rate-budget.js';

/**
 * Cheaters. Each breaks one rule or habit the anti-cheat looks for (README "Anti-cheat") and keeps
 * the others, so that what flags it is its own behaviour.
 */

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
