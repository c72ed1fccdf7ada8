import { parseBoardDefinition, type ActionNames, type BoardDefinition } from './board.js';

/** Fields that decide what stored entries mean: a definition applied again may not change them. */
export const FIXED_FIELDS = ['sortOrder', 'operator', 'reset', 'timezone'] as const;

export type BoardsFileResult = { ok: true; definitions: BoardDefinition[] } | { ok: false; problems: string[] };

/**
 * Reads a `BOARDS_CONFIG`-shaped document (a JSON array of definitions), each checked as the admin
 * API checks one; every problem of every entry is reported at once, each naming its entry.
 */
export function parseBoardsFile(raw: unknown, actions: ActionNames): BoardsFileResult {
  if (!Array.isArray(raw)) return { ok: false, problems: ['expected a JSON array of board definitions'] };
  const problems: string[] = [];
  const definitions: BoardDefinition[] = [];
  const seen = new Set<string>();
  raw.forEach((entry, i) => {
    const name = typeof (entry as { id?: unknown } | null)?.id === 'string' ? `[${i}] (${(entry as { id: string }).id.slice(0, 64)})` : `[${i}]`;
    const result = parseBoardDefinition(entry, actions);
    if (!result.ok) {
      for (const problem of result.problems) problems.push(`${name}.${problem.field} ${problem.message}`);
      return;
    }
    if (seen.has(result.definition.id)) problems.push(`${name}.id appears twice`);
    seen.add(result.definition.id);
    definitions.push(result.definition);
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, definitions };
}

/** The fixed fields on which `wanted` differs from the stored board. */
export function fixedFieldChanges(stored: BoardDefinition, wanted: BoardDefinition): string[] {
  return FIXED_FIELDS.filter((field) => stored[field] !== wanted[field]);
}

/** True when applying `wanted` would change nothing of `stored`. */
export function sameDefinition(stored: BoardDefinition, wanted: BoardDefinition): boolean {
  return JSON.stringify(comparable(stored)) === JSON.stringify(comparable(wanted));
}

function comparable(definition: BoardDefinition): unknown {
  const { id, title, sortOrder, operator, reset, timezone, actions, minScore, maxScore, startsAt, endsAt, keepPeriods, metadata } = definition;
  return [id, title, sortOrder, operator, reset, timezone, actions === 'all' ? 'all' : [...actions].sort(), minScore, maxScore, startsAt?.getTime() ?? null, endsAt?.getTime() ?? null, keepPeriods, metadata];
}
