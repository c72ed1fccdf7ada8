// The admin dashboard's boards section in a real browser (Debian's chromium through playwright-core),
// against a real server in both modes: a board created through the form and listed, a bad cron
// refused with the API's message beside the reset field, a title edited (only the title sent), an
// entry made by a signed submission looked up and removed, a player frozen with "hide from boards"
// leaving the board's entries (and back after the unfreeze), a board deleted after a confirmation,
// and the layout at desktop and phone width. Screenshots (embedded run): /tmp/shots/admin-*.png.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { signSubmission } from '../../src/boards/board-signature.js';
import { actionsFile, createTestApp, FAST_ACTIONS, MODES, TEST_HMAC_KEY, type TestApp } from '../helpers/app.js';
import { CHROMIUM, CHROMIUM_ARGS, SKIP_BROWSER } from '../helpers/browser.js';

const WAIT_MS = 8_000;
const SHOTS = '/tmp/shots';
/** A title in Arabic script beside Latin: the page must isolate it (<bdi>), never parse it. */
const RTL_TITLE = 'سباق <b>Sprint</b>';
const RTL_NAME = 'קט <i>Cat</i>';
/** The boards section's scripts, in the order the page loads them: its parts, then `admin-boards.js`. */
const BOARD_SCRIPTS = ['format', 'form', 'editor', 'list', 'entries'].map((part) => `/admin-boards-${part}.js`).concat('/admin-boards.js');

// The functions below run in the page (serialised by playwright): they reach the DOM through
// `globalThis` because this project compiles without the DOM lib.

function stateIs(name: string): boolean {
  return (globalThis as any).document.getElementById('state').dataset.state === name;
}

function textIs([selector, text]: readonly [string, string]): boolean {
  const node = (globalThis as any).document.querySelector(selector);
  return Boolean(node) && node.textContent === text;
}

function textMatches([selector, source]: readonly [string, string]): boolean {
  const node = (globalThis as any).document.querySelector(selector);
  return Boolean(node) && new RegExp(source).test(node.textContent);
}

/** Layout facts of the page: horizontal scroll, the smallest visible button of the boards section. */
function layoutOf(): { scrollWidth: number; clientWidth: number; smallestButton: number; overflowing: string[] } {
  const doc = (globalThis as any).document;
  const section = doc.getElementById('boards');
  const buttons = Array.from(section.querySelectorAll('button')).filter((b: any) => b.offsetParent !== null);
  const right = section.getBoundingClientRect().right;
  const overflowing = Array.from(section.querySelectorAll('*'))
    .filter((node: any) => node.offsetParent !== null && node.getBoundingClientRect().right > right + 0.5)
    .map((node: any) => `${node.tagName.toLowerCase()}#${node.id}.${node.className}`);
  return {
    scrollWidth: doc.documentElement.scrollWidth,
    clientWidth: doc.documentElement.clientWidth,
    smallestButton: Math.min(...buttons.map((b: any) => b.getBoundingClientRect().height)),
    overflowing,
  };
}

/** Where a field's error sits against its input: just below it, left edges aligned, within its column. */
function errorPlacement(name: string): { gap: number; leftDelta: number; widthFits: boolean; fontSize: number } {
  const doc = (globalThis as any).document;
  const input = doc.getElementById(`bf-${name}`).getBoundingClientRect();
  const hint = doc.getElementById(`bf-${name}-hint`).getBoundingClientRect();
  const error = doc.getElementById(`bf-${name}-error`);
  const box = error.getBoundingClientRect();
  return {
    gap: box.top - Math.max(input.bottom, hint.bottom),
    leftDelta: Math.abs(box.left - input.left),
    widthFits: box.right <= input.right + 0.5,
    fontSize: parseFloat((globalThis as any).getComputedStyle(error).fontSize),
  };
}

function submission(boardId: string, score: number) {
  const unsigned = { actionId: randomUUID(), score, timestamp: new Date().toISOString() };
  return { ...unsigned, clientSignature: signSubmission(TEST_HMAC_KEY, { ...unsigned, boardId }) };
}

for (const { mode, skip } of MODES) {
  describe(`admin dashboard boards in a browser (${mode})`, { skip: SKIP_BROWSER || skip }, () => {
    let t: TestApp;
    let base: string;
    let browser: Browser;
    let adminToken: string;

    const admin = () => ({ authorization: `Bearer ${adminToken}` });
    async function api(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) {
      const response = await t.app.inject({ method, url, headers: admin(), ...(payload ? { payload } : {}) });
      return { status: response.statusCode, body: response.json() };
    }
    /** A real signed submission through the API, as `userId` (with `username` in the token when given). */
    async function submit(userId: string, boardId: string, score: number, username?: string): Promise<void> {
      const token = username ? t.token(userId, { username }) : t.token(userId);
      const response = await t.app.inject({ method: 'POST', url: `/api/v1/boards/${boardId}/scores`, headers: { authorization: `Bearer ${token}` }, payload: submission(boardId, score) });
      assert.equal(response.statusCode, 200, response.body);
    }
    const entryIds = async (boardId: string) => ((await api('GET', `/api/v1/boards/${boardId}/entries?limit=100`)).body.data.entries as { userId: string }[]).map((e) => e.userId);

    async function open(options: BrowserContextOptions = {}): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
      const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 }, ...options });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) problems.push(`console: ${message.text()}`);
      });
      await page.goto(`${base}/admin`);
      await page.locator('#token').fill(adminToken);
      await page.locator('#signin-submit').click();
      await page.locator('#dashboard').waitFor({ state: 'visible', timeout: WAIT_MS });
      await page.waitForFunction(stateIs, 'live', { timeout: WAIT_MS });
      await page.locator('#boards-list li[data-board-id="global"]').waitFor({ timeout: WAIT_MS });
      return { context, page, problems };
    }

    const row = (page: Page, boardId: string) => page.locator(`#boards-list li[data-board-id="${boardId}"]`);
    const field = (page: Page, name: string) => page.locator(`#bf-${name}`);

    before(async () => {
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      t = await createTestApp(mode, { ACTIONS_CONFIG: actionsFile(FAST_ACTIONS) });
      base = await t.app.listen({ port: 0, host: '127.0.0.1' });
      adminToken = t.token('root', { role: 'admin', username: 'Root' });
    });

    after(async () => {
      await browser?.close();
      await t?.close();
    });

    test('the boards scripts are served under the CSP, in their order, and put text in as text', async () => {
      const page = (await t.app.inject({ method: 'GET', url: '/admin' })).body;
      // The parts first (each adds to one namespace), then the composition, then admin.js, which builds it.
      const order = [...BOARD_SCRIPTS, '/admin.js'].map((src) => page.indexOf(`<script src="${src}" defer></script>`));
      assert.ok(order.every((at) => at > 0), `every script is loaded: ${order.join(', ')}`);
      assert.deepEqual([...order].sort((a, b) => a - b), order, 'in dependency order');
      for (const src of BOARD_SCRIPTS) {
        const script = await t.app.inject({ method: 'GET', url: src });
        assert.equal(script.statusCode, 200, src);
        assert.match(script.headers['content-type'] as string, /^text\/javascript/, src);
        assert.match(script.body, /^\(\(\) => \{\n  'use strict';$/m, `${src} is a strict IIFE`);
        assert.doesNotMatch(script.body, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/, `${src}: text goes in through text nodes`);
      }
    });

    test('create: a bad cron is refused with the API\'s message beside the reset field, then the board is created and listed', { timeout: 60_000 }, async () => {
      const { context, page, problems } = await open();
      const posted: string[] = [];
      page.on('request', (request) => {
        if (request.method() === 'POST' && new URL(request.url()).pathname === '/api/v1/admin/boards') posted.push(request.postData() ?? '');
      });
      try {
        await page.locator('#board-new').click();
        await page.locator('#board-form').waitFor({ state: 'visible' });
        // Every field of a definition is on the form.
        for (const name of ['id', 'title', 'sortOrder', 'operator', 'reset', 'timezone', 'actions', 'minScore', 'maxScore', 'startsAt', 'endsAt', 'keepPeriods', 'metadata']) {
          assert.equal(await field(page, name).isEnabled(), true, `${name} is on the form`);
        }
        await field(page, 'id').fill('sprint');
        await field(page, 'title').fill(RTL_TITLE);
        await field(page, 'sortOrder').selectOption('asc');
        await field(page, 'operator').selectOption('best');
        await field(page, 'reset').fill('61 * * * *');
        await field(page, 'timezone').fill('Europe/Paris');
        await field(page, 'minScore').fill('1000');
        await field(page, 'maxScore').fill('600000');
        await field(page, 'startsAt').fill('2026-01-01T00:00:00Z');
        await field(page, 'keepPeriods').fill('3');
        await field(page, 'metadata').fill('{"format": "duration-ms", "mode": "solo"}');
        await page.locator('#board-form-submit').click();
        await page.waitForFunction(() => (globalThis as any).document.getElementById('bf-reset-error').textContent !== '', null, { timeout: WAIT_MS });

        // The message is the API's own, for that field, beside that field and no other.
        const refused = await api('POST', '/api/v1/admin/boards', JSON.parse(posted[0]!));
        assert.equal(refused.status, 400);
        assert.equal(refused.body.error.code, 'INVALID_REQUEST');
        const problem = (refused.body.error.details.fields as { field: string; message: string }[]).find((f) => f.field === 'reset');
        assert.ok(problem, JSON.stringify(refused.body.error));
        assert.equal(await page.locator('#bf-reset-error').textContent(), problem.message, 'the API\'s words');
        assert.equal(await page.locator('.field[data-field="reset"] .field-error').count(), 1, 'inside the reset field');
        assert.equal(await field(page, 'reset').getAttribute('aria-invalid'), 'true');
        assert.deepEqual(await page.locator('.field-error:not(:empty)').evaluateAll((nodes) => nodes.map((n: any) => n.id)), ['bf-reset-error'], 'no other field is blamed');
        assert.equal(await page.evaluate(() => (globalThis as any).document.activeElement.id), 'bf-reset', 'focus goes to the field named');
        const placement = await page.evaluate(errorPlacement, 'reset');
        assert.ok(placement.gap >= 0 && placement.gap < 12, `just below the field: ${JSON.stringify(placement)}`);
        assert.ok(placement.leftDelta < 1 && placement.widthFits, `aligned with the field: ${JSON.stringify(placement)}`);
        assert.equal(await row(page, 'sprint').count(), 0, 'nothing listed');
        assert.equal((await api('GET', '/api/v1/boards/sprint')).status, 404, 'nothing created');

        // Corrected: typing clears the error; the board is created with every field as given.
        await field(page, 'reset').fill('daily');
        assert.equal(await page.locator('#bf-reset-error').textContent(), '');
        await page.locator('#board-form-submit').click();
        await row(page, 'sprint').waitFor({ timeout: WAIT_MS });
        assert.equal(await page.locator('#board-form').isHidden(), true);
        assert.match((await page.locator('#boards-status').textContent()) ?? '', /sprint created/);
        const listed = row(page, 'sprint');
        assert.equal(await listed.locator('.board-title').evaluate((node: any) => node.tagName), 'BDI', 'the title is isolated');
        assert.equal(await listed.locator('.board-title').textContent(), RTL_TITLE, 'as text, not markup');
        assert.equal(await listed.locator('.board-title b').count(), 0);
        assert.equal(await listed.locator('.board-id').textContent(), 'sprint');
        assert.equal(await listed.locator('.board-operator').textContent(), 'best');
        assert.equal(await listed.locator('.board-order').textContent(), 'asc · lowest first');
        assert.equal(await listed.locator('.board-reset .reset-rule').textContent(), 'daily');
        assert.equal(await listed.locator('.board-reset .reset-zone').textContent(), 'Europe/Paris');
        assert.equal(await listed.locator('.board-entries').textContent(), '0');
        assert.match((await listed.locator('.board-period').textContent()) ?? '', / – /, 'the current period, from and to');
        const board = (await api('GET', '/api/v1/boards/sprint')).body.data;
        assert.deepEqual(
          { title: board.title, sortOrder: board.sortOrder, operator: board.operator, reset: board.reset, timezone: board.timezone, actions: board.actions, minScore: board.minScore, maxScore: board.maxScore, startsAt: board.startsAt, endsAt: board.endsAt, keepPeriods: board.keepPeriods, metadata: board.metadata },
          { title: RTL_TITLE, sortOrder: 'asc', operator: 'best', reset: 'daily', timezone: 'Europe/Paris', actions: [], minScore: 1000, maxScore: 600000, startsAt: '2026-01-01T00:00:00.000Z', endsAt: null, keepPeriods: 3, metadata: { format: 'duration-ms', mode: 'solo' } },
        );

        // A taken id is named beside the id field.
        await page.locator('#board-new').click();
        await field(page, 'id').fill('sprint');
        await page.locator('#board-form-submit').click();
        await page.waitForFunction(textMatches, ['#bf-id-error', 'taken'] as const, { timeout: WAIT_MS });
        await page.locator('#board-form-cancel').click();
        assert.equal(await page.locator('#board-form').isHidden(), true);
        assert.deepEqual(problems, []);
      } finally {
        await context.close();
      }
    });

    test('edit: the fixed fields are shown but locked, and only the changed title is sent', { timeout: 40_000 }, async () => {
      const { context, page, problems } = await open();
      const patches: string[] = [];
      page.on('request', (request) => {
        if (request.method() === 'PATCH') patches.push(request.postData() ?? '');
      });
      try {
        assert.equal(await row(page, 'global').locator('button.edit').isHidden(), true, 'global cannot be changed');
        await row(page, 'sprint').locator('button.edit').click();
        await page.locator('#board-form[data-mode="edit"]').waitFor({ state: 'visible' });
        for (const name of ['id', 'sortOrder', 'operator', 'reset', 'timezone']) assert.equal(await field(page, name).isDisabled(), true, `${name} is fixed`);
        assert.equal(await field(page, 'title').inputValue(), RTL_TITLE);
        assert.equal(await field(page, 'minScore').inputValue(), '1000');
        assert.equal(await field(page, 'reset').inputValue(), 'daily');
        await field(page, 'title').fill('Sprint — lap times');
        await page.locator('#board-form-submit').click();
        await page.waitForFunction(textIs, ['#boards-list li[data-board-id="sprint"] .board-title', 'Sprint — lap times'] as const, { timeout: WAIT_MS });
        assert.deepEqual(patches.map((body) => JSON.parse(body)), [{ title: 'Sprint — lap times' }]);
        const board = (await api('GET', '/api/v1/boards/sprint')).body.data;
        assert.deepEqual([board.title, board.minScore, board.reset, board.keepPeriods, board.metadata.format], ['Sprint — lap times', 1000, 'daily', 3, 'duration-ms']);

        // A refused change is put beside its field, as on creation.
        await row(page, 'sprint').locator('button.edit').click();
        await field(page, 'minScore').fill('900000');
        await page.locator('#board-form-submit').click();
        await page.waitForFunction(textMatches, ['#bf-minScore-error', 'maxScore'] as const, { timeout: WAIT_MS });
        await page.locator('#board-form-cancel').click();
        assert.equal((await api('GET', '/api/v1/boards/sprint')).body.data.minScore, 1000);
        assert.deepEqual(problems, []);
      } finally {
        await context.close();
      }
    });

    test('entry lookup: a signed submission\'s entry with its rank, then "remove this entry" takes it off the API', { timeout: 40_000 }, async () => {
      await submit('ann', 'sprint', 65_000);
      await submit('ben', 'sprint', 60_000);
      const { context, page, problems } = await open();
      try {
        await page.waitForFunction(textIs, ['#boards-list li[data-board-id="sprint"] .board-entries', '2'] as const, { timeout: WAIT_MS });
        await page.locator('#entry-board').selectOption('sprint');
        await page.locator('#entry-user').fill('ann');
        await page.locator('#entry-submit').click();
        await page.locator('#entry').waitFor({ state: 'visible', timeout: WAIT_MS });
        assert.equal(await page.locator('#entry-rank').textContent(), '#2 of 2');
        assert.equal(await page.locator('#entry-score').textContent(), '1:05.000 (65,000 ms)', 'a duration-ms board shows times');
        assert.equal(await page.locator('#entry-name').textContent(), 'Player ann');
        assert.equal(await page.locator('#entry-user-id').textContent(), 'ann');
        const periodId = (await api('GET', '/api/v1/boards/sprint')).body.data.period.id;
        assert.equal(await page.locator('#entry').getAttribute('data-period'), periodId);

        await page.locator('#entry-remove').click();
        await page.locator('#entry-confirm').waitFor({ state: 'visible' });
        assert.match((await page.locator('#entry-confirm-text').textContent()) ?? '', /Player ann.*rank #2/);
        await page.locator('#entry-remove-cancel').click();
        assert.deepEqual(await entryIds('sprint'), ['ben', 'ann'], 'cancel removes nothing');
        await page.locator('#entry-remove').click();
        await page.locator('#entry-remove-confirm').click();
        await page.waitForFunction(textMatches, ['#entry-status', 'Removed the entry of ann'] as const, { timeout: WAIT_MS });
        assert.equal(await page.locator('#entry').isHidden(), true);

        const gone = await api('GET', '/api/v1/boards/sprint/entries/ann');
        assert.equal(gone.status, 404);
        assert.equal(gone.body.error.code, 'USER_NOT_FOUND');
        assert.deepEqual(await entryIds('sprint'), ['ben']);
        await page.waitForFunction(textIs, ['#boards-list li[data-board-id="sprint"] .board-entries', '1'] as const, { timeout: WAIT_MS });

        // Looking it up again says there is none; a bad period is refused in words.
        await page.locator('#entry-submit').click();
        await page.waitForFunction(textMatches, ['#entry-error', 'has no entry'] as const, { timeout: WAIT_MS });
        await page.locator('#entry-period').fill('2001-01-01T00:00:00.000Z');
        await page.locator('#entry-submit').click();
        await page.waitForFunction(textMatches, ['#entry-error', 'no kept period'] as const, { timeout: WAIT_MS });
        assert.deepEqual(problems, []);
      } finally {
        await context.close();
      }
    });

    test('freezing with "hide from boards" takes the player off the board; unfreezing brings the entry back', { timeout: 40_000 }, async () => {
      await submit('cat', 'sprint', 61_000, RTL_NAME);
      assert.deepEqual(await entryIds('sprint'), ['ben', 'cat']);
      const { context, page, problems } = await open();
      try {
        await page.locator('#entry-board').selectOption('sprint');
        await page.locator('#entry-user').fill('cat');
        await page.locator('#entry-submit').click();
        await page.locator('#entry').waitFor({ state: 'visible', timeout: WAIT_MS });
        assert.equal(await page.locator('#entry-name').evaluate((node: any) => node.tagName), 'BDI');
        assert.equal(await page.locator('#entry-name').textContent(), RTL_NAME);
        assert.equal(await page.locator('#entry-name i').count(), 0, 'as text, not markup');
        assert.equal(await page.locator('#entry-rank').textContent(), '#2 of 2');

        const control = page.locator('#entry-control');
        await control.locator('button.freeze').click();
        await control.locator('input[name="reason"]').fill('impossible lap');
        await control.locator('input[name="hide"]').check();
        await control.locator('button.confirm').click();
        await page.waitForFunction(textIs, ['#entry-control .badge', 'Frozen'] as const, { timeout: WAIT_MS });
        assert.equal(await control.locator('.hidden-tag').isVisible(), true, 'shown as hidden from boards');
        await page.waitForFunction(textMatches, ['#entry-status', 'hidden from every board'] as const, { timeout: WAIT_MS });

        assert.deepEqual(await entryIds('sprint'), ['ben'], 'off the board for reads');
        assert.equal((await api('GET', '/api/v1/boards/sprint/entries/cat')).status, 404);
        assert.equal((await api('GET', '/api/v1/boards/sprint')).body.data.totalEntries, 1);
        await page.waitForFunction(textIs, ['#boards-list li[data-board-id="sprint"] .board-entries', '1'] as const, { timeout: WAIT_MS });
        const refused = await t.app.inject({ method: 'POST', url: '/api/v1/boards/sprint/scores', headers: { authorization: `Bearer ${t.token('cat', { username: RTL_NAME })}` }, payload: submission('sprint', 50_000) });
        assert.equal(refused.json().error.details.reason, 'ACCOUNT_FROZEN');

        await control.locator('button.unfreeze').click();
        await page.waitForFunction(textIs, ['#entry-control .badge', 'Active'] as const, { timeout: WAIT_MS });
        assert.deepEqual(await entryIds('sprint'), ['ben', 'cat'], 'the kept entry is back, unchanged');
        assert.equal((await api('GET', '/api/v1/boards/sprint/entries/cat')).body.data.entry.score, 61_000);
        await page.waitForFunction(textIs, ['#entry-rank', '#2 of 2'] as const, { timeout: WAIT_MS });

        // Freezing without the box leaves the player on the board.
        await control.locator('button.freeze').click();
        await control.locator('input[name="reason"]').fill('review');
        assert.equal(await control.locator('input[name="hide"]').isChecked(), false, 'the box starts unchecked');
        await control.locator('button.confirm').click();
        await page.waitForFunction(textIs, ['#entry-control .badge', 'Frozen'] as const, { timeout: WAIT_MS });
        assert.equal(await control.locator('.hidden-tag').isHidden(), true);
        assert.deepEqual(await entryIds('sprint'), ['ben', 'cat']);
        await control.locator('button.unfreeze').click();
        await page.waitForFunction(textIs, ['#entry-control .badge', 'Active'] as const, { timeout: WAIT_MS });
        assert.deepEqual(problems, []);
      } finally {
        await context.close();
      }
    });

    test('delete: asks first, then the board, its periods and entries are gone', { timeout: 40_000 }, async () => {
      const { context, page, problems } = await open();
      try {
        const listed = row(page, 'sprint');
        assert.equal(await row(page, 'global').locator('button.delete').isHidden(), true, 'global cannot be deleted');
        await listed.locator('button.delete').click();
        await listed.locator('.board-confirm').waitFor({ state: 'visible' });
        assert.match((await listed.locator('.confirm-text').textContent()) ?? '', /Delete Sprint — lap times \(sprint\) with all its periods and 2 current entries\? This cannot be undone\./);
        await listed.locator('button.cancel').click();
        assert.equal(await listed.locator('.board-confirm').isHidden(), true);
        assert.equal((await api('GET', '/api/v1/boards/sprint')).status, 200, 'cancel deletes nothing');

        await listed.locator('button.delete').click();
        await listed.locator('button.confirm-delete').click();
        await listed.waitFor({ state: 'detached', timeout: WAIT_MS });
        assert.match((await page.locator('#boards-status').textContent()) ?? '', /sprint deleted/);
        const gone = await api('GET', '/api/v1/boards/sprint');
        assert.equal(gone.status, 404);
        assert.equal(gone.body.error.code, 'BOARD_NOT_FOUND');
        assert.equal((await api('GET', '/api/v1/boards/sprint/entries')).status, 404);
        assert.equal(await page.locator('#entry-board option[value="sprint"]').count(), 0, 'gone from the lookup too');
        assert.deepEqual(problems, []);
      } finally {
        await context.close();
      }
    });

    test('layout at desktop and phone width: no overflow, touch-sized buttons, errors under their fields', { timeout: 60_000, skip: mode !== 'embedded' && 'the embedded run takes the screenshots' }, async () => {
      mkdirSync(SHOTS, { recursive: true });
      const boards = [
        { id: 'weekly-xp', title: 'Weekly XP', reset: 'weekly', actions: ['TASK_COMPLETE', 'ACHIEVEMENT'] },
        { id: 'time-trial-nurburgring-nordschleife-long-configuration', title: 'Time trial — Nürburgring Nordschleife (long configuration, wet)', sortOrder: 'asc', operator: 'best', reset: '0 6 * * 1', timezone: 'America/Los_Angeles', minScore: 1000, maxScore: 3_600_000, metadata: { format: 'duration-ms' } },
        { id: 'season-1', title: 'بطولة الموسم', operator: 'latest', reset: 'monthly', endsAt: '2026-01-01T00:00:00Z' },
      ];
      for (const definition of boards) assert.equal((await api('POST', '/api/v1/admin/boards', definition)).status, 201);
      const trial = boards[1]!.id;
      await submit('ann', trial, 412_345);
      await submit('ben', trial, 409_876);
      await submit('cat', trial, 420_000, RTL_NAME);
      for (const user of ['ann', 'ben', 'cat']) assert.equal((await t.post(user, t.body({ scoreIncrement: 20 }))).statusCode, 200);

      for (const width of [1280, 375]) {
        const phone = width < 600;
        const { context, page, problems } = await open(phone ? { viewport: { width, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true } : { viewport: { width, height: 900 } });
        try {
          await page.waitForFunction(textIs, [`#boards-list li[data-board-id="${trial}"] .board-entries`, '3'] as const, { timeout: WAIT_MS });
          await page.locator('#entry-board').selectOption(trial);
          await page.locator('#entry-user').fill('cat');
          await page.locator('#entry-submit').click();
          await page.locator('#entry').waitFor({ state: 'visible', timeout: WAIT_MS });
          assert.equal(await page.locator('#entry-rank').textContent(), '#3 of 3');
          await page.locator('#entry-control button.freeze').click();
          await page.locator('#boards').scrollIntoViewIfNeeded();
          const layout = await page.evaluate(layoutOf);
          assert.ok(layout.scrollWidth <= layout.clientWidth, `no horizontal scroll at ${width}px: ${layout.scrollWidth} > ${layout.clientWidth}`);
          assert.deepEqual(layout.overflowing, [], `nothing sticks out of the section at ${width}px`);
          assert.ok(layout.smallestButton >= 44, `touch targets at ${width}px: ${layout.smallestButton}px`);
          await page.locator('#boards').screenshot({ path: `${SHOTS}/admin-boards-${width}.png`, scale: 'css' });
          if (phone) {
            // The section is long on a phone: its two halves at a size one can read.
            await page.locator('#boards-list').screenshot({ path: `${SHOTS}/admin-boards-${width}-list.png`, scale: 'css' });
            await page.locator('#entry-lookup').screenshot({ path: `${SHOTS}/admin-boards-${width}-entry.png`, scale: 'css' });
          }

          // The create form with errors from the API beside their fields.
          await page.locator('#entry-control button.cancel').click();
          await page.locator('#board-new').click();
          await field(page, 'id').fill('Bad Id');
          await field(page, 'reset').fill('every day');
          await field(page, 'timezone').fill('Mars/Olympus');
          await field(page, 'operator').selectOption('best');
          await field(page, 'actions').fill('TASK_COMPLETE');
          await page.locator('#board-form-submit').click();
          await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('.field-error:not(:empty)').length >= 4, null, { timeout: WAIT_MS });
          for (const name of ['id', 'reset', 'timezone', 'actions']) {
            const placement = await page.evaluate(errorPlacement, name);
            assert.ok(placement.gap >= 0 && placement.gap < 12 && placement.leftDelta < 1 && placement.widthFits, `${name} error at ${width}px: ${JSON.stringify(placement)}`);
            assert.ok(placement.fontSize >= 12, `readable: ${placement.fontSize}px`);
          }
          const withErrors = await page.evaluate(layoutOf);
          assert.ok(withErrors.scrollWidth <= withErrors.clientWidth, `no horizontal scroll with the form at ${width}px`);
          assert.deepEqual(withErrors.overflowing, []);
          await page.locator('#board-form').screenshot({ path: `${SHOTS}/admin-boards-form-${width}.png`, scale: 'css' });
          assert.deepEqual(problems, []);
        } finally {
          await context.close();
        }
      }
    });
  });
}
