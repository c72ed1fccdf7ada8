import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ANOMALY_REASONS } from '../../src/integrity/anomaly-detectors.js';

describe('the admin dashboard', () => {
  it('has words for every reason the anomaly detectors can flag, MAX_SCORE_SHARE included', () => {
    const script = readFileSync(new URL('../../web/admin.js', import.meta.url), 'utf8');
    const block = /const REASONS = \{([^}]*)\}/.exec(script);
    assert.ok(block, 'web/admin.js holds the REASONS table');
    const labelled = [...block[1]!.matchAll(/^\s*([A-Z_]+):\s*'[^']+'/gm)].map((match) => match[1]);
    assert.deepEqual([...labelled].sort(), [...ANOMALY_REASONS].sort());
  });
});
