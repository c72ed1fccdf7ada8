// Boards on the live page at `/`, in a real browser (Debian's chromium through playwright-core)
// against a real server: the picker with every board and what it is, a board's entries, a signed
// submission that appears without a reload (over `board:subscribe` when the server acknowledges it,
// by polling otherwise), a time trial shown as times lowest first, a board that resets every minute
// changing period at the boundary, the previous and past periods, the player's own entry and the
// players around them, and the layout at 1280 and 375 px (screenshots in /tmp/shots/live-*.png).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { io as connect } from 'socket.io-client';
import { signSubmission } from '../../src/boards/board-signature.js';
import { actionsFile, createTestApp, FAST_ACTIONS, TEST_HMAC_KEY, type TestApp } from '../helpers/app.js';
import { CHROMIUM, CHROMIUM_ARGS, SKIP_BROWSER as SKIP } from '../helpers/browser.js';

/** How long a change may take to show: a subscription the server does not acknowledge is given 4 s, then the page polls every 2 s. */
const WAIT_MS = 15_000;
const SHOTS = '/tmp/shots';
const XSS = '<img src=x onerror="window.__xss=1">';

interface Row {
  userId: string;
  rank: string;
  name: string;
  score: string;
  classes: string;
}

// The functions below run in the page (serialised by playwright): they reach the DOM through
// `globalThis` because this project compiles without the DOM lib.

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

function readAround(): { userId: string; rank: string; name: string; score: string; me: boolean }[] {
  const doc = (globalThis as any).document;
  return Array.from(doc.querySelectorAll('#around-rows li')).map((li: any) => ({
    userId: li.dataset.userId,
    rank: li.querySelector('.rank').textContent,
    name: li.querySelector('.name').textContent,
    score: li.querySelector('.score').textContent,
    me: li.classList.contains('me'),
  }));
}

/** The table's user ids, in order, joined: cheap to wait on. */
function rowIds(): string {
  const doc = (globalThis as any).document;
  return Array.from(doc.querySelectorAll('#rows tr'))
    .map((tr: any) => tr.dataset.userId)
    .join(',');
}

function rowShows([userId, rank, score]: readonly [string, string, string]): boolean {
  const doc = (globalThis as any).document;
  const tr = Array.from(doc.querySelectorAll('#rows tr')).find((row: any) => row.dataset.userId === userId) as any;
  return Boolean(tr && tr.querySelector('td.rank span').textContent === rank && tr.querySelector('td.score').textContent === score);
}

function stateIs(name: string): boolean {
  return (globalThis as any).document.getElementById('state').dataset.state === name;
}

function text(id: string): string {
  return (globalThis as any).document.getElementById(id).textContent;
}

function settled(): boolean {
  return (globalThis as any).document.getAnimations().every((animation: any) => typeof animation.animationName === 'string');
}

describe('live page: boards in a browser', { skip: SKIP }, () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  /** Whether this server acknowledges `board:subscribe` (the page is then live on a board, else it polls). */
  let boardEvents = false;

  const admin = () => ({ authorization: `Bearer ${t.token('root', { role: 'admin' })}`, 'content-type': 'application/json' });

  async function createBoard(definition: Record<string, unknown>): Promise<any> {
    const response = await fetch(`${base}/api/v1/admin/boards`, { method: 'POST', headers: admin(), body: JSON.stringify(definition) });
    const body = (await response.json()) as any;
    assert.equal(response.status, 201, JSON.stringify(body));
    return body.data;
  }

  /** A real signed POST /api/v1/boards/:id/scores over HTTP, as a game client sends it. */
  async function submit(boardId: string, userId: string, score: number, username = `Player ${userId}`): Promise<any> {
    const unsigned = { actionId: randomUUID(), score, timestamp: new Date().toISOString() };
    const body = { ...unsigned, clientSignature: signSubmission(TEST_HMAC_KEY, { ...unsigned, boardId }) };
    const response = await fetch(`${base}/api/v1/boards/${boardId}/scores`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.token(userId, { username })}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = (await response.json()) as any;
    assert.equal(response.status, 200, JSON.stringify(answer));
    return answer.data;
  }

  /** Asks the server itself, with a real Socket.IO client, whether it acknowledges `board:subscribe`. */
  async function acksBoardSubscribe(boardId: string): Promise<boolean> {
    const socket = connect(base, { path: '/socket.io', transports: ['websocket'], reconnection: false, forceNew: true });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
      const ack = await socket.timeout(3000).emitWithAck('board:subscribe', { boardId }).catch(() => null);
      return Boolean(ack && ack.ok === true);
    } finally {
      socket.close();
    }
  }

  async function open(url: string, options: BrowserContextOptions = {}, prepare?: (page: Page) => Promise<void>): Promise<{ context: BrowserContext; page: Page; errors: Error[] }> {
    const context = await browser.newContext({ locale: 'en-US', timezoneId: 'UTC', ...options });
    const page = await context.newPage();
    const errors: Error[] = [];
    page.on('pageerror', (error) => errors.push(error));
    if (prepare) await prepare(page);
    await page.goto(url);
    return { context, page, errors };
  }

  /** The state the page must reach on a live board: live over the socket when the server has board events, else polling. */
  const liveState = () => (boardEvents ? 'live' : 'polling');

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    t = await createTestApp('embedded', { ACTIONS_CONFIG: actionsFile(FAST_ACTIONS) });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    await createBoard({ id: 'arena', title: 'Arena — ranked', operator: 'best', metadata: { mode: 'ranked', region: 'eu-west' } });
    await createBoard({ id: 'laps', title: 'Monza time trial', sortOrder: 'asc', operator: 'best', minScore: 1000, metadata: { format: 'duration-ms', track: 'Monza', car: 'GT3' } });
    for (let i = 1; i <= 12; i++) await submit('arena', `p${String(i).padStart(2, '0')}`, i * 100, `Player ${i}`);
    await submit('laps', 'ann', 83456, 'Ann');
    await submit('laps', 'ben', 79012, 'Ben');
    await submit('laps', 'cho', 91500, 'Cho');
    boardEvents = await acksBoardSubscribe('arena');
  });

  after(async () => {
    await browser?.close();
    await t?.close();
  });

  test('the picker lists every board with its title and metadata; picking one shows its entries', { timeout: 60_000 }, async () => {
    assert.equal(boardEvents, true, 'the server acknowledges board:subscribe, so the page follows boards over the socket');
    await createBoard({ id: 'hostile', title: XSS, metadata: { note: XSS } });
    const pages: number[] = [];
    const { context, page, errors } = await open(`${base}/`, {}, async (page) => {
      page.on('request', (request) => {
        if (/\/api\/v1\/boards\/arena\/entries\?/.test(request.url())) pages.push(Date.now());
      });
    });
    try {
      // The global board stays the default.
      await page.waitForFunction(() => !(globalThis as any).document.getElementById('picker').hidden, null, { timeout: WAIT_MS });
      assert.equal(await page.locator('#board-picker').inputValue(), 'global');
      const options = await page.locator('#board-picker option').evaluateAll((nodes: any[]) => nodes.map((node) => [node.value, node.textContent]));
      assert.deepEqual(options, [
        ['global', 'Global'],
        ['arena', 'Arena — ranked'],
        ['hostile', XSS],
        ['laps', 'Monza time trial'],
      ]);

      await page.locator('#board-picker').selectOption('arena');
      await page.waitForFunction(rowShows, ['p12', '1', '1,200'] as const, { timeout: WAIT_MS });
      const rows = await page.evaluate(readRows);
      assert.deepEqual(
        rows.map((row) => [row.rank, row.userId, row.name, row.score]),
        Array.from({ length: 10 }, (_, i) => [String(i + 1), `p${String(12 - i).padStart(2, '0')}`, `Player ${12 - i}`, (1200 - i * 100).toLocaleString('en-US')]),
      );
      assert.equal(await page.locator('#rows td.name > bdi').count(), 10);
      assert.equal(await page.evaluate(text, 'title'), 'Arena — ranked');
      assert.equal(new URL(page.url()).hash, '#board=arena');
      const info = await page.locator('#board-info li').allTextContents();
      for (const expected of ['Highest first', 'Best score counts', 'Never resets', '12 players', 'mode: ranked', 'region: eu-west']) {
        assert.ok(info.includes(expected), `board info has "${expected}": ${JSON.stringify(info)}`);
      }
      // A board that never resets has no period picker and no countdown.
      assert.equal(await page.locator('#period-control').isHidden(), true);
      assert.equal(await page.locator('#period-line').isHidden(), true);

      // A submission made now appears without a reload, highlighted as new.
      await page.waitForFunction(stateIs, liveState(), { timeout: WAIT_MS });
      await page.evaluate(() => {
        (globalThis as any).__sameDocument = true;
      });
      const pagesBefore = pages.length;
      await submit('arena', 'newcomer', 1500, 'Newcomer');
      await page.waitForFunction(rowShows, ['newcomer', '1', '1,500'] as const, { timeout: WAIT_MS });
      // Over the socket (board:update), not by reading the board again.
      assert.equal(pages.length, pagesBefore, 'the board was not polled while live');
      const after = await page.evaluate(readRows);
      assert.match(after[0]!.classes, /\bentered\b/);
      assert.deepEqual(after.map((row) => row.userId).slice(0, 3), ['newcomer', 'p12', 'p11']);
      assert.equal(after.length, 10);
      assert.equal(await page.evaluate(() => (globalThis as any).__sameDocument), true, 'the page was not reloaded');
      assert.equal(await page.evaluate(stateIs, liveState()), true);

      // A hostile title and metadata are text, never markup.
      await page.locator('#board-picker').selectOption('hostile');
      await page.waitForFunction(() => (globalThis as any).document.getElementById('title').textContent.startsWith('<img'), null, { timeout: WAIT_MS });
      await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('#board-info li').length > 3, null, { timeout: WAIT_MS });
      assert.ok((await page.locator('#board-info li').allTextContents()).includes(`note: ${XSS}`));
      assert.equal(await page.locator('img').count(), 0);
      assert.equal(await page.evaluate(() => (globalThis as any).__xss), undefined);

      // And back to the global board, as it was.
      await page.locator('#board-picker').selectOption('global');
      await page.waitForFunction(stateIs, 'live', { timeout: WAIT_MS });
      assert.equal(await page.evaluate(text, 'title'), 'Leaderboard');
      assert.equal(new URL(page.url()).hash, '');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('with the socket blocked, a board is polled and still updates', { timeout: 40_000 }, async () => {
    const { context, page, errors } = await open(`${base}/#board=arena`, {}, async (page) => {
      await page.route('**/socket.io/**', (route) => route.abort());
    });
    try {
      await page.waitForFunction(stateIs, 'polling', { timeout: WAIT_MS });
      await page.waitForFunction(rowShows, ['p11', '3', '1,100'] as const, { timeout: WAIT_MS });
      await submit('arena', 'p05', 1400, 'Player 5'); // best: 1,400 beats 500
      await page.waitForFunction(rowShows, ['p05', '2', '1,400'] as const, { timeout: WAIT_MS });
      assert.match((await page.evaluate(readRows))[1]!.classes, /\bchanged\b/);
      assert.equal(await page.evaluate(stateIs, 'polling'), true);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('a board whose subscription is never acknowledged is polled beside the connected socket', { timeout: 40_000 }, async () => {
    // The page's board:subscribe is dropped on its way to the server (both transports), as by a server
    // without board events: everything else passes through to the real server.
    const withoutSubscribe = (packets: string) => {
      const kept = packets.split('\x1e').filter((packet) => !packet.includes('"board:subscribe"'));
      return kept.length > 0 ? kept.join('\x1e') : '6'; // engine.io's noop packet
    };
    const dropped: string[] = [];
    const { context, page, errors } = await open(`${base}/#board=arena`, {}, async (page) => {
      await page.route(/\/socket\.io\/\?.*transport=polling/, (route) => {
        const body = route.request().postData();
        if (route.request().method() !== 'POST' || !body || !body.includes('board:subscribe')) return route.continue();
        dropped.push(body);
        return route.continue({ postData: withoutSubscribe(body) });
      });
      await page.routeWebSocket(/\/socket\.io\//, (ws) => {
        const server = ws.connectToServer();
        ws.onMessage((message) => {
          if (typeof message === 'string' && message.includes('"board:subscribe"')) dropped.push(message);
          else server.send(message);
        });
        server.onMessage((message) => ws.send(message));
      });
    });
    try {
      await page.waitForFunction(rowShows, ['p12', '3', '1,200'] as const, { timeout: WAIT_MS });
      await page.waitForFunction(stateIs, 'polling', { timeout: WAIT_MS });
      assert.ok(dropped.length > 0, 'the page asked to subscribe');
      // Said only while the socket itself is connected: it is this board that is polled.
      assert.match(await page.evaluate(text, 'detail'), /Live updates of this board unavailable/);
      await submit('arena', 'p06', 1300, 'Player 6');
      await page.waitForFunction(rowShows, ['p06', '3', '1,300'] as const, { timeout: WAIT_MS });
      assert.equal(await page.evaluate(stateIs, 'polling'), true);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('a time trial shows times, lowest first', { timeout: 40_000 }, async () => {
    const { context, page, errors } = await open(`${base}/#board=laps`);
    try {
      await page.waitForFunction(rowIds, null, { timeout: WAIT_MS });
      await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('#rows tr').length === 3, null, { timeout: WAIT_MS });
      assert.deepEqual(
        (await page.evaluate(readRows)).map((row) => [row.rank, row.name, row.score]),
        [
          ['1', 'Ben', '1:19.012'],
          ['2', 'Ann', '1:23.456'],
          ['3', 'Cho', '1:31.500'],
        ],
      );
      assert.equal(await page.locator('#score-heading').textContent(), 'Time');
      assert.equal(await page.locator('#board-picker').inputValue(), 'laps');
      const info = await page.locator('#board-info li').allTextContents();
      assert.ok(info.includes('Fastest time first'), JSON.stringify(info));
      assert.ok(info.includes('track: Monza'), JSON.stringify(info));
      assert.ok(!info.some((item) => item.startsWith('format')), 'the format is shown as times, not as a label');

      // A faster lap moves Cho to the top, live; a slower one changes nothing.
      await page.waitForFunction(stateIs, liveState(), { timeout: WAIT_MS });
      await submit('laps', 'cho', 78001, 'Cho');
      await page.waitForFunction(rowShows, ['cho', '1', '1:18.001'] as const, { timeout: WAIT_MS });
      assert.equal(await page.evaluate(rowIds), 'cho,ben,ann');
      assert.equal(await page.locator('#rows tr[data-user-id="cho"] .delta').textContent(), '▲2');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('a player link shows their entry and the players around them, and follows them', { timeout: 40_000 }, async () => {
    const token = t.token('p03', { username: 'Player 3' });
    const { context, page, errors } = await open(`${base}/#token=${token}&board=arena`);
    try {
      await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('#around-rows li').length === 5, null, { timeout: WAIT_MS });
      // On arena now: newcomer 1500, p05 1400, p06 1300, p12 1200 … p07 700, p04 400, p03 300: 11th of 13.
      assert.equal(await page.evaluate(text, 'me-rank'), '#11');
      assert.equal(await page.evaluate(text, 'me-score'), '300');
      assert.equal(await page.evaluate(text, 'me-name'), 'Player 3');
      assert.deepEqual(
        (await page.evaluate(readAround)).map((row) => [row.rank, row.userId, row.score, row.me]),
        [
          ['9', 'p07', '700', false],
          ['10', 'p04', '400', false],
          ['11', 'p03', '300', true],
          ['12', 'p02', '200', false],
          ['13', 'p01', '100', false],
        ],
      );
      assert.equal(await page.locator('#around-rows .name > bdi').count(), 5);
      // The token left the address bar; the board stayed in it.
      assert.equal(new URL(page.url()).hash, '#board=arena');

      // The player climbs: their card and their neighbourhood follow without a reload.
      await page.waitForFunction(stateIs, liveState(), { timeout: WAIT_MS });
      await submit('arena', 'p03', 650, 'Player 3');
      await page.waitForFunction(() => (globalThis as any).document.getElementById('me-rank').textContent === '#10', null, { timeout: WAIT_MS });
      await page.waitForFunction(
        () => {
          const doc = (globalThis as any).document;
          const mine = doc.querySelector('#around-rows li.me');
          return mine && mine.querySelector('.rank').textContent === '10' && mine.querySelector('.score').textContent === '650';
        },
        null,
        { timeout: WAIT_MS },
      );
      assert.equal(await page.evaluate(text, 'me-score'), '650');
      // Ranked 10th, they are in the top 10 shown above: the list around them would only repeat it.
      await page.waitForFunction(() => (globalThis as any).document.getElementById('around').hidden, null, { timeout: WAIT_MS });
      // Pushed out of it by someone else: 11th again, and the list comes back, read anew.
      await submit('arena', 'pusher', 2000, 'Pusher');
      await page.waitForFunction(() => !(globalThis as any).document.getElementById('around').hidden, null, { timeout: WAIT_MS });
      await page.waitForFunction(() => (globalThis as any).document.getElementById('me-rank').textContent === '#11', null, { timeout: WAIT_MS });
      assert.deepEqual(
        (await page.evaluate(readAround)).map((row) => [row.rank, row.userId, row.me]),
        [
          ['9', 'p08', false],
          ['10', 'p07', false],
          ['11', 'p03', true],
          ['12', 'p04', false],
          ['13', 'p02', false],
        ],
      );

      // On a board where they have no entry, the card says so and nothing is shown around them.
      await page.locator('#board-picker').selectOption('laps');
      await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('#rows tr').length === 3, null, { timeout: WAIT_MS });
      await page.waitForFunction(() => (globalThis as any).document.getElementById('me-rank').textContent === '—', null, { timeout: WAIT_MS });
      assert.equal(await page.locator('#around').isHidden(), true);
      assert.equal(await page.evaluate(text, 'me-score-label'), 'Time');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('a board that resets every minute changes period at the boundary; the previous and past periods show their entries', { timeout: 150_000 }, async () => {
    const board = await createBoard({ id: 'minute', title: 'Minute sprint', reset: '* * * * *', operator: 'best' });
    // Far enough from a boundary that the two entries land in one period and the page sees it first.
    let left = Date.parse(board.period.endsAt) - Date.now();
    if (left < 15_000) await new Promise((resolve) => setTimeout(resolve, left + 500));
    const first = await submit('minute', 'ann', 40, 'Ann');
    await submit('minute', 'ben', 70, 'Ben');
    const oldPeriod = first.period;
    // A period long gone that still has an entry: kept (keepPeriods null), listed by /periods.
    const past = new Date(Date.parse(oldPeriod.startsAt) - 10 * 60_000).toISOString();
    await t.backends.sql.query(
      `INSERT INTO board_entries (board_id, period_id, user_id, score, order_score, last_updated) VALUES ('minute', $1, 'ann', 5, -5, $2)`,
      [past, new Date(Date.parse(past) + 1000).toISOString()],
    );

    const boardReads: string[] = [];
    const { context, page, errors } = await open(`${base}/#board=minute`, {}, async (page) => {
      page.on('request', (request) => {
        if (new URL(request.url()).pathname === '/api/v1/boards/minute') boardReads.push(request.url());
      });
    });
    try {
      await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('#rows tr').length === 2, null, { timeout: WAIT_MS });
      assert.equal(await page.evaluate(rowIds), 'ben,ann');
      const before = await page.evaluate(text, 'period-range');
      assert.match(await page.evaluate(text, 'countdown'), /^Next reset in (0:\d\d|1:00)$/);
      assert.ok((await page.locator('#board-info li').allTextContents()).includes('Resets every minute'));
      assert.equal(await page.locator('#period-control').isHidden(), false);
      await page.waitForFunction(stateIs, liveState(), { timeout: WAIT_MS });
      await page.waitForFunction(settled, null, { timeout: WAIT_MS });
      await page.screenshot({ path: `${SHOTS}/live-reset-board-1280.png`, fullPage: true });
      await page.setViewportSize({ width: 375, height: 812 });
      assert.ok(await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth <= 375), 'no horizontal scroll at 375 px');
      await page.screenshot({ path: `${SHOTS}/live-reset-board-375.png`, fullPage: true });
      await page.evaluate(() => {
        (globalThis as any).__sameDocument = true;
      });

      // The boundary: the table starts over in the new period, without a reload.
      left = Date.parse(oldPeriod.endsAt) - Date.now();
      await page.waitForFunction((old: string) => (globalThis as any).document.getElementById('period-range').textContent !== old, before, { timeout: left + 10_000 });
      const changedAt = Date.now();
      assert.ok(changedAt - Date.parse(oldPeriod.endsAt) < 5_000, `the new period showed ${changedAt - Date.parse(oldPeriod.endsAt)} ms after the boundary`);
      await page.waitForFunction(() => !(globalThis as any).document.getElementById('empty').hidden, null, { timeout: WAIT_MS });
      assert.equal(await page.evaluate(rowIds), '');
      assert.equal(await page.evaluate(text, 'empty'), 'No scores in this period yet.');
      assert.match(await page.evaluate(text, 'countdown'), /^Next reset in (0:\d\d|1:00)$/);
      assert.equal(await page.evaluate(() => (globalThis as any).__sameDocument), true, 'the page was not reloaded');
      // Named by the server's board:update at the boundary: the page did not have to read the board again.
      assert.deepEqual(boardReads, []);

      // The new period is live too.
      const next = await submit('minute', 'cho', 55, 'Cho');
      assert.notEqual(next.period.id, oldPeriod.id);
      await page.waitForFunction(rowShows, ['cho', '1', '55'] as const, { timeout: WAIT_MS });

      // The previous period, from the period picker: the entries it ended with, not live.
      const values = await page.locator('#period-picker option').evaluateAll((nodes: any[]) => nodes.map((node) => node.value));
      assert.deepEqual(values, ['current', 'previous', past]);
      await page.locator('#period-picker').selectOption('previous');
      await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('#rows tr').length === 2, null, { timeout: WAIT_MS });
      assert.deepEqual((await page.evaluate(readRows)).map((row) => [row.rank, row.name, row.score]), [
        ['1', 'Ben', '70'],
        ['2', 'Ann', '40'],
      ]);
      assert.equal(await page.evaluate(text, 'countdown'), 'Ended');
      assert.equal(await page.evaluate(stateIs, 'archive'), true);
      assert.match(new URL(page.url()).hash, /period=previous/);

      // A past period from the periods list.
      await page.locator('#period-picker').selectOption(past);
      await page.waitForFunction(rowShows, ['ann', '1', '5'] as const, { timeout: WAIT_MS });
      assert.equal(await page.evaluate(rowIds), 'ann');

      // And back to the current one.
      await page.locator('#period-picker').selectOption('current');
      await page.waitForFunction(rowShows, ['cho', '1', '55'] as const, { timeout: WAIT_MS });
      await page.waitForFunction(stateIs, liveState(), { timeout: WAIT_MS });
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  for (const { width, height, name } of [
    { width: 1280, height: 900, name: 'desktop' },
    { width: 375, height: 812, name: 'phone' },
  ]) {
    test(`layout at ${width} px: a board and a time trial, with a player link (screenshots)`, { timeout: 60_000 }, async () => {
      const phone = width < 500;
      const options: BrowserContextOptions = phone
        ? { viewport: { width, height }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, colorScheme: 'light' }
        : { viewport: { width, height }, colorScheme: 'light' };
      for (const [boardId, userId, username, shot] of [
        ['arena', 'p01', 'Player 1', `live-board-${width}`],
        ['laps', 'ann', 'Ann', `live-time-trial-${width}`],
      ] as const) {
        const token = t.token(userId, { username });
        const { context, page, errors } = await open(`${base}/#token=${token}&board=${boardId}`, options);
        try {
          await page.waitForFunction(() => /^#\d+$/.test((globalThis as any).document.getElementById('me-rank').textContent), null, { timeout: WAIT_MS });
          // Around-me only when the player is ranked below the top 10 (Player 1 is 13th; Ann is in the top 3).
          await page.waitForFunction((shown: boolean) => (globalThis as any).document.getElementById('around').hidden !== shown, boardId === 'arena', { timeout: WAIT_MS });
          await page.waitForFunction(stateIs, liveState(), { timeout: WAIT_MS });
          await page.waitForFunction(settled, null, { timeout: WAIT_MS });
          const layout = await page.evaluate(() => {
            const doc = (globalThis as any).document;
            return {
              scrollWidth: doc.documentElement.scrollWidth,
              clientWidth: doc.documentElement.clientWidth,
              pickerHeight: doc.getElementById('board-picker').getBoundingClientRect().height,
              fontSize: parseFloat((globalThis as any).getComputedStyle(doc.querySelector('#rows td')).fontSize),
            };
          });
          assert.ok(layout.scrollWidth <= layout.clientWidth, `${name}: no horizontal scroll (${layout.scrollWidth} > ${layout.clientWidth})`);
          assert.ok(layout.pickerHeight >= 44, `${name}: the picker is a touch target (${layout.pickerHeight} px)`);
          assert.ok(layout.fontSize >= 14, `${name}: readable text (${layout.fontSize} px)`);
          await page.screenshot({ path: `${SHOTS}/${shot}.png`, fullPage: true });
          assert.deepEqual(errors, []);
        } finally {
          await context.close();
        }
      }
    });
  }
});
