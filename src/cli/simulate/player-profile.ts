import type { ActionCatalogue } from '../../scores/action-catalogue.js';
import type { SimulatedBoard } from './board-scores.js';

/**
 * What a simulated player *does* — when it acts and what it claims — is a {@link PlayerProfile}; the
 * engine (simulation-engine.ts) owns what every player shares: tokens, signing, HTTP, bookkeeping of
 * what the server's limits will allow, counting, progress. `honestProfile` keeps every rule, so that
 * the server never refuses it; the cheating profiles of cheat-profiles.ts run beside it (`--cheaters
 * N`), each breaking one rule or habit the anti-cheat looks for.
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

/** A direct submission to a board (`--boards`). */
export interface ChosenSubmission {
  boardId: string;
  score: number;
}

/** What a profile knows about the boards of a run with `--boards`. */
export interface BoardsContext {
  /** The boards the players submit to (never empty when asked). */
  readonly boards: readonly SimulatedBoard[];
  /** The player's entry on each board (board id -> score), as the server last answered. */
  readonly entries: ReadonlyMap<string, number>;
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
  /**
   * With `--boards`, asked first on every turn: a submission to send instead of an update, or
   * undefined for an update. A profile without it never submits to boards.
   */
  chooseSubmission?(player: PlayerView, boards: BoardsContext, context: ProfileContext): ChosenSubmission | undefined;
}
