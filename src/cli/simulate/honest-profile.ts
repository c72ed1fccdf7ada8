import { BOARD_TURN_SHARE, boardScore } from './board-scores.js';
import type { PlayerProfile } from './player-profile.js';

/** How far behind its plan an honest player may fall before it stops trying to catch up (in mean intervals). */
export const MAX_BACKLOG_INTERVALS = 3;

/** An honest increment for an action worth at most `maxScore`: 1..maxScore, mostly small (u^3). */
export function honestIncrement(maxScore: number, random: () => number): number {
  // About a quarter of TASK_COMPLETEs (max 50) are worth 1 point, half at most 6, few near the max.
  return Math.min(maxScore, Math.max(1, Math.ceil(maxScore * random() ** 3)));
}

/**
 * An honest player: acts at irregular, human-looking intervals (0.5 to 1.5 times its mean, catching
 * up after a wait), only with action types whose minDuration has passed and only within the rate
 * limits; increments are spread over 1..maxScore, mostly small. With `--boards`, a third of its turns
 * are a submission to one of the boards (each as likely), with a plausible score for it.
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
  chooseSubmission(_player, { boards, entries }, { random }) {
    if (boards.length === 0 || random() >= BOARD_TURN_SHARE) return undefined;
    const board = boards[Math.floor(random() * boards.length)] ?? boards[0]!;
    return { boardId: board.id, score: boardScore(board, entries.get(board.id), random) };
  },
};
