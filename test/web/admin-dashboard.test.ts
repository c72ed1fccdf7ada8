// The admin dashboard at `/admin` in a real browser (Debian's chromium through playwright-core):
// signing in with an admin token (and being told when a token is not an admin's), a flag that
// appears live while the page is open, freezing (hidden from boards, still shown so after a
// reload) and unfreezing from the feed with the score path refusing and then accepting the player,
// the player lookup with its history, the hand-drawn charts, and the layout on a phone.
// Screenshots: /tmp/admin-dashboard.png (desktop) and /tmp/admin-dashboard-phone.png, for a human
// to look at.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { ANOMALY_REASONS } from '../../src/integrity/anomaly-detectors.js';
import { actionsFile, createTestApp, FAST_ACTIONS, type TestApp } from '../helpers/app.js';
import { CHROMIUM, CHROMIUM_ARGS, SKIP_BROWSER as SKIP } from '../helpers/browser.js';

/** How long a condition may take to show: the charts are polled every 2 s. */
const WAIT_MS = 8_000;
const BAD_SIGNATURE = 'ab'.repeat(32);
const TOKEN_KEY = 'scoreboard.adminToken';

// The functions below run in the page (serialised by playwright): they reach the DOM through
// `globalThis` because this project compiles without the DOM lib, and define no named inner functions.

function stateIs(name: string): boolean {
  return (globalThis as any).document.getElementById('state').dataset.state === name;
}

/** The status badge of every feed row of `userId` reads `text`. */
function feedStatusIs([userId, text]: readonly [string, string]): boolean {
  const rows = Array.from((globalThis as any).document.querySelectorAll('#feed li.flag')).filter((li: any) => li.dataset.userId === userId);
  return rows.length > 0 && rows.every((li: any) => li.querySelector('.badge').textContent === text);
}

/** The "Hidden from boards" badge of every feed row of `userId` is shown (true) or not (false). */
function feedHiddenIs([userId, shown]: readonly [string, boolean]): boolean {
  const rows = Array.from((globalThis as any).document.querySelectorAll('#feed li.flag')).filter((li: any) => li.dataset.userId === userId);
  return rows.length > 0 && rows.every((li: any) => li.querySelector('.hidden-tag').hidden === !shown);
}

/** Pixels of the canvas that carry colour (the plotted data; the grid and labels are grey). */
function colouredPixels(id: string): number {
  const canvas = (globalThis as any).document.getElementById(id);
  const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  let count = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] > 100 && Math.max(data[i], data[i + 1], data[i + 2]) - Math.min(data[i], data[i + 1], data[i + 2]) > 60) count += 1;
  }
  return count;
}

function noHorizontalScroll(): { scrollWidth: number; clientWidth: number } {
  const doc = (globalThis as any).document;
  return { scrollWidth: doc.documentElement.scrollWidth, clientWidth: doc.documentElement.clientWidth };
}

/** Waits for a condition of the test process (not of the page). */
async function until(condition: () => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('admin dashboard in a browser', { skip: SKIP }, () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let adminToken: string;

  /** A fresh context on /admin; page errors and CSP violations fail the test. */
  async function open(options: BrowserContextOptions = {}): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 }, ...options });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) problems.push(`console: ${message.text()}`);
    });
    await page.goto(`${base}/admin`);
    return { context, page, problems };
  }

  async function signIn(page: Page, token: string): Promise<void> {
    await page.locator('#token').fill(token);
    await page.locator('#signin-submit').click();
  }

  async function signInAsAdmin(page: Page): Promise<void> {
    await signIn(page, adminToken);
    await page.locator('#dashboard').waitFor({ state: 'visible', timeout: WAIT_MS });
    await page.waitForFunction(stateIs, 'live', { timeout: WAIT_MS });
  }

  async function score(userId: string, overrides: Parameters<TestApp['body']>[0] = {}): Promise<void> {
    const response = await t.post(userId, t.body(overrides));
    assert.equal(response.statusCode, 200, response.body);
  }

  before(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    t = await createTestApp('embedded', { ACTIONS_CONFIG: actionsFile(FAST_ACTIONS), ANOMALY_SIGNATURE_FAILURES: '3' });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    adminToken = t.token('root', { role: 'admin', username: 'Root' });
  });

  after(async () => {
    await browser?.close();
    await t?.close();
  });

  test('the page is served under the CSP with its script', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/admin' });
    assert.equal(page.statusCode, 200);
    assert.match(page.headers['content-type'] as string, /^text\/html/);
    assert.match(page.headers['content-security-policy'] as string, /script-src 'self'/);
    assert.match(page.body, /<script src="\/admin\.js" defer><\/script>/);
    assert.doesNotMatch(page.body, /<script>|\son[a-z]+="/i, 'no inline script or inline event handler');
    const script = await t.app.inject({ method: 'GET', url: '/admin.js' });
    assert.equal(script.statusCode, 200);
    assert.match(script.headers['content-type'] as string, /^text\/javascript/);
    assert.doesNotMatch(script.body, /innerHTML|insertAdjacentHTML|document\.write/, 'text goes in through textContent');
  });

  test('a token without the admin role, or an invalid one, gets a clear message', { timeout: 30_000 }, async () => {
    const { context, page, problems } = await open();
    try {
      await page.locator('#signin').waitFor({ state: 'visible', timeout: WAIT_MS });
      assert.equal(await page.locator('#state').textContent(), 'Signed out');

      await signIn(page, t.token('player-one'));
      await page.waitForFunction(() => /admin role/.test((globalThis as any).document.getElementById('signin-error').textContent), null, { timeout: WAIT_MS });
      assert.equal(await page.locator('#dashboard').isHidden(), true);
      assert.equal(await page.evaluate((key) => (globalThis as any).sessionStorage.getItem(key), TOKEN_KEY), null, 'a refused token is not kept');

      // An admin claim under a signature that does not match: 401.
      const forged = `${adminToken.slice(0, -4)}${adminToken.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
      await signIn(page, forged);
      await page.waitForFunction(() => /not accepted/.test((globalThis as any).document.getElementById('signin-error').textContent), null, { timeout: WAIT_MS });
      assert.equal(await page.locator('#dashboard').isHidden(), true);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('a flag appears live; freezing from the feed refuses the player, unfreezing lets them back', { timeout: 60_000 }, async () => {
    const { context, page, problems } = await open({ colorScheme: 'dark' });
    const feedReads: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname === '/api/v1/admin/suspicious-activity' && !url.searchParams.has('userId')) feedReads.push(url.search);
    });
    try {
      await signInAsAdmin(page);
      assert.equal(await page.locator('#state').textContent(), 'Live');
      assert.match((await page.locator('#who').textContent()) ?? '', /Root/);
      assert.equal(await page.evaluate((key) => (globalThis as any).sessionStorage.getItem(key), TOKEN_KEY), adminToken);
      await page.locator('#feed-empty').waitFor({ state: 'visible', timeout: WAIT_MS });
      await page.evaluate(() => {
        (globalThis as any).__sameDocument = true;
      });
      // The page reads the feed's first page at sign-in and once the socket is connected; from
      // here on the flag must arrive over the socket.
      await until(() => feedReads.length >= 2, 'the feed was read at sign-in and on connect');
      const readsBefore = feedReads.length;

      // Three bad signatures: the SIGNATURE_FAILURES detector (threshold 3) flags mallory.
      await score('mallory', { scoreIncrement: 5 });
      for (let i = 0; i < 3; i++) {
        const response = await t.post('mallory', t.body({ clientSignature: BAD_SIGNATURE }));
        assert.equal(response.statusCode, 403, response.body);
        assert.equal(response.json().error.details.reason, 'INVALID_SIGNATURE');
      }
      const row = page.locator('#feed li.flag[data-user-id="mallory"]');
      await row.waitFor({ state: 'visible', timeout: WAIT_MS });
      assert.equal(await row.count(), 1);
      assert.match((await row.getAttribute('class')) ?? '', /\blive\b/, 'highlighted as new');
      assert.match((await row.locator('.reason').textContent()) ?? '', /SIGNATURE_FAILURES/);
      assert.match((await row.locator('.evidence').textContent()) ?? '', /failures 3/);
      assert.equal(await page.locator('#feed li.flag').first().getAttribute('data-user-id'), 'mallory', 'at the top');
      // The username and status are filled in (a live flag carries neither).
      await page.waitForFunction(feedStatusIs, ['mallory', 'Active'] as const, { timeout: WAIT_MS });
      assert.equal(await row.locator('button.player').textContent(), 'Player mallory');
      assert.equal(await row.locator('button.player > bdi').count(), 1, 'the name is isolated from the id beside it');
      assert.equal(await page.evaluate(() => (globalThis as any).__sameDocument), true, 'the page was not reloaded');
      assert.equal(feedReads.length, readsBefore, `the flag came over the socket, not by reading the feed (${feedReads.slice(readsBefore).join(' ')})`);

      // Freeze from the feed: an inline form asks for the reason; an empty one is refused.
      await row.locator('button.freeze').click();
      const form = row.locator('form.freeze-form');
      await form.waitFor({ state: 'visible' });
      assert.equal(await row.locator('button.freeze').isHidden(), true);
      await form.locator('button.confirm').click();
      assert.match((await row.locator('.control .error').textContent()) ?? '', /reason/i);
      await form.locator('input[name="reason"]').fill('bad signatures, confirmed by support');
      await form.locator('input[name="hide"]').check();
      await form.locator('button.confirm').click();
      await page.waitForFunction(feedStatusIs, ['mallory', 'Frozen'] as const, { timeout: WAIT_MS });
      assert.equal(await form.isHidden(), true);
      assert.equal(await row.locator('button.unfreeze').isVisible(), true);
      assert.equal(await row.locator('.hidden-tag').isVisible(), true, 'shown as hidden from boards');

      const refused = await t.post('mallory', t.body());
      assert.equal(refused.statusCode, 403, refused.body);
      assert.equal(refused.json().error.details.reason, 'ACCOUNT_FROZEN');
      assert.equal(await t.scoreInDb('mallory'), 5);

      // The session survives a reload (sessionStorage), and the feed shows the stored status, hidden included.
      await page.reload();
      await page.waitForFunction(stateIs, 'live', { timeout: WAIT_MS });
      await page.waitForFunction(feedStatusIs, ['mallory', 'Frozen'] as const, { timeout: WAIT_MS });
      const reloaded = page.locator('#feed li.flag[data-user-id="mallory"]');
      assert.equal(await reloaded.locator('.hidden-tag').isVisible(), true, 'still shown as hidden from boards after a reload');

      await reloaded.locator('button.unfreeze').click();
      await page.waitForFunction(feedStatusIs, ['mallory', 'Active'] as const, { timeout: WAIT_MS });
      await page.waitForFunction(feedHiddenIs, ['mallory', false] as const, { timeout: WAIT_MS });
      await score('mallory', { scoreIncrement: 7 });
      assert.equal(await t.scoreInDb('mallory'), 12);

      // Traffic for the charts: applied updates and refusals by reason.
      for (let i = 0; i < 6; i++) await score(`u-traffic-${i % 3}`, { scoreIncrement: 1 + i });
      const tooFast = await t.post('u-traffic-0', t.body({ actionType: 'SLOW_ACTION' }));
      assert.equal(tooFast.statusCode, 200, tooFast.body);
      assert.equal((await t.post('u-traffic-0', t.body({ actionType: 'SLOW_ACTION' }))).statusCode, 403);
      await page.waitForFunction(
        () => {
          const doc = (globalThis as any).document;
          const reasons = Array.from(doc.querySelectorAll('#legend li')).map((li: any) => li.dataset.reason);
          return Number(doc.getElementById('chart-applied').dataset.total) >= 9 && reasons.includes('INVALID_SIGNATURE') && reasons.includes('ACCOUNT_FROZEN') && reasons.includes('TOO_FAST');
        },
        null,
        { timeout: WAIT_MS },
      );
      assert.ok((await page.evaluate(colouredPixels, 'chart-applied')) > 50, 'the applied series is drawn');
      assert.ok((await page.evaluate(colouredPixels, 'chart-rejected')) > 10, 'the refusals are drawn');
      const dataUrl = await page.evaluate(() => (globalThis as any).document.getElementById('chart-applied').toDataURL().length);
      assert.ok(dataUrl > 2000, `a non-trivial image (${dataUrl} characters)`);
      assert.match((await page.locator('#traffic .note').textContent()) ?? '', /instance that answered/);
      const background = await page.evaluate(() => (globalThis as any).getComputedStyle((globalThis as any).document.body).backgroundColor);
      assert.equal(background, 'rgb(15, 17, 21)', 'the dark palette applies');
      assert.ok((await page.evaluate(noHorizontalScroll)).scrollWidth <= 1280);

      // Show a player next to the feed for the screenshot.
      await page.locator('#lookup-id').fill('mallory');
      await page.locator('#lookup-submit').click();
      await page.waitForFunction(() => (globalThis as any).document.getElementById('player-score').textContent === '12', null, { timeout: WAIT_MS });
      await page.screenshot({ path: '/tmp/admin-dashboard.png', fullPage: true });
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('player lookup: score, rank, history newest first with "load more", freeze there too', { timeout: 40_000 }, async () => {
    for (let i = 1; i <= 23; i++) await score('u-lookup', { scoreIncrement: i, actionType: 'ACHIEVEMENT' });
    const total = (23 * 24) / 2;
    const { context, page, problems } = await open();
    try {
      await signInAsAdmin(page);
      await page.locator('#lookup-id').fill('nobody-here');
      await page.locator('#lookup-submit').click();
      await page.waitForFunction(() => /No player/.test((globalThis as any).document.getElementById('lookup-error').textContent), null, { timeout: WAIT_MS });
      assert.equal(await page.locator('#player').isHidden(), true);

      await page.locator('#lookup-id').fill('u-lookup');
      await page.locator('#lookup-form button[type="submit"]').click();
      await page.locator('#player').waitFor({ state: 'visible', timeout: WAIT_MS });
      assert.equal(await page.locator('#player-score').textContent(), String(total));
      assert.equal(await page.locator('#player-rank').textContent(), '#1');
      assert.equal(await page.locator('#player-total').textContent(), '23');
      assert.equal(await page.locator('#player-name').textContent(), 'Player u-lookup');
      assert.match((await page.locator('#player-flags').textContent()) ?? '', /No flags/);
      assert.equal(await page.locator('#history tr').count(), 20);
      const firstRow = await page.locator('#history tr').first().locator('td').allTextContents();
      assert.deepEqual(firstRow.slice(1, 4), ['ACHIEVEMENT', '+23', String(total)], 'newest first');
      await page.locator('#history-more').click();
      await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('#history tr').length === 23, null, { timeout: WAIT_MS });
      assert.deepEqual((await page.locator('#history tr').last().locator('td').allTextContents()).slice(2, 4), ['+1', '1']);
      assert.equal(await page.locator('#history-more').isHidden(), true);

      // Without flags the status is not known; freezing tells it.
      const control = page.locator('#player-control');
      assert.equal(await control.locator('.badge').textContent(), 'Status unknown');
      await control.locator('button.freeze').click();
      await control.locator('input[name="reason"]').fill('manual review');
      await control.locator('input[name="reason"]').press('Enter');
      await page.waitForFunction(() => (globalThis as any).document.querySelector('#player-control .badge').textContent === 'Frozen', null, { timeout: WAIT_MS });
      const refused = await t.post('u-lookup', t.body());
      assert.equal(refused.json().error.details.reason, 'ACCOUNT_FROZEN');
      await control.locator('button.unfreeze').click();
      await page.waitForFunction(() => (globalThis as any).document.querySelector('#player-control .badge').textContent === 'Active', null, { timeout: WAIT_MS });
      await score('u-lookup');

      // "Sign out" forgets the token.
      await page.locator('#sign-out').click();
      await page.locator('#signin').waitFor({ state: 'visible' });
      assert.equal(await page.locator('#dashboard').isHidden(), true);
      assert.equal(await page.evaluate((key) => (globalThis as any).sessionStorage.getItem(key), TOKEN_KEY), null);
      assert.equal(await page.locator('#state').textContent(), 'Signed out');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('every reason a detector can flag is put into words in the feed', { timeout: 30_000 }, async () => {
    await score('u-reasons', { scoreIncrement: 1 });
    for (const reason of ANOMALY_REASONS) await t.backends.stores.integrity.recordSuspicious('u-reasons', reason, { note: reason });
    const { context, page, problems } = await open();
    try {
      await signInAsAdmin(page);
      const rows = page.locator('#feed li.flag[data-user-id="u-reasons"]');
      await page.waitForFunction((n) => (globalThis as any).document.querySelectorAll('#feed li.flag[data-user-id="u-reasons"]').length === n, ANOMALY_REASONS.length, { timeout: WAIT_MS });
      for (const text of await rows.locator('.reason').allTextContents()) assert.match(text, /^[A-Z_]+ — \S/, `no words for ${text}`);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('phone layout: no horizontal scroll, touch-sized buttons, charts drawn', { timeout: 30_000 }, async () => {
    const { context, page, problems } = await open({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      colorScheme: 'light',
    });
    try {
      await signInAsAdmin(page);
      await page.locator('#feed li.flag[data-user-id="mallory"]').waitFor({ state: 'visible', timeout: WAIT_MS });
      await page.waitForFunction(() => Number((globalThis as any).document.getElementById('chart-applied').dataset.total) > 0, null, { timeout: WAIT_MS });
      assert.ok((await page.evaluate(colouredPixels, 'chart-applied')) > 50);
      await page.locator('#feed li.flag[data-user-id="mallory"] button.freeze').click();
      const layout = await page.evaluate(() => {
        const doc = (globalThis as any).document;
        const heights = Array.from(doc.querySelectorAll('button')).filter((b: any) => b.offsetParent !== null && !b.classList.contains('link')).map((b: any) => b.getBoundingClientRect().height);
        return {
          scrollWidth: doc.documentElement.scrollWidth,
          clientWidth: doc.documentElement.clientWidth,
          smallestButton: Math.min(...heights),
          fontSize: parseFloat((globalThis as any).getComputedStyle(doc.querySelector('#feed .reason')).fontSize),
        };
      });
      assert.ok(layout.scrollWidth <= layout.clientWidth, `no horizontal scroll: ${layout.scrollWidth} > ${layout.clientWidth}`);
      assert.ok(layout.smallestButton >= 44, `touch targets: ${layout.smallestButton}px`);
      assert.ok(layout.fontSize >= 13, `readable text: ${layout.fontSize}px`);
      await page.locator('#feed li.flag[data-user-id="mallory"] button.cancel').click();
      await page.screenshot({ path: '/tmp/admin-dashboard-phone.png', fullPage: true });
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
});
