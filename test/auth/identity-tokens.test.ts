import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, SignJWT } from 'jose';
import { createTokenSigner } from '../../src/auth/jwt.js';
import { actionsFile, createTestApp, FAST_ACTIONS, MODES, TEST_JWT_SECRET, type TestApp } from '../helpers/app.js';
import { startIdentityProvider, type IdpAlgorithm, type TestIdentityProvider } from '../helpers/identity-provider.js';
import { connected, openSocket, type RecordingSocket } from '../helpers/sockets.js';

const ISSUER = 'https://id.studio.test/';
const AUDIENCE = 'scoreboard';
const PREVIOUS_SECRET = 'previous-jwt-secret-0123456789abcdef012345678';
const ALGORITHMS: IdpAlgorithm[] = ['RS256', 'ES256', 'EdDSA'];
const nowSec = () => Math.floor(Date.now() / 1000);

/** What a studio's identity provider puts in a token: `sub`, `name`, its groups; no `userId`, no `username`. */
const idpClaims = (sub: string, extra: Record<string, unknown> = {}) => ({ sub, name: `Name of ${sub}`, iss: ISSUER, aud: AUDIENCE, groups: ['player'], ...extra });

function bearer(token: string) {
  return { authorization: `Bearer ${token}` };
}

async function refusal(response: { statusCode: number; json(): any }) {
  assert.equal(response.statusCode, 401);
  const { error } = response.json();
  assert.equal(error.code, 'UNAUTHORIZED');
  return error.details;
}

for (const { mode, skip } of MODES) {
  describe(`tokens from an identity provider's JWKS, over HTTP and Socket.IO (${mode})`, { skip }, () => {
    let idp: TestIdentityProvider;
    let t: TestApp;
    let url: string;
    const kids = {} as Record<IdpAlgorithm, string>;
    const sockets: RecordingSocket[] = [];

    before(async () => {
      idp = await startIdentityProvider();
      for (const alg of ALGORITHMS) kids[alg] = await idp.addKey(alg);
      t = await createTestApp(mode, {
        ACTIONS_CONFIG: actionsFile(FAST_ACTIONS),
        JWT_JWKS_URL: idp.url,
        JWT_ISSUER: ISSUER,
        JWT_AUDIENCE: AUDIENCE,
        JWT_ADMIN_CLAIM: 'groups',
        JWT_SECRET_PREVIOUS: PREVIOUS_SECRET,
      });
      url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    });
    after(async () => {
      for (const socket of sockets) socket.close();
      await t?.close();
      await idp?.close();
    });

    const update = (token: string, increment = 5) =>
      t.app.inject({ method: 'POST', url: '/api/v1/scores/update', headers: bearer(token), payload: t.body({ scoreIncrement: increment }) });

    for (const alg of ALGORITHMS) {
      it(`accepts an ${alg} token with sub and name only: the update applies, the user is written with that name`, async () => {
        const userId = `idp-${alg.toLowerCase()}`;
        const response = await update(await idp.sign(kids[alg], idpClaims(userId)));
        assert.equal(response.statusCode, 200, response.body);
        assert.equal(response.json().data.userId, userId);
        const [row] = await t.backends.sql.query('SELECT username FROM users WHERE id = $1', [userId]);
        assert.equal(row?.username, `Name of ${userId}`);
      });

      it(`signs a socket in with an ${alg} token, in the handshake and with the authenticate event`, async () => {
        const userId = `live-${alg.toLowerCase()}`;
        const token = await idp.sign(kids[alg], idpClaims(userId));
        const handshake = openSocket(url, { token });
        sockets.push(handshake);
        await connected(handshake);
        const late = openSocket(url);
        sockets.push(late);
        await connected(late);
        assert.deepEqual(await late.socket.timeout(3000).emitWithAck('authenticate', { token }), { ok: true, userId });
        assert.equal((await update(token, 3)).statusCode, 200);
        for (const socket of [handshake, late]) assert.deepEqual(await socket.next('score:updated'), { userId, newScore: 3, increment: 3 });
      });
    }

    it('gives the admin role through the configured claim (JWT_ADMIN_CLAIM=groups), and only through it', async () => {
      const admin = await idp.sign(kids.RS256, idpClaims('idp-admin', { groups: ['player', 'admin'] }));
      const player = await idp.sign(kids.RS256, idpClaims('idp-player', { role: 'admin' }));
      const feed = (token: string) => t.app.inject({ url: '/api/v1/admin/suspicious-activity', headers: bearer(token) });
      assert.equal((await feed(admin)).statusCode, 200);
      const refused = await feed(player);
      assert.equal(refused.statusCode, 403, 'role: admin means nothing once JWT_ADMIN_CLAIM names another claim');
      assert.equal(refused.json().error.details.reason, 'NOT_ALLOWED');
    });

    it('answers each refusal with its reason, over HTTP, in connect_error data and in the authenticate ack', async () => {
      const cases: [string, string, Record<string, unknown>][] = [
        ['another issuer', await idp.sign(kids.ES256, idpClaims('x', { iss: 'https://other.test/' })), { reason: 'WRONG_ISSUER' }],
        ['another audience', await idp.sign(kids.ES256, idpClaims('x', { aud: 'another-service' })), { reason: 'WRONG_AUDIENCE' }],
        ['an expired token', await idp.sign(kids.EdDSA, idpClaims('x', { iat: nowSec() - 7200, exp: nowSec() - 3600 })), { reason: 'TOKEN_EXPIRED' }],
        ['a token not valid yet', await idp.sign(kids.EdDSA, idpClaims('x', { nbf: nowSec() + 3600 })), { reason: 'TOKEN_NOT_YET_VALID' }],
        ['no sub', await idp.sign(kids.RS256, idpClaims('x', { sub: undefined })), { reason: 'MISSING_CLAIM', claim: 'userId or sub' }],
        ['an unknown key', await new SignJWT(idpClaims('x', { exp: nowSec() + 60 })).setProtectedHeader({ alg: 'ES256', kid: 'unknown' }).sign((await generateKeyPair('ES256')).privateKey), { reason: 'BAD_SIGNATURE' }],
        ['a malformed token', 'a.b', { reason: 'TOKEN_MALFORMED' }],
      ];
      for (const [name, token, details] of cases) {
        assert.deepEqual(await refusal(await update(token)), details, `HTTP: ${name}`);
        const socket = openSocket(url, { token });
        sockets.push(socket);
        await assert.rejects(connected(socket), (error: Error & { data?: unknown }) => {
          assert.equal(error.message, 'UNAUTHORIZED', name);
          assert.deepEqual(error.data, details, `connect_error: ${name}`);
          return true;
        });
      }
      const late = openSocket(url);
      sockets.push(late);
      await connected(late);
      for (const [name, token, details] of cases.slice(0, 4)) {
        assert.deepEqual(await late.socket.timeout(3000).emitWithAck('authenticate', { token }), { ok: false, error: 'UNAUTHORIZED', ...details }, `ack: ${name}`);
      }
      assert.deepEqual(await refusal(await t.app.inject({ method: 'POST', url: '/api/v1/scores/update', payload: t.body() })), { reason: 'TOKEN_MISSING' });
    });

    it('does not fetch the JWKS again for unknown kids within 30 s of the last fetch', async () => {
      assert.equal((await update(await idp.sign(kids.RS256, idpClaims('warm')))).statusCode, 200);
      const before = idp.requests();
      const stranger = await generateKeyPair('RS256');
      for (let i = 0; i < 20; i++) {
        const token = await new SignJWT(idpClaims('x', { exp: nowSec() + 60 })).setProtectedHeader({ alg: 'RS256', kid: `rotated-${i}` }).sign(stranger.privateKey);
        assert.equal((await refusal(await update(token))).reason, 'BAD_SIGNATURE');
      }
      assert.ok(idp.requests() - before <= 1, `at most one fetch, got ${idp.requests() - before}`);
    });

    it('keeps HS256: JWT_SECRET and, during a rotation, JWT_SECRET_PREVIOUS; a third secret and alg confusion are refused', async () => {
      const checked = { issuer: ISSUER, audience: AUDIENCE };
      assert.equal((await update(createTokenSigner(TEST_JWT_SECRET, '1h', checked)({ userId: 'hs-current' }))).statusCode, 200);
      assert.equal((await update(createTokenSigner(PREVIOUS_SECRET, '1h', checked)({ userId: 'hs-previous' }))).statusCode, 200);
      const third = createTokenSigner('a-third-jwt-secret-0123456789abcdef012345678', '1h', checked)({ userId: 'hs-third' });
      assert.equal((await refusal(await update(third))).reason, 'BAD_SIGNATURE');
      // An HS256 token whose secret is the RSA key's public PEM: never verified against that key.
      const pem = await idp.publicPem(kids.RS256);
      const confused = createTokenSigner(pem, '1h', checked)({ userId: 'mallory' });
      assert.equal((await refusal(await update(confused))).reason, 'BAD_SIGNATURE');
    });
  });

  describe(`tokens verified with a PEM public key, JWT_PUBLIC_KEY_FILE (${mode})`, { skip }, () => {
    let idp: TestIdentityProvider;
    let t: TestApp;
    let url: string;
    let kid: string;
    const sockets: RecordingSocket[] = [];

    before(async () => {
      // The provider here only holds the keys; the server never fetches its document.
      idp = await startIdentityProvider();
      kid = await idp.addKey('ES256');
      const dir = mkdtempSync(join(tmpdir(), 'sb-pem-'));
      const file = join(dir, 'idp.pem');
      writeFileSync(file, await idp.publicPem(kid));
      t = await createTestApp(mode, { JWT_PUBLIC_KEY_FILE: file, JWT_USER_ID_CLAIM: 'uid', JWT_USERNAME_CLAIM: 'nick' });
      url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    });
    after(async () => {
      for (const socket of sockets) socket.close();
      await t?.close();
      await idp?.close();
    });

    it('accepts tokens of that key over HTTP and Socket.IO, reading the configured claims', async () => {
      const token = await idp.sign(kid, { sub: 'not-this', uid: 'pem-player', nick: 'Pem' });
      const response = await t.app.inject({ url: '/api/v1/scores/user/pem-player', headers: bearer(token) });
      assert.notEqual(response.statusCode, 401, response.body);
      const socket = openSocket(url, { token });
      sockets.push(socket);
      await connected(socket);
      const late = openSocket(url);
      sockets.push(late);
      await connected(late);
      assert.deepEqual(await late.socket.timeout(3000).emitWithAck('authenticate', { token }), { ok: true, userId: 'pem-player' });
      assert.equal(idp.requests(), 0);
    });

    it('refuses a token of another key, and one without the configured user id claim', async () => {
      const other = await idp.addKey('ES256');
      assert.equal((await refusal(await t.app.inject({ url: '/api/v1/scores/user/x', headers: bearer(await idp.sign(other, { uid: 'x' })) }))).reason, 'BAD_SIGNATURE');
      assert.deepEqual(await refusal(await t.app.inject({ url: '/api/v1/scores/user/x', headers: bearer(await idp.sign(kid, { sub: 'x' })) })), { reason: 'MISSING_CLAIM', claim: 'uid' });
    });
  });
}
