// The two pages and their scripts as a browser fetches them: every script a page loads is served,
// as JavaScript, exactly as it is in web/, and every script in web/ is loaded by one of the pages
// (a part split off a page and not listed would otherwise fail only in a browser).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../helpers/app.js';

const WEB_DIR = new URL('../../web/', import.meta.url);

describe('the pages and their scripts', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp('embedded');
  });
  after(() => t.close());

  it('serves every script each page loads, in the order the page needs, as it is in web/', async () => {
    const loaded = new Set<string>();
    for (const page of ['/', '/admin']) {
      const response = await t.app.inject({ url: page });
      assert.equal(response.statusCode, 200);
      assert.match(response.headers['content-type'] as string, /^text\/html/);
      assert.doesNotMatch(response.body, /<script(?![^>]*\bsrc=)[^>]*>/, `${page} has no inline script (the CSP forbids it)`);
      const sources = [...response.body.matchAll(/<script src="\/([^"]+)" defer><\/script>/g)].map((match) => match[1]!);
      assert.ok(sources.length > 1, `${page} loads its scripts`);
      assert.equal(sources[0], 'common.js', `${page} loads the shared helpers first`);
      for (const source of sources) {
        const script = await t.app.inject({ url: `/${source}` });
        assert.equal(script.statusCode, 200, `/${source}`);
        assert.match(script.headers['content-type'] as string, /^text\/javascript/);
        assert.equal(script.headers['cache-control'], 'no-cache');
        assert.equal(script.body, readFileSync(new URL(source, WEB_DIR), 'utf8'));
        loaded.add(source);
      }
    }
    const scripts = readdirSync(WEB_DIR).filter((name) => name.endsWith('.js'));
    assert.deepEqual(scripts.filter((name) => !loaded.has(name)), [], 'every script in web/ is loaded by a page');
  });
});
