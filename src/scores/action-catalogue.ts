/** The rules of one action type: the largest increment it may carry and the least time between two. */
export interface ActionRule {
  maxScore: number;
  /** Milliseconds that must pass (server time) between two accepted updates of this type by one user. */
  minDurationMs: number;
}

export type ActionCatalogue = ReadonlyMap<string, ActionRule>;

/** The default catalogue of DESIGN section 3, replaced whole by the file `ACTIONS_CONFIG` names. */
export const DEFAULT_ACTIONS: Record<string, { maxScore: number; minDuration: number }> = {
  TASK_COMPLETE: { maxScore: 50, minDuration: 5000 },
  LEVEL_UP: { maxScore: 100, minDuration: 30000 },
  ACHIEVEMENT: { maxScore: 200, minDuration: 1000 },
};

/** Largest `maxScore` accepted, so that totals stay exact in every rank index (doubles are exact to 2^53). */
export const MAX_ACTION_SCORE = 1_000_000_000;

/**
 * Action type names: ASCII letters, digits and `_`, starting with a letter and ending in a letter or
 * `_`. The signed message has no separators, so a name ending in a digit (`LEVEL_1` beside `LEVEL_`)
 * would let one signature stand for two updates (`LEVEL_` + `12` and `LEVEL_1` + `2`).
 */
export const ACTION_TYPE_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,62}[A-Za-z_]$/;

/** Upper case for ASCII letters only: no Unicode folding (`ı` must never become `I`). */
export function asciiUpperCase(text: string): string {
  return text.replace(/[a-z]+/g, (letters) => letters.toUpperCase());
}

/**
 * Validates a catalogue as read from JSON (`{ "TYPE": { "maxScore": 50, "minDuration": 5000 } }`).
 * Keys are upper-cased (ASCII): action types are matched ASCII-case-insensitively.
 * @throws Error naming the offending entry.
 */
export function parseActionCatalogue(raw: unknown, source: string): ActionCatalogue {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new Error(`${source}: expected an object of actionType -> {maxScore, minDuration}`);
  }
  const catalogue = new Map<string, ActionRule>();
  for (const [type, rule] of Object.entries(raw)) {
    if (!ACTION_TYPE_PATTERN.test(type)) {
      throw new Error(
        `${source}: action type "${type}" must be 2 to 64 ASCII letters, digits and _, starting with a letter and ending in a letter or _ (${ACTION_TYPE_PATTERN})`,
      );
    }
    const { maxScore, minDuration } = (rule ?? {}) as Record<string, unknown>;
    if (typeof maxScore !== 'number' || !Number.isInteger(maxScore) || maxScore < 1 || maxScore > MAX_ACTION_SCORE) {
      throw new Error(`${source}: ${type}.maxScore must be an integer from 1 to ${MAX_ACTION_SCORE}`);
    }
    if (typeof minDuration !== 'number' || !Number.isInteger(minDuration) || minDuration < 0 || minDuration > 86_400_000) {
      throw new Error(`${source}: ${type}.minDuration must be an integer number of milliseconds from 0 to 86400000`);
    }
    const key = asciiUpperCase(type);
    if (catalogue.has(key)) throw new Error(`${source}: action type "${type}" appears twice (types are case-insensitive)`);
    catalogue.set(key, { maxScore, minDurationMs: minDuration });
  }
  if (catalogue.size === 0) throw new Error(`${source}: the catalogue is empty`);
  return catalogue;
}

/**
 * Looks an action type up, ASCII-case-insensitively (never folding other characters), and returns
 * its canonical (upper-case) name and rule.
 */
export function findAction(catalogue: ActionCatalogue, actionType: string): { type: string; rule: ActionRule } | undefined {
  const type = asciiUpperCase(actionType);
  const rule = catalogue.get(type);
  return rule ? { type, rule } : undefined;
}

/** The catalogue as boards see it: a name's canonical form, and every name (for messages). */
export function actionNamesOf(catalogue: ActionCatalogue): { resolve(name: string): string | undefined; names(): readonly string[] } {
  return {
    resolve: (name) => findAction(catalogue, name)?.type,
    names: () => [...catalogue.keys()],
  };
}
