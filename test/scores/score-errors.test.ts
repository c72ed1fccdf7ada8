// Every error code of DESIGN section 3, provoked through HTTP in both run modes, and the order
// in which POST /api/v1/scores/update runs its checks. Every refusal is checked for the full error
// envelope and for leaving every score and the audit trail exactly as they were.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { createSigner } from 'fast-jwt';
import type { LightMyRequestResponse } from 'fastify';
import { signAction } from '../../src/scores/signature.js';
import { replayKey } from '../../src/scores/score-service.js';
import {
  FAST_ACTIONS,
  MODES,
  TEST_HMAC_KEY,
  TEST_JWT_SECRET,
  actionsFile,
  createTestApp,
  type ScoreBody,
  type TestApp,
} from '../helpers/app.js';
import { DESIGN_STATUS, type DesignCode } from '../helpers/design.js';

type Code = DesignCode;

type Response = LightMyRequestResponse;

interface ErrorBody {
  code: string;
  message: string;
  details?: Record<string, unknown>;
  timestamp: string;
  requestId: string;
}

const UPDATE_URL = '/api/v1/scores/update';

/** Asserts the full error envelope of DESIGN section 3 and returns its `error`. */
function assertErrorEnvelope(res: Response, code: Code): ErrorBody {
  const label = `${res.statusCode} ${res.body.slice(0, 400)}`;
  assert.equal(res.statusCode, DESIGN_STATUS[code], `expected ${DESIGN_STATUS[code]} ${code}, got ${label}`);
  assert.match(String(res.headers['content-type'] ?? ''), /^application\/json/, `content-type of ${label}`);
  let body: { success?: unknown; error?: ErrorBody };
  try {
    body = res.json();
  } catch {
    assert.fail(`the error body is not JSON: ${label}`);
  }
  assert.equal(body.success, false, label);
  const error = body.error;
  assert.ok(error && typeof error === 'object', `no error object: ${label}`);
  assert.equal(error.code, code, label);
  assert.equal(typeof error.message, 'string', label);
  assert.ok(error.message.length > 0, `empty message: ${label}`);
  assert.equal(typeof error.timestamp, 'string', label);
  assert.equal(new Date(error.timestamp).toISOString(), error.timestamp, `timestamp is not ISO 8601: ${label}`);
  const requestId = res.headers['x-request-id'];
  assert.equal(typeof requestId, 'string', `no x-request-id header: ${label}`);
  assert.ok((requestId as string).length > 0, label);
  assert.equal(error.requestId, requestId, `error.requestId differs from the x-request-id header: ${label}`);
  return error;
}

/** The names `details` gives for an INVALID_REQUEST. */
function namedFields(error: ErrorBody): string[] {
  const fields = (error.details as { fields?: { field?: unknown }[] } | undefined)?.fields;
  assert.ok(Array.isArray(fields), `INVALID_REQUEST without details.fields: ${JSON.stringify(error)}`);
  return fields.map((field) => String(field.field));
}

function assertNamesField(error: ErrorBody, field: string): void {
  assert.ok(namedFields(error).includes(field), `details should name "${field}": ${JSON.stringify(error.details)}`);
}

interface StoredState {
  scores: { userId: string; score: number; totalActions: number }[];
  history: number;
}

/** Every score and the number of history rows, straight from SQL. */
async function storedState(t: TestApp): Promise<StoredState> {
  const rows = await t.backends.sql.query('SELECT user_id, score, total_actions FROM scores ORDER BY user_id');
  const [count] = await t.backends.sql.query('SELECT count(*)::bigint AS n FROM score_history');
  return {
    scores: rows.map((row) => ({ userId: String(row.user_id), score: Number(row.score), totalActions: Number(row.total_actions) })),
    history: Number(count?.n),
  };
}

/**
 * Sends a request that must be refused with `code`, and checks that it changed nothing: the scores of
 * `users` (t.scoreInDb), every row of `scores`, and the number of history rows.
 */
async function refused(t: TestApp, users: string[], send: () => Promise<Response>, code: Code): Promise<ErrorBody> {
  const scoresBefore = await Promise.all(users.map((user) => t.scoreInDb(user)));
  const stateBefore = await storedState(t);
  const res = await send();
  const error = assertErrorEnvelope(res, code);
  assert.deepEqual(await Promise.all(users.map((user) => t.scoreInDb(user))), scoresBefore, `${code}: a refused request changed a score`);
  assert.deepEqual(await storedState(t), stateBefore, `${code}: a refused request changed the scores table or the history`);
  return error;
}

function forbiddenReason(error: ErrorBody): unknown {
  return error.details?.reason;
}

interface UpdateData {
  userId: string;
  newScore: number;
  previousScore: number;
  rank: number;
  timestamp: string;
}

/** POSTs an update that must be applied; checks the score moved by exactly the increment. */
async function applied(t: TestApp, userId: string, body: ScoreBody): Promise<UpdateData> {
  const before = await t.scoreInDb(userId);
  const res = await t.post(userId, body);
  assert.equal(res.statusCode, 200, `expected 200, got ${res.statusCode} ${res.body.slice(0, 400)}`);
  const payload = res.json() as { success: boolean; data: UpdateData };
  assert.equal(payload.success, true);
  assert.equal(payload.data.userId, userId);
  assert.equal(payload.data.previousScore, before);
  assert.equal(payload.data.newScore, before + body.scoreIncrement);
  assert.equal(await t.scoreInDb(userId), before + body.scoreIncrement);
  return payload.data;
}

/** A body signed over arbitrary (possibly ill-typed) field values, as a hostile client would. */
function signedRaw(fields: Record<string, unknown>): Record<string, unknown> {
  const signature = signAction(TEST_HMAC_KEY, {
    actionId: String(fields.actionId),
    actionType: String(fields.actionType),
    scoreIncrement: fields.scoreIncrement as number,
    timestamp: String(fields.timestamp),
  });
  return { ...fields, clientSignature: signature };
}

const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const nowSec = () => Math.floor(Date.now() / 1000);

/** An HS256 token over a payload given as raw JSON text (so that it may hold 1e400), signed with the test secret. */
function hs256(payloadJson: string): string {
  const signingInput = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${Buffer.from(payloadJson).toString('base64url')}`;
  return `${signingInput}.${createHmac('sha256', TEST_JWT_SECRET).update(signingInput).digest('base64url')}`;
}
const minutes = (n: number) => n * 60_000;

function get(t: TestApp, url: string, token?: string, headers: Record<string, string> = {}): Promise<Response> {
  return t.app.inject({ method: 'GET', url, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
}

function postAs(t: TestApp, url: string, token: string | undefined, payload?: object | string, headers: Record<string, string> = {}): Promise<Response> {
  return t.app.inject({
    method: 'POST',
    url,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    ...(payload === undefined ? {} : { payload }),
  });
}

for (const { mode, skip } of MODES) {
  describe(`score update errors (${mode})`, { skip }, () => {
    let t: TestApp;
    const PLAYER = 'err-player';

    before(async () => {
      t = await createTestApp(mode, { ACTIONS_CONFIG: actionsFile(FAST_ACTIONS) });
      // A non-zero score, so that "unchanged" means something.
      await applied(t, PLAYER, t.body({ scoreIncrement: 7 }));
    });
    after(() => t.close());

    describe('UNAUTHORIZED', () => {
      const sign = (
        options: { key: string; algorithm?: 'HS256' | 'HS384' | 'HS512'; expiresIn?: number; clockTimestamp?: number },
        claims: Record<string, unknown>,
      ): string => createSigner({ ...options })(claims);
      const cases: [string, () => string | undefined, string][] = [
        ['no Authorization header', () => undefined, 'TOKEN_MISSING'],
        ['a Basic scheme', () => 'Basic x', 'TOKEN_MALFORMED'],
        ['Bearer without a token', () => 'Bearer ', 'TOKEN_MALFORMED'],
        ['a garbage token', () => 'Bearer not-a-jwt', 'TOKEN_MALFORMED'],
        ['a three-part garbage token', () => 'Bearer abc.def.ghi', 'TOKEN_MALFORMED'],
        [
          'a token signed with another secret',
          () => `Bearer ${sign({ key: 'another-jwt-secret-0123456789abcdef0123456789', expiresIn: 3_600_000 }, { userId: PLAYER })}`,
          'BAD_SIGNATURE',
        ],
        [
          'an expired token',
          () => `Bearer ${sign({ key: TEST_JWT_SECRET, expiresIn: 60_000, clockTimestamp: Date.now() - 3_600_000 }, { userId: PLAYER })}`,
          'TOKEN_EXPIRED',
        ],
        ['an alg:none token', () => `Bearer ${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ userId: PLAYER, sub: PLAYER, exp: nowSec() + 3600 })}.`, 'BAD_SIGNATURE'],
        ['an HS256 header with no signature', () => `Bearer ${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ userId: PLAYER, exp: nowSec() + 3600 })}.`, 'BAD_SIGNATURE'],
        ['an HS384 token with the right secret', () => `Bearer ${sign({ key: TEST_JWT_SECRET, algorithm: 'HS384', expiresIn: 3_600_000 }, { userId: PLAYER })}`, 'BAD_SIGNATURE'],
        ['an HS512 token with the right secret', () => `Bearer ${sign({ key: TEST_JWT_SECRET, algorithm: 'HS512', expiresIn: 3_600_000 }, { userId: PLAYER })}`, 'BAD_SIGNATURE'],
        ['a token without exp', () => `Bearer ${sign({ key: TEST_JWT_SECRET, algorithm: 'HS256' }, { userId: PLAYER })}`, 'MISSING_CLAIM'],
        ['a token without userId and sub', () => `Bearer ${sign({ key: TEST_JWT_SECRET, expiresIn: 3_600_000 }, { username: 'Nobody' })}`, 'MISSING_CLAIM'],
        ['a token whose userId is 256 characters', () => `Bearer ${sign({ key: TEST_JWT_SECRET, expiresIn: 3_600_000 }, { userId: 'a'.repeat(256) })}`, 'MISSING_CLAIM'],
        // Lifetimes: a finite exp, no iat in the future, at most JWT_MAX_AGE (7 days) from iat (or now).
        ['a token with exp 1e300', () => `Bearer ${hs256(`{"userId":"${PLAYER}","iat":${nowSec()},"exp":1e300}`)}`, 'TOKEN_EXPIRED'],
        ['a token with exp 1e400 (Infinity)', () => `Bearer ${hs256(`{"userId":"${PLAYER}","iat":${nowSec()},"exp":1e400}`)}`, 'TOKEN_MALFORMED'],
        ['a token with exp as a string', () => `Bearer ${hs256(`{"userId":"${PLAYER}","exp":"${nowSec() + 60}"}`)}`, 'TOKEN_MALFORMED'],
        ['a token issued ten years from now', () => `Bearer ${hs256(JSON.stringify({ userId: PLAYER, iat: nowSec() + 315_360_000, exp: nowSec() + 315_360_000 + 3600 }))}`, 'TOKEN_NOT_YET_VALID'],
        ['a token living 8 days', () => `Bearer ${hs256(JSON.stringify({ userId: PLAYER, iat: nowSec(), exp: nowSec() + 8 * 86_400 }))}`, 'TOKEN_EXPIRED'],
        ['a token without iat living 8 days', () => `Bearer ${hs256(JSON.stringify({ userId: PLAYER, exp: nowSec() + 8 * 86_400 }))}`, 'TOKEN_EXPIRED'],
        ['a token whose userId has a control character', () => `Bearer ${sign({ key: TEST_JWT_SECRET, expiresIn: 3_600_000 }, { userId: 'a\u0001b' })}`, 'MISSING_CLAIM'],
        [
          'a token whose payload was edited after signing',
          () => {
            const [header, , signature] = t.token(PLAYER).split('.');
            return `Bearer ${header}.${b64url({ userId: 'someone-else', sub: 'someone-else', exp: nowSec() + 3600 })}.${signature}`;
          },
          'BAD_SIGNATURE',
        ],
      ];
      for (const [name, header, reason] of cases) {
        it(`refuses ${name} (${reason})`, async () => {
          const value = header();
          const error = await refused(
            t,
            [PLAYER],
            () => t.app.inject({ method: 'POST', url: UPDATE_URL, headers: value === undefined ? {} : { authorization: value }, payload: t.body() }),
            'UNAUTHORIZED',
          );
          assert.equal(error.details?.reason, reason, error.message);
        });
      }

      it('accepts a token living exactly JWT_MAX_AGE, and one issued a few seconds ahead (clock skew)', async () => {
        for (const token of [
          hs256(JSON.stringify({ userId: PLAYER, iat: nowSec(), exp: nowSec() + 7 * 86_400 })),
          hs256(JSON.stringify({ userId: PLAYER, iat: nowSec() + 10, exp: nowSec() + 3600 })),
        ]) {
          const response = await t.app.inject({ method: 'POST', url: UPDATE_URL, headers: { authorization: `Bearer ${token}` }, payload: t.body({ scoreIncrement: 1 }) });
          assert.equal(response.statusCode, 200, response.body);
        }
      });

      it('refuses a missing token on GET /api/v1/scores/user/:userId and on the history', async () => {
        await refused(t, [PLAYER], () => get(t, `/api/v1/scores/user/${PLAYER}`), 'UNAUTHORIZED');
        await refused(t, [PLAYER], () => get(t, `/api/v1/scores/user/${PLAYER}/history`), 'UNAUTHORIZED');
      });

      it('checks the token before the body (a missing token with a malformed body is 401)', async () => {
        await refused(t, [PLAYER], () => t.app.inject({ method: 'POST', url: UPDATE_URL, payload: '{nope', headers: { 'content-type': 'application/json' } }), 'UNAUTHORIZED');
      });
    });

    describe('FORBIDDEN INVALID_SIGNATURE', () => {
      it('refuses a wrong signature', async () => {
        const error = await refused(t, [PLAYER], () => t.post(PLAYER, t.body({ clientSignature: '0'.repeat(64) })), 'FORBIDDEN');
        assert.equal(forbiddenReason(error), 'INVALID_SIGNATURE');
      });

      it('refuses the signature of another body', async () => {
        const other = t.body();
        const error = await refused(t, [PLAYER], () => t.post(PLAYER, t.body({ clientSignature: other.clientSignature })), 'FORBIDDEN');
        assert.equal(forbiddenReason(error), 'INVALID_SIGNATURE');
      });

      it('refuses a signature made for a smaller increment', async () => {
        const small = t.body({ scoreIncrement: 1 });
        const error = await refused(t, [PLAYER], () => t.post(PLAYER, { ...small, scoreIncrement: 50 }), 'FORBIDDEN');
        assert.equal(forbiddenReason(error), 'INVALID_SIGNATURE');
      });

      it('refuses a signature made with another key', async () => {
        const body = t.body();
        const clientSignature = signAction('another-hmac-secret-0123456789abcdef012345', body);
        const error = await refused(t, [PLAYER], () => t.post(PLAYER, { ...body, clientSignature }), 'FORBIDDEN');
        assert.equal(forbiddenReason(error), 'INVALID_SIGNATURE');
      });

      it('signs the exact strings sent (an upper-cased actionId breaks a lower-case signature)', async () => {
        const body = t.body();
        const error = await refused(t, [PLAYER], () => t.post(PLAYER, { ...body, actionId: body.actionId.toUpperCase() }), 'FORBIDDEN');
        assert.equal(forbiddenReason(error), 'INVALID_SIGNATURE');
      });

      it('accepts the right signature in upper-case hex', async () => {
        const body = t.body();
        await applied(t, PLAYER, { ...body, clientSignature: body.clientSignature.toUpperCase() });
      });
    });

    describe('FORBIDDEN TOO_FAST', () => {
      it('refuses a second SLOW_ACTION (minDuration 60 s) right after the first', async () => {
        const user = 'err-slow';
        await applied(t, user, t.body({ actionType: 'SLOW_ACTION', scoreIncrement: 5 }));
        const error = await refused(t, [user], () => t.post(user, t.body({ actionType: 'SLOW_ACTION', scoreIncrement: 5 })), 'FORBIDDEN');
        assert.equal(forbiddenReason(error), 'TOO_FAST');
        const retryAfterMs = error.details?.retryAfterMs;
        if (retryAfterMs !== undefined) assert.ok(typeof retryAfterMs === 'number' && retryAfterMs > 0 && retryAfterMs <= 60_000, `retryAfterMs ${retryAfterMs}`);
        // minDuration is per action type: another type is still accepted.
        await applied(t, user, t.body({ actionType: 'TASK_COMPLETE', scoreIncrement: 3 }));
        // A lower-case spelling is the same type.
        const again = await refused(t, [user], () => t.post(user, t.body({ actionType: 'slow_action', scoreIncrement: 5 })), 'FORBIDDEN');
        assert.equal(forbiddenReason(again), 'TOO_FAST');
      });

      it('checks replay before minDuration (replaying the SLOW_ACTION at once is 409, not 403)', async () => {
        const user = 'err-slow-replay';
        const body = t.body({ actionType: 'SLOW_ACTION', scoreIncrement: 5 });
        await applied(t, user, body);
        await refused(t, [user], () => t.post(user, body), 'DUPLICATE_ACTION');
      });
    });

    describe('FORBIDDEN ACCOUNT_FROZEN and NOT_ALLOWED', () => {
      const admin = () => t.token('err-admin', { role: 'admin' });

      it('refuses updates of a frozen account until an admin unfreezes it', async () => {
        const user = 'err-frozen';
        const first = t.body({ scoreIncrement: 4 });
        await applied(t, user, first);

        const freeze = await postAs(t, `/api/v1/admin/users/${user}/freeze`, admin(), { reason: 'test' });
        assert.equal(freeze.statusCode, 200, freeze.body);
        assert.equal(freeze.json().data.status, 'frozen');

        const error = await refused(t, [user], () => t.post(user, t.body()), 'FORBIDDEN');
        assert.equal(forbiddenReason(error), 'ACCOUNT_FROZEN');
        // Signature is checked before the account: a frozen account with a bad signature is INVALID_SIGNATURE.
        const badSignature = await refused(t, [user], () => t.post(user, t.body({ clientSignature: 'a'.repeat(64) })), 'FORBIDDEN');
        assert.equal(forbiddenReason(badSignature), 'INVALID_SIGNATURE');
        // Replay is checked before the account: replaying its applied action is 409.
        await refused(t, [user], () => t.post(user, first), 'DUPLICATE_ACTION');
        // Still frozen after the refusals.
        const still = await refused(t, [user], () => t.post(user, t.body()), 'FORBIDDEN');
        assert.equal(forbiddenReason(still), 'ACCOUNT_FROZEN');

        const unfreeze = await postAs(t, `/api/v1/admin/users/${user}/unfreeze`, admin(), {});
        assert.equal(unfreeze.statusCode, 200, unfreeze.body);
        assert.equal(unfreeze.json().data.status, 'active');
        await applied(t, user, t.body({ scoreIncrement: 6 }));
      });

      it('an admin freezing an unknown user gets USER_NOT_FOUND', async () => {
        await refused(t, [PLAYER], () => postAs(t, '/api/v1/admin/users/nobody-at-all/freeze', admin(), { reason: 'test' }), 'USER_NOT_FOUND');
      });

      it('refuses freeze and unfreeze to a non-admin, and leaves the account active', async () => {
        const error = await refused(t, [PLAYER], () => postAs(t, `/api/v1/admin/users/${PLAYER}/freeze`, t.token('err-mallory'), { reason: 'x' }), 'FORBIDDEN');
        assert.equal(forbiddenReason(error), 'NOT_ALLOWED');
        // The role is checked before the body.
        const noBody = await refused(t, [PLAYER], () => postAs(t, `/api/v1/admin/users/${PLAYER}/freeze`, t.token('err-mallory'), {}), 'FORBIDDEN');
        assert.equal(forbiddenReason(noBody), 'NOT_ALLOWED');
        const unfreeze = await refused(t, [PLAYER], () => postAs(t, `/api/v1/admin/users/${PLAYER}/unfreeze`, t.token('err-mallory'), {}), 'FORBIDDEN');
        assert.equal(forbiddenReason(unfreeze), 'NOT_ALLOWED');
        // A role claim that is not admin does not count either.
        const moderator = await refused(
          t,
          [PLAYER],
          () => postAs(t, `/api/v1/admin/users/${PLAYER}/freeze`, t.token('err-mod', { role: 'moderator' }), { reason: 'x' }),
          'FORBIDDEN',
        );
        assert.equal(forbiddenReason(moderator), 'NOT_ALLOWED');
        await applied(t, PLAYER, t.body({ scoreIncrement: 1 }));
      });

      it("refuses a user reading another user's history; self and admin may", async () => {
        const error = await refused(t, [PLAYER], () => get(t, `/api/v1/scores/user/${PLAYER}/history`, t.token('err-mallory')), 'FORBIDDEN');
        assert.equal(forbiddenReason(error), 'NOT_ALLOWED');
        const self = await get(t, `/api/v1/scores/user/${PLAYER}/history`, t.token(PLAYER));
        assert.equal(self.statusCode, 200, self.body);
        const byAdmin = await get(t, `/api/v1/scores/user/${PLAYER}/history`, admin());
        assert.equal(byAdmin.statusCode, 200, byAdmin.body);
      });
    });

    describe('INVALID_REQUEST', () => {
      const fields = ['actionId', 'actionType', 'scoreIncrement', 'timestamp', 'clientSignature'] as const;
      for (const field of fields) {
        it(`names a missing ${field}`, async () => {
          const body: Record<string, unknown> = { ...t.body() };
          delete body[field];
          const error = await refused(t, [PLAYER], () => t.post(PLAYER, body), 'INVALID_REQUEST');
          assertNamesField(error, field);
        });
      }

      it('names an extra property', async () => {
        const error = await refused(t, [PLAYER], () => t.post(PLAYER, { ...t.body(), userId: 'someone-else' }), 'INVALID_REQUEST');
        assertNamesField(error, 'userId');
      });

      const wrong: [string, string, unknown][] = [
        ['scoreIncrement as the string "10"', 'scoreIncrement', '10'],
        ['scoreIncrement as null', 'scoreIncrement', null],
        ['scoreIncrement as a boolean', 'scoreIncrement', true],
        ['scoreIncrement as an array', 'scoreIncrement', [10]],
        ['actionId as a number', 'actionId', 12345],
        ['actionId that is not a UUID', 'actionId', 'not-a-uuid'],
        ['actionId of a UUID without dashes', 'actionId', randomUUID().replace(/-/g, '')],
        // The JSON Schema uuid format takes these; PostgreSQL's uuid type then failed with a 500.
        ['actionId as a urn:uuid: URN', 'actionId', `urn:uuid:${randomUUID()}`],
        ['actionId in braces', 'actionId', `{${randomUUID()}}`],
        ['actionType as an object', 'actionType', { type: 'TASK_COMPLETE' }],
        ['an empty actionType', 'actionType', ''],
        ['an actionType of 65 characters', 'actionType', 'A'.repeat(65)],
        ['timestamp as epoch milliseconds', 'timestamp', Date.now()],
        ['timestamp "yesterday"', 'timestamp', 'yesterday'],
        ['timestamp of an impossible date', 'timestamp', '2024-13-45T25:61:00Z'],
        ['clientSignature of 3 characters', 'clientSignature', 'abc'],
        ['clientSignature of 65 hex characters', 'clientSignature', 'a'.repeat(65)],
        ['clientSignature of 64 non-hex characters', 'clientSignature', 'g'.repeat(64)],
        ['clientSignature as an array', 'clientSignature', ['a'.repeat(64)]],
      ];
      for (const [name, field, value] of wrong) {
        it(`names ${name}`, async () => {
          const error = await refused(t, [PLAYER], () => t.post(PLAYER, { ...t.body(), [field]: value }), 'INVALID_REQUEST');
          assertNamesField(error, field);
        });
      }

      it('refuses a body that is not an object', async () => {
        await refused(t, [PLAYER], () => t.post(PLAYER, JSON.stringify([t.body()]), { 'content-type': 'application/json' }), 'INVALID_REQUEST');
        await refused(t, [PLAYER], () => t.post(PLAYER, '42', { 'content-type': 'application/json' }), 'INVALID_REQUEST');
      });

      it('refuses unparseable JSON and an empty body with the envelope', async () => {
        await refused(t, [PLAYER], () => t.post(PLAYER, '{"actionId": ', { 'content-type': 'application/json' }), 'INVALID_REQUEST');
        await refused(t, [PLAYER], () => t.post(PLAYER, '', { 'content-type': 'application/json' }), 'INVALID_REQUEST');
      });

      const queries: [string, string][] = [
        ['limit=0', 'limit'],
        ['limit=101', 'limit'],
        ['limit=abc', 'limit'],
        ['limit=1.5', 'limit'],
        ['offset=-1', 'offset'],
        ['offset=abc', 'offset'],
      ];
      for (const [query, field] of queries) {
        it(`names ${field} in GET /api/v1/scores/leaderboard?${query}`, async () => {
          const error = await refused(t, [PLAYER], () => get(t, `/api/v1/scores/leaderboard?${query}`), 'INVALID_REQUEST');
          assertNamesField(error, field);
        });
      }

      it('names limit and before in a bad history query', async () => {
        const limit = await refused(t, [PLAYER], () => get(t, `/api/v1/scores/user/${PLAYER}/history?limit=0`, t.token(PLAYER)), 'INVALID_REQUEST');
        assertNamesField(limit, 'limit');
        const beforeId = await refused(t, [PLAYER], () => get(t, `/api/v1/scores/user/${PLAYER}/history?before=abc`, t.token(PLAYER)), 'INVALID_REQUEST');
        assertNamesField(beforeId, 'before');
      });

      // A history entry id is a bigint: anything beyond it is a malformed query, not a database failure.
      for (const before of ['Infinity', '1e400', '99999999999999999999', '9223372036854775807']) {
        it(`names before in a history query with before=${before}`, async () => {
          const error = await refused(t, [PLAYER], () => get(t, `/api/v1/scores/user/${PLAYER}/history?before=${before}`, t.token(PLAYER)), 'INVALID_REQUEST');
          assertNamesField(error, 'before');
        });
      }

      it('names reason in a freeze without one', async () => {
        const error = await refused(t, [PLAYER], () => postAs(t, `/api/v1/admin/users/${PLAYER}/freeze`, t.token('err-admin', { role: 'admin' }), {}), 'INVALID_REQUEST');
        assertNamesField(error, 'reason');
      });

      it('names userId in a path parameter with a tab, a NUL, non-ASCII or 256 characters', async () => {
        const tab = await refused(t, [PLAYER], () => get(t, '/api/v1/scores/user/a%09b', t.token(PLAYER)), 'INVALID_REQUEST');
        assertNamesField(tab, 'userId');
        assertNamesField(await refused(t, [PLAYER], () => get(t, '/api/v1/scores/user/caf%C3%A9', t.token(PLAYER)), 'INVALID_REQUEST'), 'userId');
        assertNamesField(await refused(t, [PLAYER], () => get(t, `/api/v1/scores/user/${'u'.repeat(256)}`, t.token(PLAYER)), 'INVALID_REQUEST'), 'userId');
        const nul = await refused(t, [PLAYER], () => get(t, '/api/v1/scores/user/%00/history', t.token(PLAYER)), 'INVALID_REQUEST');
        assertNamesField(nul, 'userId');
      });

      it('refuses a non-JSON content type with the envelope', async () => {
        await refused(t, [PLAYER], () => t.post(PLAYER, JSON.stringify(t.body()), { 'content-type': 'text/plain' }), 'INVALID_REQUEST');
        await refused(t, [PLAYER], () => t.post(PLAYER, 'a=b', { 'content-type': 'application/x-www-form-urlencoded' }), 'INVALID_REQUEST');
      });
    });

    describe('INVALID_ACTION', () => {
      it('refuses an unknown actionType that is correctly signed', async () => {
        const error = await refused(t, [PLAYER], () => t.post(PLAYER, t.body({ actionType: 'LEVEL_UP' })), 'INVALID_ACTION');
        // LEVEL_UP is in the default catalogue but not in this app's ACTIONS_CONFIG, which replaces it whole.
        assert.equal(error.details?.actionType, 'LEVEL_UP');
        await refused(t, [PLAYER], () => t.post(PLAYER, t.body({ actionType: 'HACK_THE_PLANET' })), 'INVALID_ACTION');
        await refused(t, [PLAYER], () => t.post(PLAYER, t.body({ actionType: 'TASK_COMPLETE ' })), 'INVALID_ACTION');
      });
    });

    describe('SCORE_VALIDATION_FAILED', () => {
      for (const increment of [0, -5, 1.5, 51, 1e300, Number.MAX_SAFE_INTEGER + 2]) {
        it(`refuses a correctly signed scoreIncrement of ${increment}`, async () => {
          await refused(t, [PLAYER], () => t.post(PLAYER, t.body({ scoreIncrement: increment })), 'SCORE_VALIDATION_FAILED');
        });
      }

      it('accepts exactly maxScore (50 for TASK_COMPLETE)', async () => {
        await applied(t, 'err-max', t.body({ scoreIncrement: 50 }));
      });
    });

    describe('TIMESTAMP_OUT_OF_RANGE', () => {
      for (const [name, offset] of [
        ['10 minutes in the past', -minutes(10)],
        ['10 minutes in the future', minutes(10)],
        ['a day in the past', -minutes(24 * 60)],
      ] as const) {
        it(`refuses a correctly signed timestamp ${name}`, async () => {
          const timestamp = new Date(Date.now() + offset).toISOString();
          const error = await refused(t, [PLAYER], () => t.post(PLAYER, t.body({ timestamp })), 'TIMESTAMP_OUT_OF_RANGE');
          assert.equal(typeof error.message, 'string');
        });
      }

      it('accepts a timestamp 4 minutes off, within the default 5-minute tolerance', async () => {
        await applied(t, 'err-ts-ok', t.body({ timestamp: new Date(Date.now() - minutes(4)).toISOString() }));
      });
    });

    describe('DUPLICATE_ACTION', () => {
      it('refuses the same body twice; the owner learns the original userId, newScore and appliedAt', async () => {
        const owner = 'err-dup-owner';
        const body = t.body({ scoreIncrement: 9 });
        const first = await applied(t, owner, body);
        const error = await refused(t, [owner], () => t.post(owner, body), 'DUPLICATE_ACTION');
        assert.deepEqual(error.details, { userId: owner, newScore: first.newScore, appliedAt: first.timestamp });

        // Another user replaying the same (validly signed) body learns nothing about the owner.
        const thief = 'err-dup-thief';
        const stolen = await refused(t, [owner, thief], () => t.post(thief, body), 'DUPLICATE_ACTION');
        assert.equal(stolen.details?.userId, undefined, JSON.stringify(stolen));
        assert.equal(stolen.details?.newScore, undefined, JSON.stringify(stolen));
        assert.equal(stolen.details?.appliedAt, undefined, JSON.stringify(stolen));
        assert.equal(await t.scoreInDb(thief), 0);
      });

      it('refuses a replay even when the replay cache forgot the action (the unique action_id)', async () => {
        const owner = 'err-dup-nocache';
        const body = t.body({ scoreIncrement: 8 });
        const first = await applied(t, owner, body);
        // Wait for the fire-and-forget cache write to land, then drop it: the replay must reach SQL.
        for (let i = 0; i < 100 && (await t.backends.replayCache.get(replayKey(body.actionId))) === null; i += 1) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        await t.backends.replayCache.delete(replayKey(body.actionId));
        const error = await refused(t, [owner], () => t.post(owner, body), 'DUPLICATE_ACTION');
        assert.deepEqual(error.details, { userId: owner, newScore: first.newScore, appliedAt: first.timestamp });

        await t.backends.replayCache.delete(replayKey(body.actionId));
        const thief = 'err-dup-nocache-thief';
        const stolen = await refused(t, [owner, thief], () => t.post(thief, body), 'DUPLICATE_ACTION');
        assert.equal(stolen.details?.userId, undefined, JSON.stringify(stolen));
        assert.equal(stolen.details?.newScore, undefined, JSON.stringify(stolen));
      });

      it('treats an upper-cased actionId (signed as sent) as the same action', async () => {
        const owner = 'err-dup-case';
        const body = t.body({ scoreIncrement: 2 });
        await applied(t, owner, body);
        await refused(t, [owner], () => t.post(owner, t.body({ actionId: body.actionId.toUpperCase(), scoreIncrement: 2 })), 'DUPLICATE_ACTION');
      });
    });

    describe('USER_NOT_FOUND and NOT_FOUND', () => {
      it('GET /api/v1/scores/user/nobody is USER_NOT_FOUND', async () => {
        await refused(t, [PLAYER], () => get(t, '/api/v1/scores/user/nobody', t.token(PLAYER)), 'USER_NOT_FOUND');
      });

      it("an admin reading an unknown user's history is USER_NOT_FOUND", async () => {
        await refused(t, [PLAYER], () => get(t, '/api/v1/scores/user/nobody/history', t.token('err-admin', { role: 'admin' })), 'USER_NOT_FOUND');
      });

      it('an unknown route is NOT_FOUND, for GET and POST', async () => {
        await refused(t, [PLAYER], () => get(t, '/api/v1/does-not-exist'), 'NOT_FOUND');
        await refused(t, [PLAYER], () => get(t, '/api/v1/scores/leaderboards?limit=5'), 'NOT_FOUND');
        await refused(t, [PLAYER], () => postAs(t, '/api/v1/scores/updates', t.token(PLAYER), t.body()), 'NOT_FOUND');
        await refused(t, [PLAYER], () => postAs(t, '/api/v1/nope', undefined, { a: 1 }), 'NOT_FOUND');
        // A known path with a method it does not serve.
        await refused(t, [PLAYER], () => get(t, UPDATE_URL, t.token(PLAYER)), 'NOT_FOUND');
      });

      // find-my-way refuses these before Fastify's handlers run; DESIGN wants the envelope on every 4xx.
      it('a user id of 101..128 characters (allowed by the user id pattern) gets the envelope, not a bare 414', async () => {
        await refused(t, [PLAYER], () => get(t, `/api/v1/scores/user/${'u'.repeat(120)}`, t.token(PLAYER)), 'USER_NOT_FOUND');
      });

      it('a path parameter that is not valid percent-encoding gets the envelope (INVALID_REQUEST)', async () => {
        await refused(t, [PLAYER], () => get(t, '/api/v1/scores/user/%E0%A4%A', t.token(PLAYER)), 'INVALID_REQUEST');
        await refused(t, [PLAYER], () => get(t, '/api/v1/scores/user/%ZZ/history', t.token(PLAYER)), 'INVALID_REQUEST');
      });
    });

    describe('PAYLOAD_TOO_LARGE', () => {
      it('refuses a 20 KiB body', async () => {
        await refused(t, [PLAYER], () => t.post(PLAYER, { ...t.body(), padding: 'x'.repeat(20 * 1024) }), 'PAYLOAD_TOO_LARGE');
      });
    });

    describe('order of checks', () => {
      it('schema before action type: an extra property with an unknown actionType is INVALID_REQUEST', async () => {
        await refused(t, [PLAYER], () => t.post(PLAYER, { ...t.body({ actionType: 'NOPE' }), extra: 1 }), 'INVALID_REQUEST');
      });

      it('action type before increment and signature', async () => {
        await refused(t, [PLAYER], () => t.post(PLAYER, t.body({ actionType: 'NOPE', clientSignature: 'b'.repeat(64) })), 'INVALID_ACTION');
        await refused(t, [PLAYER], () => t.post(PLAYER, t.body({ actionType: 'NOPE', scoreIncrement: -1 })), 'INVALID_ACTION');
      });

      it('increment before timestamp and signature', async () => {
        await refused(
          t,
          [PLAYER],
          () => t.post(PLAYER, t.body({ scoreIncrement: 0, timestamp: new Date(Date.now() - minutes(60)).toISOString(), clientSignature: 'c'.repeat(64) })),
          'SCORE_VALIDATION_FAILED',
        );
      });

      it('timestamp before signature: a too-old timestamp with a bad signature is TIMESTAMP_OUT_OF_RANGE', async () => {
        await refused(
          t,
          [PLAYER],
          () => t.post(PLAYER, t.body({ timestamp: new Date(Date.now() - minutes(10)).toISOString(), clientSignature: 'd'.repeat(64) })),
          'TIMESTAMP_OUT_OF_RANGE',
        );
      });

      it('signature before replay: a bad signature on a replayed actionId is 403, not 409', async () => {
        const body = t.body();
        await applied(t, PLAYER, body);
        const error = await refused(t, [PLAYER], () => t.post(PLAYER, { ...body, clientSignature: 'e'.repeat(64) }), 'FORBIDDEN');
        assert.equal(forbiddenReason(error), 'INVALID_SIGNATURE');
        // ...and a replay with an old timestamp is TIMESTAMP_OUT_OF_RANGE, before any replay lookup.
        const old = signedRaw({ ...body, timestamp: new Date(Date.now() - minutes(10)).toISOString() });
        await refused(t, [PLAYER], () => t.post(PLAYER, old), 'TIMESTAMP_OUT_OF_RANGE');
      });
    });

    describe('X-Request-Id', () => {
      it('echoes a well-formed client id in the header and in error.requestId', async () => {
        const id = `client-req.${Date.now()}:abc_DEF-1`;
        const res = await t.post(PLAYER, t.body({ clientSignature: '0'.repeat(64) }), { 'x-request-id': id });
        assert.equal(res.headers['x-request-id'], id);
        assert.equal(assertErrorEnvelope(res, 'FORBIDDEN').requestId, id);
        const notFound = await get(t, '/api/v1/nowhere', undefined, { 'x-request-id': id });
        assert.equal(notFound.headers['x-request-id'], id);
        assert.equal(assertErrorEnvelope(notFound, 'NOT_FOUND').requestId, id);
        const ok = await t.post(PLAYER, t.body({ scoreIncrement: 1 }), { 'x-request-id': id });
        assert.equal(ok.statusCode, 200, ok.body);
        assert.equal(ok.headers['x-request-id'], id);
      });

      for (const [name, id] of [
        ['with spaces', 'has spaces in it'],
        ['of 300 characters', 'a'.repeat(300)],
        ['with a quote and angle brackets', '"><script>'],
        ['with non-ASCII', 'réq-1'],
      ] as const) {
        it(`replaces a malformed id ${name}`, async () => {
          const res = await t.post(PLAYER, t.body({ clientSignature: '0'.repeat(64) }), { 'x-request-id': id });
          const error = assertErrorEnvelope(res, 'FORBIDDEN');
          assert.notEqual(res.headers['x-request-id'], id);
          assert.equal(error.requestId, res.headers['x-request-id']);
          assert.match(error.requestId, /^[A-Za-z0-9._:-]{1,128}$/);
        });
      }

      it('gives every response its own id when none is supplied', async () => {
        const a = await get(t, '/api/v1/nowhere');
        const b = await get(t, '/api/v1/nowhere');
        assert.notEqual(assertErrorEnvelope(a, 'NOT_FOUND').requestId, assertErrorEnvelope(b, 'NOT_FOUND').requestId);
      });
    });
  });

  describe(`per-user rate limit (${mode})`, { skip }, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(mode, { ACTIONS_CONFIG: actionsFile(FAST_ACTIONS), RATE_LIMIT_MAX_REQUESTS: '3' });
    });
    after(() => t.close());

    it('counts every attempt, malformed ones too; the 4th is 429 with Retry-After and scope user', async () => {
      const user = 'rl-user';
      await applied(t, user, t.body({ scoreIncrement: 5 }));
      await refused(t, [user], () => t.post(user, '{"truncated', { 'content-type': 'application/json' }), 'INVALID_REQUEST');
      await refused(t, [user], () => t.post(user, { nope: true }), 'INVALID_REQUEST');

      let res: Response | undefined;
      const error = await refused(
        t,
        [user],
        async () => {
          res = await t.post(user, t.body());
          return res;
        },
        'RATE_LIMIT_EXCEEDED',
      );
      assert.equal(error.details?.scope, 'user');
      const retryAfter = String(res?.headers['retry-after']);
      assert.match(retryAfter, /^\d+$/, `retry-after "${retryAfter}"`);
      assert.ok(Number(retryAfter) >= 1 && Number(retryAfter) <= 60, `retry-after ${retryAfter}`);

      // Rate limits come before the body: a rate-limited user with a malformed body gets 429.
      const malformed = await refused(t, [user], () => t.post(user, '{bad json', { 'content-type': 'application/json' }), 'RATE_LIMIT_EXCEEDED');
      assert.equal(malformed.details?.scope, 'user');
      const tooLarge = await refused(t, [user], () => t.post(user, { ...t.body(), padding: 'x'.repeat(20 * 1024) }), 'RATE_LIMIT_EXCEEDED');
      assert.equal(tooLarge.details?.scope, 'user');
      // The token still comes first.
      await refused(t, [user], () => postAs(t, UPDATE_URL, undefined, t.body()), 'UNAUTHORIZED');
    });

    it('does not affect another user', async () => {
      await applied(t, 'rl-other', t.body({ scoreIncrement: 2 }));
      await applied(t, 'rl-other', t.body({ scoreIncrement: 2 }));
    });
  });

  describe(`global (per client address) rate limit (${mode})`, { skip }, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(mode, { ACTIONS_CONFIG: actionsFile(FAST_ACTIONS), RATE_LIMIT_GLOBAL_MAX_REQUESTS: '5' });
    });
    after(() => t.close());

    it('refuses the 6th attempt from one address across several users with scope global', async () => {
      await applied(t, 'gl-1', t.body({ scoreIncrement: 1 }));
      await applied(t, 'gl-2', t.body({ scoreIncrement: 1 }));
      await refused(t, ['gl-1'], () => t.post('gl-1', '[', { 'content-type': 'application/json' }), 'INVALID_REQUEST');
      await applied(t, 'gl-3', t.body({ scoreIncrement: 1 }));
      await applied(t, 'gl-1', t.body({ scoreIncrement: 1 }));

      for (const user of ['gl-2', 'gl-4']) {
        let res: Response | undefined;
        const error = await refused(
          t,
          ['gl-1', 'gl-2', 'gl-3', 'gl-4'],
          async () => {
            res = await t.post(user, t.body());
            return res;
          },
          'RATE_LIMIT_EXCEEDED',
        );
        assert.equal(error.details?.scope, 'global', JSON.stringify(error));
        const retryAfter = String(res?.headers['retry-after']);
        assert.match(retryAfter, /^\d+$/, `retry-after "${retryAfter}"`);
        assert.ok(Number(retryAfter) >= 1 && Number(retryAfter) <= 60, `retry-after ${retryAfter}`);
      }
      // JWT is checked before the limits.
      await refused(t, ['gl-1'], () => postAs(t, UPDATE_URL, undefined, t.body()), 'UNAUTHORIZED');
    });
  });
}
