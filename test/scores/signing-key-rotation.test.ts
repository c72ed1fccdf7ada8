// Rotating the signing key of clientSignature (HMAC_SECRET_KEY_PREVIOUS): while game builds move to a
// new key, updates and board submissions signed with either key are applied; any other key is still
// refused, and nothing it sent changes a score.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { signSubmission } from '../../src/boards/board-signature.js';
import { signAction } from '../../src/scores/signature.js';
import { actionsFile, createTestApp, FAST_ACTIONS, MODES, TEST_HMAC_KEY, type TestApp } from '../helpers/app.js';

const NEW_KEY = 'the-new-signing-key-0123456789abcdef-0123';
const OTHER_KEY = 'some-other-signing-key-0123456789abcdef-01';

for (const { mode, skip } of MODES) {
  describe(`signing key rotation with HMAC_SECRET_KEY_PREVIOUS (${mode})`, { skip }, () => {
    let t: TestApp;
    const update = (userId: string, key: string) => {
      const unsigned = { actionId: randomUUID(), actionType: 'TASK_COMPLETE', scoreIncrement: 10, timestamp: new Date().toISOString() };
      return t.post(userId, { ...unsigned, clientSignature: signAction(key, unsigned) });
    };
    const submit = (userId: string, key: string, score: number) => {
      const unsigned = { actionId: randomUUID(), score, timestamp: new Date().toISOString() };
      return t.app.inject({
        method: 'POST',
        url: '/api/v1/boards/laps/scores',
        headers: { authorization: `Bearer ${t.token(userId)}` },
        payload: { ...unsigned, clientSignature: signSubmission(key, { ...unsigned, boardId: 'laps' }) },
      });
    };

    before(async () => {
      t = await createTestApp(mode, { ACTIONS_CONFIG: actionsFile(FAST_ACTIONS), HMAC_SECRET_KEY: NEW_KEY, HMAC_SECRET_KEY_PREVIOUS: TEST_HMAC_KEY });
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/v1/admin/boards',
        headers: { authorization: `Bearer ${t.token('root', { role: 'admin' })}` },
        payload: { id: 'laps', operator: 'best', sortOrder: 'asc' },
      });
      assert.equal(created.statusCode, 201, created.body);
    });
    after(async () => t?.close());

    it('applies updates signed with the new key and with the previous one, and refuses any other', async () => {
      assert.equal((await update('ann', NEW_KEY)).statusCode, 200);
      assert.equal((await update('ann', TEST_HMAC_KEY)).statusCode, 200);
      const other = await update('ann', OTHER_KEY);
      assert.equal(other.statusCode, 403);
      assert.equal(other.json().error.details.reason, 'INVALID_SIGNATURE');
      assert.equal(await t.scoreInDb('ann'), 20);
    });

    it('applies board submissions signed with either key, and refuses any other', async () => {
      assert.equal((await submit('ben', TEST_HMAC_KEY, 5000)).statusCode, 200);
      assert.equal((await submit('ben', NEW_KEY, 4000)).statusCode, 200);
      const other = await submit('ben', OTHER_KEY, 1000);
      assert.equal(other.statusCode, 403);
      assert.equal(other.json().error.details.reason, 'INVALID_SIGNATURE');
      const entry = (await t.app.inject({ url: '/api/v1/boards/laps/entries/ben' })).json().data;
      assert.equal(entry.entry.score, 4000);
    });
  });
}

describe('HMAC_SECRET_KEY_PREVIOUS', () => {
  it('is held to the same length as HMAC_SECRET_KEY, and without it the previous key is refused', async () => {
    await assert.rejects(createTestApp('embedded', { HMAC_SECRET_KEY_PREVIOUS: 'short' }), /HMAC_SECRET_KEY_PREVIOUS must be at least 32 bytes/);
    const t = await createTestApp('embedded', { ACTIONS_CONFIG: actionsFile(FAST_ACTIONS), HMAC_SECRET_KEY: NEW_KEY });
    try {
      const unsigned = { actionId: randomUUID(), actionType: 'TASK_COMPLETE', scoreIncrement: 10, timestamp: new Date().toISOString() };
      const old = await t.post('cat', { ...unsigned, clientSignature: signAction(TEST_HMAC_KEY, unsigned) });
      assert.equal(old.json().error.details.reason, 'INVALID_SIGNATURE');
    } finally {
      await t.close();
    }
  });
});
