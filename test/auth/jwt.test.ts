import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createTokenSigner, createTokenVerifier, type TokenVerifier, type TokenVerifierOptions } from '../../src/auth/jwt.js';
import { cacheControlMaxAgeMs, pemKeys, publicKeyAlgorithm, remoteKeys } from '../../src/auth/token-keys.js';
import { isAppError } from '../../src/errors.js';
import { startIdentityProvider, type TestIdentityProvider } from '../helpers/identity-provider.js';
import { sleep } from '../helpers/sockets.js';

const SECRET = 'current-jwt-secret-0123456789abcdef0123456789';
const PREVIOUS = 'previous-jwt-secret-0123456789abcdef012345678';
const LIFETIME = { maxAgeSec: 7 * 86_400, clockToleranceSec: 30 };
const nowSec = () => Math.floor(Date.now() / 1000);
const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The 401's details (reason, claim) a token meets, or 'accepted'; other errors pass through. */
async function outcome(verify: TokenVerifier, token: string): Promise<Record<string, unknown> | string> {
  try {
    const principal = await verify(token);
    return `accepted:${principal.userId}`;
  } catch (error) {
    if (isAppError(error)) return { code: error.code, ...(error.details ?? {}) };
    throw error;
  }
}

function hs256(secret: string, payload: object, header: object = { alg: 'HS256', typ: 'JWT' }): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

const verifier = (options: Partial<TokenVerifierOptions>) => createTokenVerifier({ hmacSecrets: [SECRET], asymmetric: null, ...LIFETIME, ...options });

describe('HS256 tokens', () => {
  it('answers synchronously (no promise on the fast path)', () => {
    const token = createTokenSigner(SECRET, '1h')({ userId: 'alice' });
    const result = verifier({})(token);
    assert.ok(!(result instanceof Promise));
    assert.equal((result as { userId: string }).userId, 'alice');
  });

  it('accepts JWT_SECRET_PREVIOUS during a rotation and refuses a third secret', async () => {
    const verify = verifier({ hmacSecrets: [SECRET, PREVIOUS] });
    assert.equal(await outcome(verify, createTokenSigner(SECRET, '1h')({ userId: 'new' })), 'accepted:new');
    assert.equal(await outcome(verify, createTokenSigner(PREVIOUS, '1h')({ userId: 'old' })), 'accepted:old');
    const third = createTokenSigner('a-third-jwt-secret-0123456789abcdef012345678', '1h')({ userId: 'x' });
    assert.deepEqual(await outcome(verify, third), { code: 'UNAUTHORIZED', reason: 'BAD_SIGNATURE' });
    // Without the previous secret configured, its tokens are refused.
    assert.deepEqual(await outcome(verifier({}), createTokenSigner(PREVIOUS, '1h')({ userId: 'old' })), { code: 'UNAUTHORIZED', reason: 'BAD_SIGNATURE' });
  });

  it('puts the configured issuer and audience in the tokens it signs, which pass those checks', async () => {
    const token = createTokenSigner(SECRET, '1h', { issuer: 'https://id.studio.test', audience: 'scoreboard' })({ userId: 'dev' });
    assert.equal(await outcome(verifier({ issuer: 'https://id.studio.test', audience: 'scoreboard' }), token), 'accepted:dev');
  });

  it('refuses every HS256 token when no HMAC secret is configured', async () => {
    const verify = verifier({ hmacSecrets: [] });
    assert.deepEqual(await outcome(verify, createTokenSigner(SECRET, '1h')({ userId: 'x' })), { code: 'UNAUTHORIZED', reason: 'BAD_SIGNATURE' });
  });
});

describe('the 401 reasons', () => {
  const verify = verifier({ issuer: 'https://id.studio.test', audience: 'scoreboard' });
  const good = { userId: 'p1', iss: 'https://id.studio.test', aud: 'scoreboard' };
  const cases: [string, string, Record<string, unknown> | string][] = [
    ['not three parts', 'abc.def', { reason: 'TOKEN_MALFORMED' }],
    ['a header that is not JSON', 'bm90LWpzb24.e30.c2ln', { reason: 'TOKEN_MALFORMED' }],
    ['a header without alg', `${b64url({ typ: 'JWT' })}.e30.c2ln`, { reason: 'TOKEN_MALFORMED' }],
    ['an exp that is not a number', hs256(SECRET, { ...good, exp: 'soon' }), { reason: 'TOKEN_MALFORMED' }],
    ['an expired token', hs256(SECRET, { ...good, iat: nowSec() - 7200, exp: nowSec() - 3600 }), { reason: 'TOKEN_EXPIRED' }],
    ['a token expired within the clock tolerance', hs256(SECRET, { ...good, exp: nowSec() - 10 }), 'accepted:p1'],
    ['a future nbf', hs256(SECRET, { ...good, nbf: nowSec() + 600, exp: nowSec() + 3600 }), { reason: 'TOKEN_NOT_YET_VALID' }],
    ['a future iat', hs256(SECRET, { ...good, iat: nowSec() + 600, exp: nowSec() + 3600 }), { reason: 'TOKEN_NOT_YET_VALID' }],
    ['another secret', hs256(PREVIOUS, { ...good, exp: nowSec() + 60 }), { reason: 'BAD_SIGNATURE' }],
    ['another issuer', hs256(SECRET, { ...good, iss: 'https://evil.test', exp: nowSec() + 60 }), { reason: 'WRONG_ISSUER' }],
    ['another audience', hs256(SECRET, { ...good, aud: ['other-service'], exp: nowSec() + 60 }), { reason: 'WRONG_AUDIENCE' }],
    ['the audience among several', hs256(SECRET, { ...good, aud: ['other', 'scoreboard'], exp: nowSec() + 60 }), 'accepted:p1'],
    ['no exp', hs256(SECRET, good), { reason: 'MISSING_CLAIM', claim: 'exp' }],
    ['no iss', hs256(SECRET, { userId: 'p1', aud: 'scoreboard', exp: nowSec() + 60 }), { reason: 'MISSING_CLAIM', claim: 'iss' }],
    ['no user id', hs256(SECRET, { iss: good.iss, aud: good.aud, exp: nowSec() + 60 }), { reason: 'MISSING_CLAIM', claim: 'userId or sub' }],
  ];
  for (const [name, token, expected] of cases) {
    it(`${name}: ${typeof expected === 'string' ? expected : expected.reason}`, async () => {
      const result = await outcome(verify, token);
      assert.deepEqual(result, typeof expected === 'string' ? expected : { code: 'UNAUTHORIZED', ...expected });
    });
  }

  it('never tells the expected issuer or audience', async () => {
    for (const token of [hs256(SECRET, { ...good, iss: 'x', exp: nowSec() + 60 }), hs256(SECRET, { ...good, aud: 'x', exp: nowSec() + 60 })]) {
      try {
        await verify(token);
        assert.fail('accepted');
      } catch (error) {
        assert.ok(isAppError(error));
        const told = JSON.stringify({ message: error.message, details: error.details });
        assert.ok(!told.includes('id.studio.test') && !told.includes('scoreboard'), told);
      }
    }
  });
});

describe('tokens from a JWKS document', () => {
  let idp: TestIdentityProvider;
  const kids: Record<string, string> = {};

  before(async () => {
    idp = await startIdentityProvider();
    for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) kids[alg] = await idp.addKey(alg);
  });
  after(() => idp.close());

  const jwksVerifier = (options: Parameters<typeof remoteKeys>[1] = {}, verifierOptions: Partial<TokenVerifierOptions> = {}) =>
    verifier({ asymmetric: remoteKeys(new URL(idp.url), options), ...verifierOptions });

  it('accepts RS256, ES256 and EdDSA tokens, with one fetch of the document for all of them', async () => {
    const before = idp.requests();
    const verify = jwksVerifier();
    for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
      assert.equal(await outcome(verify, await idp.sign(kids[alg]!, { sub: `player-${alg}` })), `accepted:player-${alg}`);
    }
    assert.equal(idp.requests() - before, 1);
  });

  it('reads an IdP-shaped token: sub without userId, name as the username, admin through the configured claim', async () => {
    const verify = jwksVerifier({}, { claims: { userId: ['sub'], username: ['username', 'name'], roles: ['realm_access.roles'] } });
    const principal = await verify(await idp.sign(kids.RS256!, { sub: 'u-42', name: 'Ada', realm_access: { roles: ['player', 'admin'] } }));
    assert.deepEqual(principal, { userId: 'u-42', username: 'Ada', email: null, roles: ['player', 'admin'], isAdmin: true });
    const custom = jwksVerifier({}, { claims: { userId: ['uid'], username: ['nick'], roles: ['https://studio.test/roles'] } });
    const player = await custom(await idp.sign(kids.ES256!, { sub: 'ignored', uid: 'u-7', nick: 'Bo', 'https://studio.test/roles': 'admin' }));
    assert.deepEqual([player.userId, player.username, player.isAdmin], ['u-7', 'Bo', true]);
    assert.deepEqual(await outcome(custom, await idp.sign(kids.ES256!, { sub: 'u-8' })), { code: 'UNAUTHORIZED', reason: 'MISSING_CLAIM', claim: 'uid' });
  });

  it('applies the lifetime rules and the issuer and audience checks to these tokens too', async () => {
    const verify = jwksVerifier({}, { issuer: 'https://id.studio.test', audience: 'scoreboard' });
    const ok = { sub: 'p', iss: 'https://id.studio.test', aud: 'scoreboard' };
    assert.equal(await outcome(verify, await idp.sign(kids.EdDSA!, ok)), 'accepted:p');
    assert.deepEqual(await outcome(verify, await idp.sign(kids.EdDSA!, { ...ok, iss: 'https://other.test' })), { code: 'UNAUTHORIZED', reason: 'WRONG_ISSUER' });
    assert.deepEqual(await outcome(verify, await idp.sign(kids.EdDSA!, { ...ok, aud: 'other' })), { code: 'UNAUTHORIZED', reason: 'WRONG_AUDIENCE' });
    assert.deepEqual(await outcome(verify, await idp.sign(kids.EdDSA!, { ...ok, iat: nowSec() - 7200, exp: nowSec() - 3600 })), { code: 'UNAUTHORIZED', reason: 'TOKEN_EXPIRED' });
    assert.deepEqual(await outcome(verify, await idp.sign(kids.EdDSA!, { ...ok, exp: nowSec() + 30 * 86_400 })), { code: 'UNAUTHORIZED', reason: 'TOKEN_EXPIRED' });
    assert.deepEqual(await outcome(verify, await idp.sign(kids.EdDSA!, { ...ok, nbf: nowSec() + 600 })), { code: 'UNAUTHORIZED', reason: 'TOKEN_NOT_YET_VALID' });
    const [header, payload, signature] = (await idp.sign(kids.RS256!, ok)).split('.');
    const edited = `${header}.${b64url({ ...ok, sub: 'someone-else', exp: nowSec() + 60 })}.${signature}`;
    assert.deepEqual(await outcome(verify, edited), { code: 'UNAUTHORIZED', reason: 'BAD_SIGNATURE' });
    assert.ok(payload);
  });

  it('refuses algorithm confusion: HS256 signed with the public key as secret, alg none, an embedded jwk, a jku', async () => {
    const verify = jwksVerifier();
    const publicPem = await idp.publicPem(kids.RS256!);
    const claims = { sub: 'mallory', exp: nowSec() + 600 };
    const confused = hs256(publicPem, claims, { alg: 'HS256', typ: 'JWT', kid: kids.RS256 });
    assert.deepEqual(await outcome(verify, confused), { code: 'UNAUTHORIZED', reason: 'BAD_SIGNATURE' });
    // Even with that PEM configured as a secret, the RS key never verifies an HS256 token and vice versa.
    assert.deepEqual(await outcome(jwksVerifier({}, { hmacSecrets: [SECRET] }), confused), { code: 'UNAUTHORIZED', reason: 'BAD_SIGNATURE' });
    const none = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
    assert.deepEqual(await outcome(verify, none), { code: 'UNAUTHORIZED', reason: 'BAD_SIGNATURE' });
    // A token signed by a key it carries itself, under a kid the document has and under none.
    const attacker = await generateKeyPair('RS256', { extractable: true });
    const jwk = await exportJWK(attacker.publicKey);
    for (const header of [{ jwk }, { jwk, kid: kids.RS256 }, { jku: 'http://127.0.0.1:1/evil.json', kid: 'evil' }, { x5u: 'http://127.0.0.1:1/evil.pem' }]) {
      const token = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', ...header }).sign(attacker.privateKey);
      assert.deepEqual(await outcome(verify, token), { code: 'UNAUTHORIZED', reason: 'BAD_SIGNATURE' }, JSON.stringify(Object.keys(header)));
    }
    // An RS256 token where only HS256 is configured.
    assert.deepEqual(await outcome(verifier({}), await idp.sign(kids.RS256!, { sub: 'x' })), { code: 'UNAUTHORIZED', reason: 'BAD_SIGNATURE' });
    // An algorithm that is not accepted (PS256), under a kid the document has.
    assert.deepEqual(await outcome(verify, `${b64url({ alg: 'PS256', kid: kids.RS256 })}.${b64url(claims)}.c2ln`), { code: 'UNAUTHORIZED', reason: 'BAD_SIGNATURE' });
  });

  it('fetches the document again for an unknown kid at most once per cooldown, and accepts a new key after that one fetch', async () => {
    const verify = jwksVerifier({ cooldownMs: 30_000 });
    assert.equal(await outcome(verify, await idp.sign(kids.RS256!, { sub: 'a' })), 'accepted:a');
    const start = idp.requests();
    const unknown = await generateKeyPair('ES256');
    for (let i = 0; i < 20; i++) {
      const token = await new SignJWT({ sub: 'x', exp: nowSec() + 60 }).setProtectedHeader({ alg: 'ES256', kid: `unknown-${i}` }).sign(unknown.privateKey);
      assert.deepEqual(await outcome(verify, token), { code: 'UNAUTHORIZED', reason: 'BAD_SIGNATURE' });
    }
    assert.equal(idp.requests() - start, 0, 'within 30 s of the last fetch an unknown kid fetches nothing');

    // With a short cooldown: a rotation's new kid is accepted after exactly one more fetch, even
    // when many tokens with it arrive at once.
    const quick = jwksVerifier({ cooldownMs: 200 });
    assert.equal(await outcome(quick, await idp.sign(kids.RS256!, { sub: 'a' })), 'accepted:a');
    const newKid = await idp.addKey('RS256');
    await sleep(250);
    const beforeRotation = idp.requests();
    const tokens = await Promise.all(Array.from({ length: 10 }, (_, i) => idp.sign(newKid, { sub: `n${i}` })));
    const results = await Promise.all(tokens.map((token) => outcome(quick, token)));
    assert.deepEqual(results, tokens.map((_, i) => `accepted:n${i}`));
    assert.equal(idp.requests() - beforeRotation, 1);
  });

  it("keeps the document as long as its Cache-Control max-age says; a removed kid's tokens are refused after that", async () => {
    idp.cacheControl = 'public, max-age=1';
    try {
      const verify = jwksVerifier({ minCacheMs: 0 });
      const retired = await idp.addKey('ES256');
      const token = await idp.sign(retired, { sub: 'r' });
      assert.equal(await outcome(verify, token), 'accepted:r');
      const start = idp.requests();
      idp.removeKey(retired);
      assert.equal(await outcome(verify, token), 'accepted:r', 'still cached');
      assert.equal(idp.requests() - start, 0);
      await sleep(1100);
      assert.deepEqual(await outcome(verify, token), { code: 'UNAUTHORIZED', reason: 'BAD_SIGNATURE' });
      assert.equal(idp.requests() - start, 1, 'one fetch after max-age');
    } finally {
      idp.cacheControl = 'public, max-age=600';
    }
  });

  it('reads max-age from Cache-Control, and none from no-store', () => {
    assert.equal(cacheControlMaxAgeMs('public, max-age=300, must-revalidate'), 300_000);
    assert.equal(cacheControlMaxAgeMs('max-age="60"'), 60_000);
    assert.equal(cacheControlMaxAgeMs('s-maxage=5'), undefined);
    assert.equal(cacheControlMaxAgeMs('no-store'), undefined);
    assert.equal(cacheControlMaxAgeMs(null), undefined);
  });

  it('answers 503 SERVICE_UNAVAILABLE while the document cannot be fetched and no keys are cached', async () => {
    const gone = await startIdentityProvider();
    const kid = await gone.addKey('RS256');
    const token = await gone.sign(kid, { sub: 'p' });
    const url = gone.url;
    await gone.close();
    const verify = verifier({ asymmetric: remoteKeys(new URL(url), { timeoutMs: 1000 }) });
    await assert.rejects(Promise.resolve(verify(token)), (error: unknown) => isAppError(error) && error.code === 'SERVICE_UNAVAILABLE' && error.retryAfterSec !== undefined);
  });
});

describe('a PEM public key (JWT_PUBLIC_KEY_FILE)', () => {
  it('sets the one algorithm from the key type', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ed = generateKeyPairSync('ed25519');
    const pem = (key: typeof rsa) => key.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    assert.deepEqual(['RS256', 'ES256', 'EdDSA'], [rsa, ec, ed].map((pair) => (publicKeyAlgorithm(pem(pair)) as { algorithm: string }).algorithm));
    const problem = (text: string) => ('problem' in publicKeyAlgorithm(text) ? 'refused' : 'accepted');
    assert.equal(problem(pem(generateKeyPairSync('ec', { namedCurve: 'P-384' }))), 'refused', 'P-384');
    assert.equal(problem(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()), 'refused', 'a private key');
    assert.equal(problem('not a key'), 'refused', 'not a key');

    const verify = verifier({ asymmetric: pemKeys(pem(ec)) });
    const sign = (alg: string, key: typeof ec.privateKey) => new SignJWT({ sub: 'pem-user', exp: nowSec() + 60 }).setProtectedHeader({ alg }).sign(key);
    assert.equal(await outcome(verify, await sign('ES256', ec.privateKey)), 'accepted:pem-user');
    // Another algorithm than the key's is refused, even one that is accepted with a JWKS.
    assert.deepEqual(await outcome(verify, await sign('EdDSA', ed.privateKey)), { code: 'UNAUTHORIZED', reason: 'BAD_SIGNATURE' });
    assert.deepEqual(await outcome(verify, await sign('ES256', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)), { code: 'UNAUTHORIZED', reason: 'BAD_SIGNATURE' });
  });
});
