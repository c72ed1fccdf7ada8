import type { BatchResult } from './group-commit.js';
import { AppError } from './errors.js';

/**
 * Action ids are UUIDs in their canonical text form only (8-4-4-4-12 hex digits, either case): the
 * one form every store reads the same way. The `uuid` format of JSON Schema validators also takes
 * `urn:uuid:…` and braces, which PostgreSQL's uuid type then refuses.
 */
export const ACTION_ID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function isActionId(value: unknown): value is string {
  return typeof value === 'string' && ACTION_ID_PATTERN.test(value);
}

/** The JSON Schema keywords of an action id (a pattern, not the permissive `uuid` format). */
export const ACTION_ID_SCHEMA = {
  pattern: ACTION_ID_PATTERN.source,
  minLength: 36,
  maxLength: 36,
  description: 'A UUID in canonical form (8-4-4-4-12 hex digits), unique per action: a replay of it is refused (409)',
} as const;

/** What the replay cache holds for an applied action id (score updates and board submissions share them). */
export interface AppliedAction {
  userId: string;
  newScore: number;
  appliedAtMs: number;
}

/** How long an applied action id stays in the replay cache; the database's unique index is the truth after that. */
export const PROCESSED_ACTION_TTL_SEC = 3600;

/** The replay cache key of an action id: one namespace for score updates and board submissions. */
export function replayKey(actionId: string): string {
  return `action:${actionId.toLowerCase()}`;
}

/** 409 DUPLICATE_ACTION; the original's result is told only to the player who owns it. */
export function duplicateAction(callerId: string, original: AppliedAction | null): AppError {
  const owned = original !== null && original.userId === callerId;
  return new AppError('DUPLICATE_ACTION', 'This actionId has already been applied', {
    details: owned ? { userId: original.userId, newScore: original.newScore, appliedAt: new Date(original.appliedAtMs).toISOString() } : undefined,
  });
}

/** What one item of a batch written behind the replay cache became. */
export interface WrittenAction<O> {
  outcome: O | { kind: 'duplicate'; original: AppliedAction | null };
  /** True when the replay cache knew the action id: nothing was sent to the database. */
  fromCache: boolean;
}

/**
 * One batch of a group commit behind the replay cache: ids the cache already holds answer as
 * duplicates without a write; the rest go to `write` in one call, whose failure is theirs alone.
 * `applied` lists the batch positions whose outcome is `applied` (for the work after the commit).
 */
export async function writeUnlessReplayed<T, O extends { kind: string }>(
  batch: readonly T[],
  cached: readonly (AppliedAction | null)[],
  write: (items: T[]) => Promise<Array<BatchResult<O>>>,
): Promise<{ results: Array<BatchResult<WrittenAction<O>>>; applied: number[] }> {
  const results: Array<BatchResult<WrittenAction<O>>> = new Array(batch.length);
  const toWrite: number[] = [];
  batch.forEach((_, i) => {
    const original = cached[i];
    if (original) results[i] = { ok: true, value: { outcome: { kind: 'duplicate', original }, fromCache: true } };
    else toWrite.push(i);
  });
  const applied: number[] = [];
  if (toWrite.length === 0) return { results, applied };
  let outcomes: Array<BatchResult<O>>;
  try {
    outcomes = await write(toWrite.map((i) => batch[i]!));
  } catch (error) {
    for (const i of toWrite) results[i] = { ok: false, error };
    return { results, applied };
  }
  outcomes.forEach((result, k) => {
    const i = toWrite[k]!;
    results[i] = result.ok ? { ok: true, value: { outcome: result.value, fromCache: false } } : result;
    if (result.ok && result.value.kind === 'applied') applied.push(i);
  });
  return { results, applied };
}
