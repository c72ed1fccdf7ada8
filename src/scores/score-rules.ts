import { AppError } from '../errors.js';
import { findAction, type ActionCatalogue, type ActionRule } from './action-catalogue.js';

/** The action's canonical type and rule, or INVALID_ACTION. */
export function checkActionType(catalogue: ActionCatalogue, actionType: string): { type: string; rule: ActionRule } {
  const action = findAction(catalogue, actionType);
  if (!action) {
    throw new AppError('INVALID_ACTION', `Unknown actionType "${actionType.slice(0, 64)}"`, {
      details: { actionType: actionType.slice(0, 64), allowed: [...catalogue.keys()] },
    });
  }
  return action;
}

/** A positive integer no larger than the action's maxScore, or SCORE_VALIDATION_FAILED. */
export function checkIncrement(rule: ActionRule, increment: number): void {
  if (!Number.isInteger(increment) || increment < 1 || increment > rule.maxScore) {
    throw new AppError('SCORE_VALIDATION_FAILED', `scoreIncrement must be an integer from 1 to ${rule.maxScore}`, {
      details: { scoreIncrement: increment, min: 1, max: rule.maxScore },
    });
  }
}

export { checkTimestamp } from '../client-timestamp.js';
