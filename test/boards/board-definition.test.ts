import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isBetter, isOpenAt, parseBoardDefinition, patchBoardDefinition, takesSubmissions, type ActionNames, type BoardDefinition } from '../../src/boards/board.js';

const catalogue: ActionNames = {
  resolve: (name) => ['TASK_COMPLETE', 'LEVEL_UP'].find((type) => type === name.replace(/[a-z]+/g, (s) => s.toUpperCase())),
  names: () => ['TASK_COMPLETE', 'LEVEL_UP'],
};

function problems(raw: unknown, patchOf?: BoardDefinition): Record<string, string> {
  const result = patchOf ? patchBoardDefinition(patchOf, raw, catalogue) : parseBoardDefinition(raw, catalogue);
  assert.equal(result.ok, false, JSON.stringify(raw));
  return Object.fromEntries((result as { problems: { field: string; message: string }[] }).problems.map((p) => [p.field, p.message]));
}

function parsed(raw: unknown): BoardDefinition {
  const result = parseBoardDefinition(raw, catalogue);
  assert.ok(result.ok, JSON.stringify(result));
  return result.definition;
}

describe('board definitions (pure)', () => {
  it('fills in every default', () => {
    assert.deepEqual(parsed({ id: 'arena' }), {
      id: 'arena',
      title: 'arena',
      sortOrder: 'desc',
      operator: 'increment',
      reset: null,
      timezone: 'UTC',
      actions: [],
      minScore: 0,
      maxScore: Number.MAX_SAFE_INTEGER,
      startsAt: null,
      endsAt: null,
      keepPeriods: null,
      metadata: {},
    });
  });

  it('takes a full definition: a weekly time trial in Berlin, a season, actions in any ASCII case', () => {
    const trial = parsed({ id: 'lap-1', title: 'Lap times', sortOrder: 'asc', operator: 'best', reset: 'weekly', timezone: 'Europe/Berlin', minScore: 1000, maxScore: 600000, keepPeriods: 4, metadata: { format: 'duration-ms' } });
    assert.deepEqual([trial.sortOrder, trial.operator, trial.reset, trial.timezone, trial.keepPeriods], ['asc', 'best', 'weekly', 'Europe/Berlin', 4]);
    const season = parsed({ id: 'season_3', actions: ['task_complete', 'LEVEL_UP', 'TASK_COMPLETE'], startsAt: '2026-12-01T00:00:00Z', endsAt: '2027-03-01T00:00:00+01:00', reset: '0 6 * * 1-5' });
    assert.deepEqual(season.actions, ['TASK_COMPLETE', 'LEVEL_UP']);
    assert.equal(season.endsAt?.toISOString(), '2027-02-28T23:00:00.000Z');
    assert.equal(takesSubmissions(season), false);
    assert.equal(takesSubmissions(trial), true);
  });

  it('refuses every bad definition naming the field', () => {
    assert.match(problems({ id: 'global' }).id!, /reserved/);
    assert.match(problems({ id: 'Has Caps' }).id!, /must match/);
    assert.match(problems({ id: 'x'.repeat(65) }).id!, /64/);
    assert.match(problems({}).id!, /required/);
    assert.match(problems({ id: 'a', timezone: 'Mars/Olympus' }).timezone!, /IANA/);
    assert.match(problems({ id: 'a', reset: '0 0 * *' }).reset!, /5-field/);
    assert.match(problems({ id: 'a', reset: 'hourly' }).reset!, /5-field/);
    assert.match(problems({ id: 'a', actions: ['NOPE'] }).actions!, /not an action type/);
    assert.match(problems({ id: 'a', operator: 'best', actions: ['LEVEL_UP'] }).actions!, /only a board with operator "increment"/);
    assert.match(problems({ id: 'a', minScore: 10, maxScore: 5 }).minScore!, /above maxScore/);
    assert.match(problems({ id: 'a', minScore: 1.5 }).minScore!, /integer/);
    assert.match(problems({ id: 'a', maxScore: 2 ** 53 }).maxScore!, /integer within/);
    assert.match(problems({ id: 'a', startsAt: '2027-01-01T00:00:00Z', endsAt: '2026-01-01T00:00:00Z' }).endsAt!, /after startsAt/);
    assert.match(problems({ id: 'a', endsAt: 'tomorrow' }).endsAt!, /ISO 8601/);
    for (const impossible of ['2026-02-29T00:00:00Z', '2026-02-30T00:00:00Z', '2026-04-31T00:00:00Z', '2026-13-01T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T00:60:00Z', '2026-01-01T00:00:00+25:00']) {
      assert.match(problems({ id: 'a', startsAt: impossible }).startsAt!, /ISO 8601/, impossible);
    }
    assert.equal(parsed({ id: 'leap', startsAt: '2028-02-29T23:59:59.999+01:00' }).startsAt?.toISOString(), '2028-02-29T22:59:59.999Z');
    assert.match(problems({ id: 'a', metadata: { blob: 'x'.repeat(3000) } }).metadata!, /2048 bytes/);
    assert.match(problems({ id: 'a', metadata: [] }).metadata!, /object/);
    assert.match(problems({ id: 'a', keepPeriods: -1 }).keepPeriods!, /integer/);
    assert.match(problems({ id: 'a', sortOrder: 'up' }).sortOrder!, /desc, asc/);
    assert.match(problems({ id: 'a', operator: 'max' }).operator!, /increment, best, latest/);
    assert.match(problems({ id: 'a', title: '' }).title!, /non-empty/);
    assert.match(problems({ id: 'a', colour: 'red' }).colour!, /not a property/);
  });

  it('patches only what may change, and names what may not', () => {
    const board = parsed({ id: 'weekly', reset: 'weekly', operator: 'best' });
    const result = patchBoardDefinition(board, { title: 'Weekly best', maxScore: 500, endsAt: '2027-01-01T00:00:00Z', keepPeriods: 2 }, catalogue);
    assert.ok(result.ok);
    assert.deepEqual([result.definition.title, result.definition.maxScore, result.definition.keepPeriods, result.definition.reset], ['Weekly best', 500, 2, 'weekly']);
    for (const field of ['id', 'sortOrder', 'operator', 'reset', 'timezone']) {
      assert.match(problems({ [field]: 'x' }, board)[field]!, /cannot be changed/, field);
    }
    assert.match(problems({ actions: ['LEVEL_UP'] }, board).actions!, /operator "increment"/);
    assert.match(problems({ minScore: 1000 }, { ...board, maxScore: 10 }).minScore!, /above maxScore/);
  });

  it('open in [startsAt, endsAt); better by the sort order', () => {
    const season = parsed({ id: 's', startsAt: '2026-12-01T00:00:00Z', endsAt: '2026-12-08T00:00:00Z' });
    assert.equal(isOpenAt(season, Date.parse('2026-11-30T23:59:59.999Z')), false);
    assert.equal(isOpenAt(season, Date.parse('2026-12-01T00:00:00Z')), true);
    assert.equal(isOpenAt(season, Date.parse('2026-12-08T00:00:00Z')), false);
    assert.equal(isBetter({ sortOrder: 'desc' }, 10, 9), true);
    assert.equal(isBetter({ sortOrder: 'asc' }, 10, 9), false);
    assert.equal(isBetter({ sortOrder: 'asc' }, 9, 9), false);
  });
});
