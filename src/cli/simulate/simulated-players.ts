import type { ActionCatalogue } from '../../scores/action-catalogue.js';
import type { PlayerProfile, PlayerViewState } from './player-profile.js';
import type { TokenClaims } from './simulation-client.js';
import type { ProfileStats, SimulationTally } from './simulation-report.js';

/** One simulated player as the engine keeps it. */
export interface Player {
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
  /** With `--boards`: the player's entry on each board (board id -> score), as the server last answered. */
  boardEntries: Map<string, number>;
}

/** Readable names for the live page: "Ada 17". */
const NAMES = [
  'Ada', 'Alan', 'Grace', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Ken', 'Dennis', 'Radia',
  'Frances', 'John', 'Hedy', 'Katherine', 'Tim', 'Vint', 'Niklaus', 'Bjarne', 'Guido', 'Anita',
  'Shafi', 'Leslie', 'Tony', 'Sophie', 'Linus', 'Joan', 'Fran', 'Whitfield', 'Jean', 'Lynn',
];


export interface PlayersOptions {
  /** How many play `profile`; the `cheaters` follow, one per entry. */
  players: number;
  profile: PlayerProfile;
  cheaters: readonly PlayerProfile[];
  /** User ids are `<prefix><n>`, a cheater's `<prefix><profile>-<n>`. */
  prefix: string;
  meanIntervalMs: number;
  actions: ActionCatalogue;
  /** Counters per profile: the players' first, then the cheaters' in order of appearance. */
  tally: SimulationTally;
  sign: (claims: TokenClaims) => string;
  now: () => number;
}

/** The run's players: `Ada 1` .. for the players, `Mallory 1 (too-fast)` .. for the cheaters. */
export function createPlayers(options: PlayersOptions): Player[] {
  const { profile, prefix, tally } = options;
  const mainGroup = tally.group(profile.name);
  const everyone = [...Array.from({ length: options.players }, () => profile), ...options.cheaters];
  return everyone.map((playerProfile, i) => {
    const index = i + 1;
    const group = playerProfile === profile ? mainGroup : tally.group(playerProfile.name);
    group.players += 1;
    const cheater = i >= options.players;
    const userId = cheater ? `${prefix}${playerProfile.name}-${group.players}` : `${prefix}${index}`;
    const username = cheater ? `Mallory ${group.players} (${playerProfile.name})` : `${NAMES[(index - 1) % NAMES.length]} ${index}`;
    return {
      view: {
        index,
        userId,
        username,
        meanIntervalMs: options.meanIntervalMs,
        sent: 0,
        actionReadyAt: new Map([...options.actions.keys()].map((type) => [type, 0])),
        readyAt: 0,
        memo: {},
      },
      profile: playerProfile,
      group,
      token: options.sign({ userId, username }),
      tokenAt: options.now(),
      seeded: false,
      attempts: [],
      pausedUntil: 0,
      boardEntries: new Map(),
    };
  });
}
