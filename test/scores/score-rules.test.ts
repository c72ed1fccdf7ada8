import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { parseActionCatalogue, DEFAULT_ACTIONS } from '../../src/scores/action-catalogue.js';
import { checkActionType, checkIncrement, checkTimestamp } from '../../src/scores/score-rules.js';
import { signAction, verifySignature } from '../../src/scores/signature.js';
import { AppError } from '../../src/errors.js';

const KEY = 'k'.repeat(32);
const fields = { actionId: '3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f', actionType: 'TASK_COMPLETE', scoreIncrement: 25, timestamp: '2026-11-23T10:00:00.000Z' };

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof AppError ? error.code : 'not an AppError';
  }
  return undefined;
}

describe('signature', () => {
  it('is hex(HMAC-SHA256(key, actionId + actionType + String(scoreIncrement) + timestamp))', () => {
    const expected = createHmac('sha256', KEY).update('3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5fTASK_COMPLETE252026-11-23T10:00:00.000Z').digest('hex');
    assert.equal(signAction(KEY, fields), expected);
  });
  it('accepts lower- and upper-case hex, refuses any change', () => {
    const signature = signAction(KEY, fields);
    assert.equal(verifySignature(KEY, fields, signature), true);
    assert.equal(verifySignature(KEY, fields, signature.toUpperCase()), true);
    assert.equal(verifySignature(KEY, { ...fields, scoreIncrement: 26 }, signature), false);
    assert.equal(verifySignature(KEY, { ...fields, timestamp: '2026-11-23T10:00:00Z' }, signature), false);
    assert.equal(verifySignature('z'.repeat(32), fields, signature), false);
    assert.equal(verifySignature(KEY, fields, signature.slice(0, 62)), false);
    assert.equal(verifySignature(KEY, fields, `${signature.slice(0, 63)}g`), false);
  });
});

describe('score rules', () => {
  const catalogue = parseActionCatalogue(DEFAULT_ACTIONS, 'default');
  it('finds action types case-insensitively and refuses unknown ones', () => {
    assert.equal(checkActionType(catalogue, 'task_complete').type, 'TASK_COMPLETE');
    assert.equal(code(() => checkActionType(catalogue, 'CHEAT')), 'INVALID_ACTION');
  });
  it('folds ASCII case only: Unicode look-alikes are unknown action types', () => {
    // 'ı' (dotless i) upper-cases to 'I', 'ſ' (long s) to 'S', 'K' (Kelvin sign) lower-cases to 'k'.
    for (const lookalike of ['achıevement', 'ACHıEVEMENT', 'ſCORE', 'TAſK_COMPLETE', 'TASK_COMPLETE\u200B', 'TAＳK_COMPLETE']) {
      assert.equal(code(() => checkActionType(catalogue, lookalike)), 'INVALID_ACTION', lookalike);
    }
    assert.equal(checkActionType(catalogue, 'AcHiEvEmEnT').type, 'ACHIEVEMENT');
  });
  it('refuses a catalogue whose names break the rule (a digit at the end would let one signature stand for two updates)', () => {
    for (const name of ['LEVEL_1', 'LEVEL_1_2', '1LEVEL', '_LEVEL', 'A', 'LEVEL-UP', 'LEVEL.UP', 'NIVEAU_É', 'X'.repeat(65)]) {
      assert.throws(() => parseActionCatalogue({ [name]: { maxScore: 1, minDuration: 0 } }, 'test'), /must be 2 to 64 ASCII letters/, name);
    }
    for (const name of ['LEVEL_', 'LEVEL_1A', 'Ab', 'boss_defeated', 'X'.repeat(64)]) {
      assert.doesNotThrow(() => parseActionCatalogue({ [name]: { maxScore: 1, minDuration: 0 } }, 'test'), name);
    }
  });
  it('accepts increments from 1 to maxScore only', () => {
    const rule = catalogue.get('TASK_COMPLETE')!;
    assert.equal(code(() => checkIncrement(rule, 1)), undefined);
    assert.equal(code(() => checkIncrement(rule, 50)), undefined);
    for (const bad of [0, -1, 51, 1.5, Number.NaN, Infinity, 1e300]) {
      assert.equal(code(() => checkIncrement(rule, bad)), 'SCORE_VALIDATION_FAILED', String(bad));
    }
  });
  it('accepts timestamps within the tolerance either way', () => {
    const now = Date.parse('2026-11-23T10:00:00.000Z');
    assert.equal(code(() => checkTimestamp('2026-11-23T09:55:00.000Z', now, 300_000)), undefined);
    assert.equal(code(() => checkTimestamp('2026-11-23T10:05:00.000Z', now, 300_000)), undefined);
    assert.equal(code(() => checkTimestamp('2026-11-23T09:54:59.999Z', now, 300_000)), 'TIMESTAMP_OUT_OF_RANGE');
    assert.equal(code(() => checkTimestamp('2026-11-23T10:05:00.001Z', now, 300_000)), 'TIMESTAMP_OUT_OF_RANGE');
    assert.equal(code(() => checkTimestamp('2026-11-23T11:00:00+01:00', now, 300_000)), undefined);
  });
});
