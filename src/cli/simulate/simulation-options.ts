import type { ActionCatalogue } from '../../scores/action-catalogue.js';
import type { PlayerProfile } from './player-profile.js';

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
  /** JWT_ISSUER and JWT_AUDIENCE of the server: its tokens carry them, since the server checks them. */
  tokenClaims?: { issuer?: string | null; audience?: string | null };
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
  /**
   * Also submit to the boards that take direct submissions (`best` and `latest` boards without
   * actions, open now, as GET /api/v1/boards lists them at the start): a share of the honest players'
   * turns, with plausible scores within each board's range. The summary counts them per board.
   */
  boards?: boolean;
  /** Default: uniform `Math.random`. */
  random?: () => number;
  /** Default 1000 ms on a TTY, 5000 ms otherwise. */
  progressIntervalMs?: number;
  /** Stop when the server has not answered for this long; default 10000. */
  unreachableAfterMs?: number;
}
