/** Every score-update attempt of an authenticated player, accepted or refused: the detectors' input. */
export interface ScoreAttemptEvent {
  userId: string;
  atMs: number;
  ipAddress: string | null;
  /** `applied`, or the refusal: its `details.reason` for a 403 (`INVALID_SIGNATURE`, `TOO_FAST`, …), else its code. */
  outcome: string;
  /** The increment, when applied. */
  increment?: number;
  /** The action's maxScore, when applied. */
  maxScore?: number;
}

