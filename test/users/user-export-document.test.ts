// The export document's text, without I/O: pieces that join into exactly the JSON of the whole
// document, and keyset paging that reads each row once and stops at the first short page.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exportDocument, keysetPages } from '../../src/users/user-export-document.js';

async function* pagesOf<T>(pages: T[][]): AsyncGenerator<T[]> {
  for (const page of pages) yield page;
}

async function text(pieces: AsyncIterable<string>): Promise<string> {
  let whole = '';
  for await (const piece of pieces) whole += piece;
  return whole;
}

describe('export document', () => {
  const opening = { exportedAt: '2026-01-02T03:04:05.000Z', user: { id: 'a "quoted" \\ id', created_at: new Date(0) }, score: null, boards: [{ boardId: 'global', period: 'all', score: 5, lastUpdated: '2026-01-02T03:04:05.000Z' }] };

  it('joins into the JSON of the whole document, whatever the paging', async () => {
    const history = [{ id: 1, note: 'é' }, { id: 2, note: null }, { id: 3, note: '\u2028' }];
    const flags = [{ id: 9, details: { z: 1 } }];
    const expected = JSON.stringify({ success: true, data: { ...opening, history, suspiciousActivity: flags } });
    for (const paging of [[history], [history.slice(0, 1), [], history.slice(1)], history.map((row) => [row])]) {
      assert.equal(await text(exportDocument(opening, pagesOf(paging), pagesOf([flags]))), expected);
    }
  });

  it('empty lists', async () => {
    const whole = await text(exportDocument(opening, pagesOf([]), pagesOf([[]])));
    assert.deepEqual(JSON.parse(whole), JSON.parse(JSON.stringify({ success: true, data: { ...opening, history: [], suspiciousActivity: [] } })));
  });

  it('keyset pages: each row once, after the last id of the page before, until a short page', async () => {
    const rows = Array.from({ length: 7 }, (_, i) => ({ id: 10 + i * 3 }));
    const asked: number[] = [];
    const read = async (afterId: number, limit: number) => {
      asked.push(afterId);
      return rows.filter((row) => row.id > afterId).slice(0, limit);
    };
    const seen = [];
    for await (const page of keysetPages(read, 3)) seen.push(page.map((row) => row.id));
    assert.deepEqual(seen, [[10, 13, 16], [19, 22, 25], [28]]);
    assert.deepEqual(asked, [0, 16, 25]);
    const exact = [];
    for await (const page of keysetPages(async (afterId, limit) => rows.slice(0, 6).filter((row) => row.id > afterId).slice(0, limit), 3)) exact.push(page.length);
    assert.deepEqual(exact, [3, 3], 'a last full page is followed by one empty read, not an empty page');
  });
});
