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

/** The client's timestamp within ±toleranceMs of server time, or TIMESTAMP_OUT_OF_RANGE. */
export function checkTimestamp(timestamp: string, nowMs: number, toleranceMs: number): void {
  const clientMs = Date.parse(timestamp);
  if (Number.isNaN(clientMs) || Math.abs(nowMs - clientMs) > toleranceMs) {
    throw new AppError('TIMESTAMP_OUT_OF_RANGE', `timestamp must be within ${toleranceMs} ms of server time`, {
      details: { timestamp: timestamp.slice(0, 64), serverTime: new Date(nowMs).toISOString(), toleranceMs },
    });
  }
}
