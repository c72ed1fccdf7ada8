/**
 * `scoreboard simulate`: simulated players posting signed score updates against a running server.
 * The engine runs the players; each player's behaviour is a profile (the honest one, the cheaters);
 * the client makes the requests; the report counts and prints them.
 */
export { runSimulation } from './simulation-engine.js';
export type { ProgressOutput, SimulationOptions } from './simulation-options.js';
export type { ProfileSummary, SimulationSummary, StopReason } from './simulation-report.js';
export type { ChosenAction, PlayerProfile, PlayerView, PlayerViewState, ProfileContext } from './player-profile.js';
export { honestIncrement, honestProfile } from './honest-profile.js';
export {
  BAD_SIGNATURE_SHARE,
  badSignatureProfile,
  CHEAT_PROFILE_NAMES,
  CHEAT_PROFILES,
  manyIpsProfile,
  regularIntervalMs,
  spoofedAddress,
  spreadCheaters,
  tooFastProfile,
  tooMuchScoreProfile,
  tooRegularProfile,
  type CheatProfileName,
} from './cheat-profiles.js';
export { bookkeepingWindowMs, reachableRate, SAFETY_MARGIN_MS } from './rate-budget.js';
export { parseDurationMs } from './simulation-format.js';
