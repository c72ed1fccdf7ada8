// The live page and the dashboard with tokens from a studio's identity provider (RS256 from a JWKS,
// `sub` and `name` only, admin through JWT_ADMIN_CLAIM), in a real browser.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { actionsFile, createTestApp, FAST_ACTIONS, type TestApp } from '../helpers/app.js';
import { CHROMIUM, CHROMIUM_ARGS, SKIP_BROWSER as SKIP } from '../helpers/browser.js';
import { startIdentityProvider, type TestIdentityProvider } from '../helpers/identity-provider.js';

const WAIT_MS = 8_000;
const nowSec = () => Math.floor(Date.now() / 1000);

describe('pages with identity provider tokens', { skip: SKIP }, () => {
  let idp: TestIdentityProvider;
  let kid: string;
  let t: TestApp;
  let base: string;
  let browser: Browser;

  before(async () => {
    idp = await startIdentityProvider();
    kid = await idp.addKey('RS256');
    t = await createTestApp('embedded', { ACTIONS_CONFIG: actionsFile(FAST_ACTIONS), JWT_JWKS_URL: idp.url, JWT_ADMIN_CLAIM: 'groups' });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    await idp?.close();
  });

  test('the live page takes the token from #token=, names the player from `name` and follows their score', { timeout: 30_000 }, async () => {
    const token = await idp.sign(kid, { sub: 'idp-live', name: 'Ida Live' });
    const context = await browser.newContext({ locale: 'en-US' });
    try {
      const page = await context.newPage();
      await page.goto(`${base}/#token=${token}`);
      await page.locator('#me').waitFor({ state: 'visible', timeout: WAIT_MS });
      assert.equal(await page.locator('#me-name').textContent(), 'Ida Live');
      const response = await t.app.inject({ method: 'POST', url: '/api/v1/scores/update', headers: { authorization: `Bearer ${token}` }, payload: t.body({ scoreIncrement: 40 }) });
      assert.equal(response.statusCode, 200, response.body);
      await page.waitForFunction(([id, text]) => (globalThis as any).document.getElementById(id).textContent === text, ['me-score', '40'], { timeout: WAIT_MS });
      assert.equal(await page.locator('#me-rank').textContent(), '#1');
    } finally {
      await context.close();
    }
  });

  test('the dashboard signs in with an admin token of the provider, and tells why a token is refused', { timeout: 30_000 }, async () => {
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      await page.goto(`${base}/admin`);
      await page.locator('#signin').waitFor({ state: 'visible', timeout: WAIT_MS });
      const signIn = async (token: string) => {
        await page.locator('#token').fill(token);
        await page.locator('#signin-submit').click();
      };
      // `role: admin` is not the configured claim: the server says no, and the page follows it.
      await signIn(await idp.sign(kid, { sub: 'idp-player', name: 'Pat', role: 'admin', groups: ['player'] }));
      await page.waitForFunction(() => /admin role/.test((globalThis as any).document.getElementById('signin-error').textContent), null, { timeout: WAIT_MS });
      await signIn(await idp.sign(kid, { sub: 'idp-old', iat: nowSec() - 7200, exp: nowSec() - 3600, groups: ['admin'] }));
      await page.waitForFunction(() => /not accepted.*TOKEN_EXPIRED/.test((globalThis as any).document.getElementById('signin-error').textContent), null, { timeout: WAIT_MS });
      assert.equal(await page.locator('#dashboard').isHidden(), true);

      await signIn(await idp.sign(kid, { sub: 'idp-ops', name: 'Olga Ops', groups: ['staff', 'admin'] }));
      await page.locator('#dashboard').waitFor({ state: 'visible', timeout: WAIT_MS });
      assert.equal(await page.locator('#who').textContent(), 'Signed in as Olga Ops');
      await page.screenshot({ path: '/tmp/identity-tokens-admin.png' });
    } finally {
      await context.close();
    }
  });
});
