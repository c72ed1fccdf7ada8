// The live page at `/` in a real browser (Debian's chromium through playwright-core): live updates
// over Socket.IO, the polling fallback, the player's own panel, a private board, and the layout
// on a phone. Screenshots go to /tmp/live-page-*.png for a human to look at.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { actionsFile, createTestApp, FAST_ACTIONS, type TestApp } from '../helpers/app.js';
import { CHROMIUM, CHROMIUM_ARGS, SKIP_BROWSER as SKIP } from '../helpers/browser.js';

/** How long a condition may take to show: the page polls every 2 s in fallback mode. */
const WAIT_MS = 8_000;
const XSS_NAME = '<img src=x onerror="window.__xss=1">';
const LONG_NAME = 'Wolfeschlegelsteinhausenbergerdorff_the_Unbreakable_of_Everywhere';

interface Row {
  userId: string;
  rank: string;
  name: string;
  score: string;
  classes: string;
}

// The functions below run in the page (serialised by playwright): they reach the DOM through
// `globalThis` because this project compiles without the DOM lib, and define no named inner functions.

/** The table as data. */
function readRows(): Row[] {
  const doc = (globalThis as any).document;
  return Array.from(doc.querySelectorAll('#rows tr')).map((tr: any) => ({
    userId: tr.dataset.userId,
    rank: tr.querySelector('td.rank span').textContent,
    name: tr.querySelector('td.name').textContent,
    score: tr.querySelector('td.score').textContent,
    classes: tr.className,
  }));
}

/** True once `userId`'s row shows `score` at `rank` (and, when asked, carries the highlight class). */
function rowShows([userId, rank, score, highlight]: readonly [string, string, string, string | null]): boolean {
  const doc = (globalThis as any).document;
  const tr = Array.from(doc.querySelectorAll('#rows tr')).find((row: any) => row.dataset.userId === userId) as any;
  if (!tr) return false;
  return (
    tr.querySelector('td.rank span').textContent === rank &&
    tr.querySelector('td.score').textContent === score &&
    (highlight === null || tr.classList.contains(highlight))
  );
}

/** True when no row is sliding (the CSS highlight may still run): for screenshots. */
function settled(): boolean {
  return (globalThis as any).document.getAnimations().every((animation: any) => typeof animation.animationName === 'string');
}

function stateIs(name: string): boolean {
  return (globalThis as any).document.getElementById('state').dataset.state === name;
}

describe('live page in a browser', { skip: SKIP }, () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;

  /** The name each player's token carries: the token's username is the player's display name. */
  const names = new Map<string, string>();

  async function score(userId: string, increment: number, username = names.get(userId)): Promise<void> {
    if (username) names.set(userId, username);
    const headers: Record<string, string> = username ? { authorization: `Bearer ${t.token(userId, { username })}` } : {};
    const response = await t.post(userId, t.body({ actionType: 'ACHIEVEMENT', scoreIncrement: increment }), headers);
    assert.equal(response.statusCode, 200, response.body);
  }

  /** A fresh context and page; page errors fail the test. */
  async function open(
    options: BrowserContextOptions = {},
    prepare?: (page: Page) => Promise<void>,
    url = `${base}/`,
  ): Promise<{ context: BrowserContext; page: Page; errors: Error[] }> {
    const context = await browser.newContext({ locale: 'en-US', ...options });
    const page = await context.newPage();
    const errors: Error[] = [];
    page.on('pageerror', (error) => errors.push(error));
    if (prepare) await prepare(page);
    await page.goto(url);
    return { context, page, errors };
  }

  before(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    t = await createTestApp('embedded', { ACTIONS_CONFIG: actionsFile(FAST_ACTIONS) });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    await score('u-alice', 180, 'Alice');
    await score('u-bob', 120, 'Bob');
    await score('u-carol', 90, 'Carol');
    await score('u-xss', 60, XSS_NAME);
  });

  after(async () => {
    await browser?.close();
    await t?.close();
  });

  test('shows the existing scores in order, names as text', { timeout: 30_000 }, async () => {
    const { context, page, errors } = await open();
    try {
      await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('#rows tr').length === 4, null, { timeout: WAIT_MS });
      const rows = await page.evaluate(readRows);
      assert.deepEqual(
        rows.map(({ rank, name, score: value }) => [rank, name, value]),
        [
          ['1', 'Alice', '180'],
          ['2', 'Bob', '120'],
          ['3', 'Carol', '90'],
          ['4', XSS_NAME, '60'],
        ],
      );
      // The username is shown as text: no element was created from it and nothing ran.
      assert.equal(await page.locator('#rows img').count(), 0);
      assert.equal(await page.evaluate(() => (globalThis as any).__xss), undefined);
      // Every name is isolated (<bdi>), so right-to-left text cannot reorder the rank and score beside it.
      assert.equal(await page.locator('#rows td.name > bdi').count(), 4);
      // Table semantics and a live region for the changes.
      assert.equal(await page.locator('table thead th[scope="col"]').count(), 3);
      assert.equal(await page.locator('[aria-live="polite"]').count(), 1);
      assert.equal(await page.locator('#empty').isHidden(), true);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('a posted score appears live, highlighted, without a reload', { timeout: 30_000 }, async () => {
    const { context, page, errors } = await open();
    try {
      await page.waitForFunction(stateIs, 'live', { timeout: WAIT_MS });
      assert.equal(await page.locator('#state').textContent(), 'Live');
      await page.waitForFunction(rowShows, ['u-carol', '3', '90', null] as const, { timeout: WAIT_MS });
      await page.evaluate(() => {
        (globalThis as any).__sameDocument = true;
      });

      await score('u-carol', 100); // 190: from third to first
      await page.waitForFunction(rowShows, ['u-carol', '1', '190', 'changed'] as const, { timeout: WAIT_MS });
      const rows = await page.evaluate(readRows);
      assert.deepEqual(
        rows.map((row) => [row.rank, row.userId, row.score]),
        [
          ['1', 'u-carol', '190'],
          ['2', 'u-alice', '180'],
          ['3', 'u-bob', '120'],
          ['4', 'u-xss', '60'],
        ],
      );
      assert.equal(await page.locator('#rows tr[data-user-id="u-carol"] .delta').textContent(), '▲2');
      // The row that scored is highlighted strongly; the rows it pushed down softly.
      assert.deepEqual(
        rows.map((row) => [row.userId, /\bscored\b/.test(row.classes), /\bchanged\b/.test(row.classes)]),
        [
          ['u-carol', true, true],
          ['u-alice', false, true],
          ['u-bob', false, true],
          ['u-xss', false, false],
        ],
      );
      assert.equal(await page.evaluate(() => (globalThis as any).__sameDocument), true, 'the page was not reloaded');
      assert.equal(await page.evaluate(stateIs, 'live'), true);
      // Screen-reader users hear about it.
      await page.waitForFunction(
        () => /Carol moved up to rank 1/.test((globalThis as any).document.getElementById('announcer').textContent),
        null,
        { timeout: WAIT_MS },
      );
      await page.waitForFunction(settled, null, { timeout: WAIT_MS });
      await page.screenshot({ path: '/tmp/live-page-update.png' });
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('with the socket blocked it falls back to polling and still updates', { timeout: 30_000 }, async () => {
    const socketRequests: string[] = [];
    const { context, page, errors } = await open({}, async (page) => {
      await page.route('**/socket.io/**', (route) => {
        socketRequests.push(route.request().url());
        return route.abort();
      });
    });
    try {
      await page.waitForFunction(stateIs, 'polling', { timeout: WAIT_MS });
      assert.match((await page.locator('#state').textContent()) ?? '', /polling/i);
      assert.ok(socketRequests.length > 0, 'the page tried to load the Socket.IO client');
      await page.waitForFunction(rowShows, ['u-bob', '3', '120', null] as const, { timeout: WAIT_MS });
      await page.evaluate(() => {
        (globalThis as any).__sameDocument = true;
      });

      await score('u-bob', 200); // 320: first
      await page.waitForFunction(rowShows, ['u-bob', '1', '320', null] as const, { timeout: WAIT_MS });
      assert.equal(await page.evaluate(() => (globalThis as any).__sameDocument), true, 'the page was not reloaded');
      assert.equal(await page.evaluate(stateIs, 'polling'), true);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('polls while the handshake fails and stops once the socket is live', { timeout: 40_000 }, async () => {
    const handshake = (url: URL) => url.pathname === '/socket.io/';
    const polls: number[] = [];
    const { context, page, errors } = await open({}, async (page) => {
      page.on('request', (request) => {
        if (request.url().includes('/leaderboard/changes')) polls.push(Date.now());
      });
      await page.route(handshake, (route) => route.abort());
    });
    try {
      // The client script loads; its connection attempts fail; after a couple it polls.
      await page.waitForFunction(stateIs, 'polling', { timeout: WAIT_MS });
      assert.equal(await page.evaluate(() => typeof (globalThis as any).io), 'function');
      await page.waitForFunction(
        () => /reconnect attempt \d+/.test((globalThis as any).document.getElementById('detail').textContent),
        null,
        { timeout: WAIT_MS },
      );

      // The socket comes back: socket.io-client's own back-off reconnects and polling stops.
      await page.unroute(handshake);
      await page.waitForFunction(stateIs, 'live', { timeout: 20_000 });
      const pollsWhenLive = polls.length;
      assert.ok(pollsWhenLive > 0, 'it polled while the socket was down');
      await score('u-alice', 150); // 330: first again, delivered by the socket
      await page.waitForFunction(rowShows, ['u-alice', '1', '330', 'changed'] as const, { timeout: WAIT_MS });
      // An absence can only be observed over a window: longer than the 2 s polling interval.
      await page.waitForTimeout(3_000);
      assert.ok(polls.length <= pollsWhenLive + 1, `polling stopped once live (${polls.length - pollsWhenLive} more requests)`);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('phone layout: no horizontal scroll; a player link shows "you"', { timeout: 30_000 }, async () => {
    await score('u-phone', 40, LONG_NAME);
    const token = t.token('u-phone', { username: LONG_NAME });
    const context = await browser.newContext({
      locale: 'en-US',
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      colorScheme: 'light',
    });
    const page = await context.newPage();
    const errors: Error[] = [];
    page.on('pageerror', (error) => errors.push(error));
    try {
      await page.goto(`${base}/#token=${token}`);
      await page.waitForFunction(stateIs, 'live', { timeout: WAIT_MS });
      await page.waitForFunction(rowShows, ['u-phone', '5', '40', null] as const, { timeout: WAIT_MS });
      // The token left the address bar and stays in this tab only.
      assert.equal(new URL(page.url()).hash, '');
      assert.equal(await page.evaluate(() => (globalThis as any).sessionStorage.getItem('scoreboard.token')), token);
      assert.equal(await page.locator('#rows tr[data-user-id="u-phone"]').getAttribute('class'), 'me');
      await page.waitForFunction(() => (globalThis as any).document.getElementById('me-rank').textContent === '#5', null, { timeout: WAIT_MS });

      // The player's own events: score:updated and rank:changed.
      await score('u-phone', 50); // 90: fourth
      await page.waitForFunction(
        () => {
          const doc = (globalThis as any).document;
          return (
            doc.getElementById('me-score').textContent === '90' &&
            doc.getElementById('me-gain').textContent === '+50' &&
            doc.getElementById('me-rank').textContent === '#4'
          );
        },
        null,
        { timeout: WAIT_MS },
      );

      const layout = await page.evaluate(() => {
        const doc = (globalThis as any).document;
        const button = doc.getElementById('forget').getBoundingClientRect();
        const name = doc.querySelector('#rows tr[data-user-id="u-phone"] td.name');
        return {
          scrollWidth: doc.documentElement.scrollWidth,
          clientWidth: doc.documentElement.clientWidth,
          buttonHeight: button.height,
          nameTruncated: name.scrollWidth > name.clientWidth,
          fontSize: parseFloat((globalThis as any).getComputedStyle(doc.querySelector('#rows td')).fontSize),
        };
      });
      assert.ok(layout.scrollWidth <= layout.clientWidth, `no horizontal scroll: ${layout.scrollWidth} > ${layout.clientWidth}`);
      assert.ok(layout.buttonHeight >= 44, `touch target ${layout.buttonHeight}px`);
      assert.equal(layout.nameTruncated, true, 'the long name is cut with an ellipsis, not widening the table');
      assert.ok(layout.fontSize >= 14, `readable text: ${layout.fontSize}px`);
      await page.waitForFunction(settled, null, { timeout: WAIT_MS });
      await page.screenshot({ path: '/tmp/live-page-phone.png', fullPage: true });

      // "Forget me" drops the token.
      await page.locator('#forget').click();
      assert.equal(await page.locator('#me').isHidden(), true);
      assert.equal(await page.evaluate(() => (globalThis as any).sessionStorage.getItem('scoreboard.token')), null);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('desktop, dark mode', { timeout: 30_000 }, async () => {
    const { context, page, errors } = await open({ viewport: { width: 1280, height: 800 }, colorScheme: 'dark' });
    try {
      await page.waitForFunction(stateIs, 'live', { timeout: WAIT_MS });
      await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('#rows tr').length === 5, null, { timeout: WAIT_MS });
      const background = await page.evaluate(() => (globalThis as any).getComputedStyle((globalThis as any).document.body).backgroundColor);
      assert.equal(background, 'rgb(15, 17, 21)', 'the dark palette applies');
      const layout = await page.evaluate(() => {
        const doc = (globalThis as any).document;
        return { scrollWidth: doc.documentElement.scrollWidth, clientWidth: doc.documentElement.clientWidth };
      });
      assert.ok(layout.scrollWidth <= layout.clientWidth);
      await page.screenshot({ path: '/tmp/live-page-desktop.png' });
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('a private leaderboard says so, and shows itself to a player link', { timeout: 40_000 }, async () => {
    const hidden = await createTestApp('embedded', { ACTIONS_CONFIG: actionsFile(FAST_ACTIONS), LEADERBOARD_PUBLIC: 'false' });
    try {
      const hiddenBase = await hidden.app.listen({ port: 0, host: '127.0.0.1' });
      const response = await hidden.post('u-dana', hidden.body({ scoreIncrement: 30 }));
      assert.equal(response.statusCode, 200, response.body);

      const anonymous = await open({}, undefined, `${hiddenBase}/`);
      try {
        await anonymous.page.waitForFunction(
          () => {
            const doc = (globalThis as any).document;
            return !doc.getElementById('notice').hidden && doc.getElementById('board').hidden;
          },
          null,
          { timeout: WAIT_MS },
        );
        assert.match((await anonymous.page.locator('#notice').textContent()) ?? '', /private/);
        assert.deepEqual(anonymous.errors, []);
      } finally {
        await anonymous.context.close();
      }

      const player = await open({}, undefined, `${hiddenBase}/#token=${hidden.token('u-dana')}`);
      try {
        await player.page.waitForFunction(rowShows, ['u-dana', '1', '30', null] as const, { timeout: WAIT_MS });
        assert.equal(await player.page.locator('#notice').isHidden(), true);
        assert.equal(await player.page.locator('#board').isHidden(), false);
        assert.deepEqual(player.errors, []);
      } finally {
        await player.context.close();
      }
    } finally {
      await hidden.close();
    }
  });
});
