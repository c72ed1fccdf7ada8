import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RankCursors, type CursorPosition } from '../../src/boards/rank-cursor.js';

const cursors = new RankCursors('c'.repeat(32));
const position: CursorPosition = { boardId: 'weekly', periodId: '2026-11-30T00:00:00.000Z', orderScore: -120, lastUpdatedMs: 1_796_000_000_000, userId: 'auth0|a b', rank: 900_000 };
const ref = { boardId: 'weekly', periodId: '2026-11-30T00:00:00.000Z' };

describe('rank cursors (pure)', () => {
  it('round-trip a position, opaque to the client', () => {
    const cursor = cursors.encode(position);
    assert.match(cursor, /^[\w-]+\.[\w-]+$/);
    assert.deepEqual(cursors.decode(cursor, ref), position);
  });

  it('refuse an altered, truncated, forged or foreign cursor', () => {
    const cursor = cursors.encode(position);
    const [body, tag] = cursor.split('.') as [string, string];
    const altered = Buffer.from(JSON.stringify(['weekly', ref.periodId, -120, 1_796_000_000_000, 'auth0|a b', 1])).toString('base64url');
    for (const bad of [`${altered}.${tag}`, `${body}.${tag.slice(0, -2)}`, body, `.${tag}`, '', 'x'.repeat(3000), `${body}x.${tag}`]) {
      assert.equal(cursors.decode(bad, ref), null, bad.slice(0, 40));
    }
    // Every one-character change, the tag's last character included (its low bits decode to nothing).
    for (let i = 0; i < cursor.length; i++) {
      for (const replacement of ['A', 'B', 'Q', 'g', 'w', '_']) {
        if (cursor[i] === replacement || cursor[i] === '.') continue;
        const changed = cursor.slice(0, i) + replacement + cursor.slice(i + 1);
        assert.equal(cursors.decode(changed, ref), null, `changed at ${i} to ${replacement}`);
      }
    }
    assert.equal(new RankCursors('d'.repeat(32)).decode(cursor, ref), null, 'another secret');
    assert.equal(cursors.decode(cursor, { ...ref, boardId: 'daily' }), null, 'another board');
    assert.equal(cursors.decode(cursor, { ...ref, periodId: '2026-12-07T00:00:00.000Z' }), null, 'another period');
  });
});
