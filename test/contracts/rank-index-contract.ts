import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { compareEntries, type RankEntry, type RankedEntry } from '../../src/boards/rank-entry.js';
import type { RankIndex } from '../../src/boards/rank-index.js';
import { prng, shuffle } from '../helpers/random.js';

export interface RankIndexContractOptions {
  /** A reason to skip the whole suite (e.g. no server configured), or false to run it. */
  skip?: string | false;
}

const T0 = 1_700_000_000_000;

function entry(userId: string, score: number, lastUpdatedMs = T0, version = 1, username: string | null = `name-${userId}`): RankEntry {
  return { userId, username, score, lastUpdatedMs, version };
}

/** mulberry32: a small seeded PRNG, so a failing randomised case fails the same way every run. */


function ranked(entries: RankEntry[]): RankedEntry[] {
  return [...entries].sort(compareEntries).map((e, i) => ({ ...e, rank: i + 1 }));
}

async function* batchesOf(...batches: RankEntry[][]): AsyncIterable<RankEntry[]> {
  for (const batch of batches) yield batch;
}

/**
 * The behaviour every RankIndex must show, run against each implementation with a factory that
 * returns a fresh index and its cleanup. Each test uses its own board id.
 */
export function rankIndexContract(
  name: string,
  factory: () => Promise<{ index: RankIndex; cleanup: () => Promise<void> }>,
  options: RankIndexContractOptions = {},
): void {
  describe(`RankIndex contract: ${name}`, { skip: options.skip ?? false }, () => {
    let index: RankIndex;
    let cleanup: (() => Promise<void>) | undefined;
    let board: string;
    let boardCount = 0;

    before(async () => {
      ({ index, cleanup } = await factory());
    });
    after(async () => {
      await cleanup?.();
    });
    beforeEach(() => {
      board = `contract-${++boardCount}`;
    });

    async function userIds(boardId = board): Promise<string[]> {
      return (await index.top(boardId, 0, 1_000_000)).map((e) => e.userId);
    }

    it('orders by score, highest first', async () => {
      await index.upsert(board, entry('low', 10));
      await index.upsert(board, entry('high', 30));
      await index.upsert(board, entry('mid', 20));
      assert.deepEqual(await userIds(), ['high', 'mid', 'low']);
      assert.equal((await index.rankOf(board, 'high'))?.rank, 1);
      assert.equal((await index.rankOf(board, 'mid'))?.rank, 2);
      assert.equal((await index.rankOf(board, 'low'))?.rank, 3);
    });

    it('returns the rank after the write from upsert', async () => {
      assert.equal((await index.upsert(board, entry('a', 10))).rank, 1);
      assert.equal((await index.upsert(board, entry('b', 20))).rank, 1);
      assert.equal((await index.upsert(board, entry('c', 15))).rank, 2);
      assert.equal((await index.upsert(board, entry('a', 5, T0, 2))).rank, 3);
    });

    it('reports the rank before the write: null for a new player, unchanged for an ignored write', async () => {
      assert.deepEqual(await index.upsert(board, entry('x', 10, T0, 1)), { rank: 1, previousRank: null });
      assert.deepEqual(await index.upsert(board, entry('y', 20, T0, 1)), { rank: 1, previousRank: null });
      assert.deepEqual(await index.upsert(board, entry('x', 30, T0 + 1, 2)), { rank: 1, previousRank: 2 });
      assert.deepEqual(await index.upsert(board, entry('x', 31, T0 + 2, 3)), { rank: 1, previousRank: 1 });
      assert.deepEqual(await index.upsert(board, entry('y', 99, T0 + 3, 1)), { rank: 2, previousRank: 2 });
    });

    it('upsertMany writes in order and answers each entry as its own upsert would', async () => {
      await index.upsert(board, entry('x', 10, T0, 1));
      const changes = await index.upsertMany(board, [
        entry('y', 20, T0, 1), // new, ahead of x
        entry('x', 30, T0 + 1, 2), // passes y
        entry('y', 5, T0, 1), // same version: ignored
        entry('z', 25, T0, 1), // new, between x and y
      ]);
      assert.deepEqual(changes, [
        { rank: 1, previousRank: null },
        { rank: 1, previousRank: 2 },
        { rank: 2, previousRank: 2 },
        { rank: 2, previousRank: null },
      ]);
      assert.deepEqual(await userIds(), ['x', 'z', 'y']);
      assert.equal((await index.rankOf(board, 'y'))?.score, 20);
      assert.deepEqual(await index.upsertMany(board, []), []);
      // One bad entry: nothing of the call is written.
      await assert.rejects(index.upsertMany(board, [entry('w', 99, T0, 1), entry('bad', 1.5)]), RangeError);
      assert.equal(await index.rankOf(board, 'w'), null);
      // The same player twice in one call: the second write is judged against the first.
      const twice = await index.upsertMany(board, [entry('v', 40, T0, 1), entry('v', 50, T0 + 2, 2)]);
      assert.deepEqual(twice, [{ rank: 1, previousRank: null }, { rank: 1, previousRank: 1 }]);
      assert.equal(await index.count(board), 4);
    });

    it('breaks ties by who reached the score first, then by user id in byte order', async () => {
      // Same score and time: byte order, where digits < upper case < lower case and a prefix comes first.
      for (const id of ['b', 'a:b', '9', 'A', 'a', '10', 'a-b']) await index.upsert(board, entry(id, 50, T0));
      // Same score, earlier time: ahead of all of them despite a "large" id.
      await index.upsert(board, entry('zz', 50, T0 - 1));
      // Same score, later time: behind all of them despite a "small" id.
      await index.upsert(board, entry('0', 50, T0 + 1));
      await index.upsert(board, entry('top', 51, T0 + 5));
      // Times of different digit counts compare as numbers, not as text.
      await index.upsert(board, entry('t10', 7, 10));
      await index.upsert(board, entry('t9', 7, 9));
      await index.upsert(board, entry('t100', 7, 100));
      const expected = ['top', 'zz', '10', '9', 'A', 'a', 'a-b', 'a:b', 'b', '0', 't9', 't10', 't100'];
      assert.deepEqual(await userIds(), expected);
      for (const [i, id] of expected.entries()) assert.equal((await index.rankOf(board, id))?.rank, i + 1, id);
    });

    it('matches a sort by compareEntries after many random upserts with ties', async () => {
      const random = prng(20240601);
      const model = new Map<string, RankEntry>();
      const users = Array.from({ length: 2000 }, (_, i) => `u${i.toString(36)}`);
      for (let step = 0; step < 4000; step++) {
        const userId = users[Math.floor(random() * users.length)] as string;
        // Few distinct scores and times, so most entries tie on both.
        const next = entry(userId, Math.floor(random() * 25), T0 + Math.floor(random() * 4), Math.floor(random() * 8));
        const current = model.get(userId);
        if (current === undefined || current.version < next.version) model.set(userId, next);
        const { rank } = await index.upsert(board, next);
        if (step % 500 === 0) {
          const expectedRank = ranked([...model.values()]).findIndex((e) => e.userId === userId) + 1;
          assert.equal(rank, expectedRank, `upsert rank at step ${step}`);
        }
      }
      const expected = ranked([...model.values()]);
      assert.equal(await index.count(board), expected.length);
      assert.deepEqual(await index.top(board, 0, expected.length + 10), expected);
      for (const want of expected) assert.deepEqual(await index.rankOf(board, want.userId), want);
      // Pages agree with the whole.
      assert.deepEqual(await index.top(board, 777, 50), expected.slice(777, 827));
    });

    it('ignores writes with the same or an older version', async () => {
      await index.upsert(board, entry('rival', 150));
      await index.upsert(board, entry('p', 100, T0, 5, 'five'));
      assert.equal((await index.upsert(board, entry('p', 200, T0 + 1, 5, 'same-version'))).rank, 2);
      assert.equal((await index.upsert(board, entry('p', 300, T0 + 2, 4, 'older-higher'))).rank, 2);
      assert.equal((await index.upsert(board, entry('p', 50, T0 - 9, 3, 'older-lower'))).rank, 2);
      assert.deepEqual(await index.rankOf(board, 'p'), { ...entry('p', 100, T0, 5, 'five'), rank: 2 });
      assert.equal(await index.count(board), 2);
    });

    it('applies a newer version even when its score is lower', async () => {
      await index.upsert(board, entry('p', 100, T0, 1));
      await index.upsert(board, entry('q', 60, T0, 1));
      assert.equal((await index.upsert(board, entry('p', 40, T0 + 10, 2, 'corrected'))).rank, 2);
      assert.deepEqual(await index.rankOf(board, 'p'), { ...entry('p', 40, T0 + 10, 2, 'corrected'), rank: 2 });
      assert.deepEqual(await userIds(), ['q', 'p']);
      assert.equal(await index.count(board), 2);
    });

    it('removes a player, shifts the others and forgets their version', async () => {
      await index.upsert(board, entry('a', 30));
      await index.upsert(board, entry('b', 20, T0, 9));
      await index.upsert(board, entry('c', 10));
      await index.remove(board, 'b');
      assert.equal(await index.rankOf(board, 'b'), null);
      assert.equal(await index.count(board), 2);
      assert.deepEqual(await userIds(), ['a', 'c']);
      assert.equal((await index.rankOf(board, 'c'))?.rank, 2);
      await index.remove(board, 'b');
      await index.remove(board, 'never-seen');
      await index.remove('board-never-written', 'a');
      assert.equal(await index.count(board), 2);
      // Erasure then a fresh start: version 1 is accepted again.
      assert.equal((await index.upsert(board, entry('b', 5, T0, 1))).rank, 3);
      assert.equal((await index.rankOf(board, 'b'))?.version, 1);
    });

    it('pages with offset and limit, including past the end', async () => {
      const entries = Array.from({ length: 7 }, (_, i) => entry(`p${i}`, 100 - i));
      for (const e of entries) await index.upsert(board, e);
      const all = ranked(entries);
      assert.deepEqual(await index.top(board, 0, 3), all.slice(0, 3));
      assert.deepEqual(await index.top(board, 2, 3), all.slice(2, 5));
      assert.deepEqual(await index.top(board, 5, 10), all.slice(5));
      assert.deepEqual(await index.top(board, 6, 1), all.slice(6));
      assert.deepEqual(await index.top(board, 7, 5), []);
      assert.deepEqual(await index.top(board, 1000, 5), []);
      assert.deepEqual(await index.top(board, 0, 0), []);
      assert.deepEqual(await index.top(board, 3, 0), []);
      assert.deepEqual(await index.top('board-never-written', 0, 10), []);
    });

    it('counts players, not writes', async () => {
      assert.equal(await index.count(board), 0);
      await index.upsert(board, entry('a', 1));
      await index.upsert(board, entry('b', 2));
      await index.upsert(board, entry('a', 3, T0, 2));
      await index.upsert(board, entry('a', 4, T0, 1));
      assert.equal(await index.count(board), 2);
    });

    it('answers null for a player it does not hold', async () => {
      await index.upsert(board, entry('a', 1));
      assert.equal(await index.rankOf(board, 'nobody'), null);
      assert.equal(await index.rankOf('board-never-written', 'a'), null);
    });

    it('ranksOf answers many players at once, in the order asked, null for those it does not hold', async () => {
      const entries = [entry('a', 10), entry('b', 30), entry('c', 20, T0, 1, null)];
      await index.upsertMany(board, entries);
      const answers = await index.ranksOf(board, ['c', 'nobody', 'b', 'a', 'b']);
      assert.deepEqual(answers, [
        { ...entries[2], rank: 2 },
        null,
        { ...entries[1], rank: 1 },
        { ...entries[0], rank: 3 },
        { ...entries[1], rank: 1 },
      ]);
      assert.deepEqual(await index.ranksOf(board, []), []);
      assert.deepEqual(await index.ranksOf('board-never-written', ['a']), [null]);
    });

    it('ranksOf agrees with rankOf for thousands of players', async () => {
      const random = prng(7);
      const entries = Array.from({ length: 2500 }, (_, i) => entry(`p${i}`, Math.floor(random() * 500), T0 + (i % 13)));
      await index.upsertMany(board, entries);
      const ids = shuffle(entries.map((e) => e.userId), random);
      const answers = await index.ranksOf(board, ids);
      const expected = new Map(ranked(entries).map((e) => [e.userId, e]));
      assert.deepEqual(answers, ids.map((id) => expected.get(id)));
    });

    it('view reads the total, a page from an offset and players in one call', async () => {
      const entries = Array.from({ length: 9 }, (_, i) => entry(`p${i}`, 100 - (i % 4), T0 + i, 1, i === 3 ? null : `n|${i}`));
      await index.upsertMany(board, entries);
      const all = ranked(entries);
      const byId = new Map(all.map((e) => [e.userId, e]));
      const view = await index.view(board, { from: 'offset', offset: 2, limit: 4 }, ['p3', 'nobody', 'p0']);
      assert.deepEqual(view, { total: 9, anchor: null, page: all.slice(2, 6), players: [byId.get('p3'), null, byId.get('p0')] });
      assert.deepEqual(await index.view(board, { from: 'offset', offset: 8, limit: 5 }, []), { total: 9, anchor: null, page: all.slice(8), players: [] });
      assert.deepEqual(await index.view(board, { from: 'offset', offset: 20, limit: 5 }, []), { total: 9, anchor: null, page: [], players: [] });
      assert.deepEqual(await index.view(board, null, ['p8']), { total: 9, anchor: null, page: [], players: [byId.get('p8')] });
      assert.deepEqual(await index.view('board-never-written', { from: 'around', userId: 'p1', limit: 3 }, ['p1']), { total: 0, anchor: null, page: [], players: [null] });
    });

    it('view reads the page right after an anchor player, at any place on the board', async () => {
      const entries = Array.from({ length: 12 }, (_, i) => entry(`p${String(i).padStart(2, '0')}`, 50 - (i % 5), T0 + (i % 3)));
      await index.upsertMany(board, entries);
      const all = ranked(entries);
      for (const held of all) {
        const view = await index.view(board, { from: 'after', userId: held.userId, limit: 4 }, []);
        assert.deepEqual(view, { total: 12, anchor: held, page: all.slice(held.rank, held.rank + 4), players: [] }, `after rank ${held.rank}`);
      }
      assert.deepEqual(await index.view(board, { from: 'after', userId: 'nobody', limit: 4 }, []), { total: 12, anchor: null, page: [], players: [] });
      assert.deepEqual(await index.view(board, { from: 'after', userId: all[0]!.userId, limit: 0 }, []), { total: 12, anchor: all[0], page: [], players: [] });
    });

    it('view reads the window around an anchor: centred, kept inside the board, one more after when even', async () => {
      const entries = Array.from({ length: 10 }, (_, i) => entry(`p${i}`, 1000 - i * 10));
      await index.upsertMany(board, entries);
      const all = ranked(entries);
      const around = async (rank: number, limit: number) => (await index.view(board, { from: 'around', userId: all[rank - 1]!.userId, limit }, [])).page.map((e) => e.rank);
      assert.deepEqual(await around(5, 5), [3, 4, 5, 6, 7]);
      assert.deepEqual(await around(5, 4), [4, 5, 6, 7]);
      assert.deepEqual(await around(1, 5), [1, 2, 3, 4, 5]);
      assert.deepEqual(await around(2, 5), [1, 2, 3, 4, 5]);
      assert.deepEqual(await around(10, 5), [6, 7, 8, 9, 10]);
      assert.deepEqual(await around(9, 4), [7, 8, 9, 10]);
      assert.deepEqual(await around(4, 1), [4]);
      assert.deepEqual(await around(3, 25), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      const view = await index.view(board, { from: 'around', userId: 'p4', limit: 3 }, ['p9']);
      assert.deepEqual(view, { total: 10, anchor: all[4], page: all.slice(3, 6), players: [all[9]] });
      assert.deepEqual((await index.view(board, { from: 'around', userId: 'nobody', limit: 3 }, [])).page, []);
    });

    it('view in a board ranked lowest first (negated scores) and with ties agrees with a sort', async () => {
      const random = prng(11);
      const entries = Array.from({ length: 300 }, (_, i) => entry(`u${i}`, 0 - Math.floor(random() * 40), T0 + Math.floor(random() * 5)));
      await index.upsertMany(board, entries);
      const all = ranked(entries);
      for (const rank of [1, 2, 150, 299, 300]) {
        const held = all[rank - 1]!;
        const view = await index.view(board, { from: 'around', userId: held.userId, limit: 11 }, [held.userId]);
        const first = Math.max(0, Math.min(rank - 1 - 5, 300 - 11));
        assert.deepEqual(view.page, all.slice(first, first + 11), `around rank ${rank}`);
        assert.deepEqual(view.players, [held]);
      }
    });

    it('view refuses a bad window or too many players, reading nothing', async () => {
      await assert.rejects(index.view(board, { from: 'offset', offset: -1, limit: 3 }, []), RangeError);
      await assert.rejects(index.view(board, { from: 'offset', offset: 0, limit: 1.5 }, []), RangeError);
      await assert.rejects(index.view(board, { from: 'around', userId: 'a', limit: -2 }, []), RangeError);
      await assert.rejects(index.view(board, null, Array.from({ length: 1001 }, (_, i) => `p${i}`)), RangeError);
    });

    it('keeps usernames exactly: null, empty, pipes, unicode, quotes', async () => {
      const names: (string | null)[] = [null, '', '|', 'a|b|c', '||7|', 'Zoë 名前 🎮', `O'Brien "the" \\ back`, ' spaced '];
      const entries = names.map((username, i) => entry(`user${i}`, 10 * (i + 1), T0, 1, username));
      for (const e of entries) await index.upsert(board, e);
      assert.deepEqual(await index.top(board, 0, 100), ranked(entries));
      for (const e of entries) assert.equal((await index.rankOf(board, e.userId))?.username, e.username);
      await index.upsert(board, entry('user5', 1, T0, 2, null));
      assert.equal((await index.rankOf(board, 'user5'))?.username, null);
      await index.upsert(board, entry('user0', 1, T0, 2, 'now named'));
      assert.equal((await index.rankOf(board, 'user0'))?.username, 'now named');
    });

    it('keeps scores near 2^53 - 1 and the extremes of time exact', async () => {
      const max = Number.MAX_SAFE_INTEGER;
      const entries = [
        entry('max', max, T0),
        entry('max-later', max, T0 + 1),
        entry('max-1', max - 1, 0),
        entry('max-2', max - 2, 999_999_999_999_999),
        entry('zero', 0, 0),
        entry('zero-b', 0, 0),
        entry('one', 1, 999_999_999_999_999),
      ];
      for (const e of shuffle([...entries], prng(7))) await index.upsert(board, e);
      assert.deepEqual(await index.top(board, 0, 10), ranked(entries));
      assert.deepEqual(await userIds(), ['max', 'max-later', 'max-1', 'max-2', 'one', 'zero', 'zero-b']);
      assert.equal((await index.rankOf(board, 'max-1'))?.score, max - 1);
    });

    it('orders negative scores too, down to -(2^53 - 1), exactly', async () => {
      const min = -Number.MAX_SAFE_INTEGER;
      const entries = [entry('pos', 5, T0), entry('zero', 0, T0), entry('minus-1', -1, T0), entry('minus-1-later', -1, T0 + 1), entry('min', min, T0)];
      for (const e of shuffle([...entries], prng(11))) await index.upsert(board, e);
      assert.deepEqual(await index.top(board, 0, 10), ranked(entries));
      assert.equal((await index.rankOf(board, 'min'))?.score, min);
      // A write moving a player across zero, both ways.
      await index.upsert(board, entry('pos', -7, T0 + 5, 2));
      await index.upsert(board, entry('min', 3, T0 + 6, 2));
      assert.deepEqual(await userIds(), ['min', 'zero', 'minus-1', 'minus-1-later', 'pos']);
      assert.equal((await index.rankOf(board, 'pos'))?.score, -7);
    });

    it('keeps boards independent', async () => {
      const other = `${board}-other`;
      await index.upsert(board, entry('a', 10));
      await index.upsert(board, entry('b', 20));
      await index.upsert(other, entry('a', 99, T0, 1, 'elsewhere'));
      assert.deepEqual(await userIds(), ['b', 'a']);
      assert.deepEqual(await userIds(other), ['a']);
      assert.equal((await index.rankOf(board, 'a'))?.score, 10);
      assert.equal((await index.rankOf(other, 'a'))?.username, 'elsewhere');
      assert.equal(await index.rankOf(other, 'b'), null);
      await index.remove(other, 'a');
      assert.equal(await index.count(other), 0);
      assert.equal(await index.count(board), 2);
      await index.replaceAll(other, batchesOf([entry('z', 1)]));
      assert.deepEqual(await userIds(), ['b', 'a']);
    });

    it('replaceAll swaps in the batches, drops the rest, and readers see the old content until then', async () => {
      await index.upsert(board, entry('old', 500));
      await index.upsert(board, entry('kept', 10, T0, 3));
      let seenDuring: string[] = [];
      async function* batches(): AsyncIterable<RankEntry[]> {
        yield [entry('n1', 30), entry('kept', 20, T0, 7, 'rebuilt')];
        seenDuring = await userIds();
        yield [];
        yield [entry('n2', 40), entry('n3', 30, T0 - 1)];
      }
      assert.equal(await index.replaceAll(board, batches()), 4);
      assert.deepEqual(seenDuring, ['old', 'kept']);
      assert.deepEqual(await userIds(), ['n2', 'n3', 'n1', 'kept']);
      assert.equal(await index.rankOf(board, 'old'), null);
      assert.deepEqual(await index.rankOf(board, 'kept'), { ...entry('kept', 20, T0, 7, 'rebuilt'), rank: 4 });
      assert.equal(await index.count(board), 4);
      // The rebuilt board behaves like any other.
      assert.equal((await index.upsert(board, entry('n1', 50, T0, 2))).rank, 1);
    });

    it('replaceAll with no entries empties the board', async () => {
      await index.upsert(board, entry('a', 1));
      await index.upsert(board, entry('b', 2));
      assert.equal(await index.replaceAll(board, batchesOf()), 0);
      assert.equal(await index.count(board), 0);
      assert.deepEqual(await index.top(board, 0, 10), []);
      assert.equal(await index.rankOf(board, 'a'), null);
      assert.equal(await index.replaceAll(board, batchesOf([], [])), 0);
      assert.equal((await index.upsert(board, entry('a', 1))).rank, 1);
    });

    it('replaceAll resolves a player listed twice like upserts: the newer version wins', async () => {
      const written = await index.replaceAll(
        board,
        batchesOf(
          [entry('p', 10, T0, 2, 'v2'), entry('q', 5)],
          [entry('p', 20, T0 + 1, 3, 'v3'), entry('p', 99, T0, 1, 'v1')],
          [entry('p', 98, T0, 2, 'v2 again'), entry('q', 4, T0, 1, 'same version')],
        ),
      );
      assert.equal(written, 2);
      assert.equal(await index.count(board), 2);
      assert.deepEqual(await index.rankOf(board, 'p'), { ...entry('p', 20, T0 + 1, 3, 'v3'), rank: 1 });
      assert.deepEqual(await index.rankOf(board, 'q'), { ...entry('q', 5), rank: 2 });
    });

    it('replaceAll keeps upserts and removals made while it runs', async () => {
      await index.upsert(board, entry('gone', 70, T0, 1));
      await index.upsert(board, entry('live', 10, T0, 1));
      async function* batches(): AsyncIterable<RankEntry[]> {
        // The snapshot was read before these writes reached the index.
        yield [entry('gone', 70, T0, 1), entry('live', 10, T0, 1), entry('stale', 5, T0, 4)];
        await index.upsert(board, entry('live', 90, T0 + 1, 2));
        await index.remove(board, 'gone');
        await index.upsert(board, entry('fresh', 60, T0, 1));
        // A live write older than the snapshot's must not win.
        await index.upsert(board, entry('stale', 1, T0, 2));
        yield [entry('late', 80, T0, 1)];
      }
      await index.replaceAll(board, batches());
      assert.deepEqual(await userIds(), ['live', 'late', 'fresh', 'stale']);
      assert.equal((await index.rankOf(board, 'live'))?.version, 2);
      assert.equal((await index.rankOf(board, 'stale'))?.version, 4);
      assert.equal(await index.rankOf(board, 'gone'), null);
    });

    it('when two replaceAll calls overlap, the one that started last wins', async () => {
      await index.upsert(board, entry('old', 1));
      let firstRunning!: () => void;
      const firstStarted = new Promise<void>((resolve) => (firstRunning = resolve));
      let releaseFirst!: () => void;
      const firstReleased = new Promise<void>((resolve) => (releaseFirst = resolve));
      async function* slow(): AsyncIterable<RankEntry[]> {
        firstRunning();
        yield [entry('a', 10)];
        await firstReleased;
        yield [entry('a2', 11)];
      }
      const first = index.replaceAll(board, slow());
      await firstStarted;
      assert.equal(await index.replaceAll(board, batchesOf([entry('b', 20)])), 1);
      await index.upsert(board, entry('live', 5));
      releaseFirst();
      // The older snapshot is dropped rather than rolling the board back.
      assert.equal(await first, 2);
      assert.deepEqual(await userIds(), ['b', 'live']);
    });

    it('a failed replaceAll leaves the board as it was', async () => {
      await index.upsert(board, entry('a', 1));
      async function* batches(): AsyncIterable<RankEntry[]> {
        yield [entry('b', 2)];
        throw new Error('database went away');
      }
      await assert.rejects(index.replaceAll(board, batches()), /database went away/);
      assert.deepEqual(await userIds(), ['a']);
      // And the next rebuild still works.
      assert.equal(await index.replaceAll(board, batchesOf([entry('c', 3)])), 1);
      assert.deepEqual(await userIds(), ['c']);
    });

    it('concurrent upserts leave every player at their highest version', async () => {
      const random = prng(99);
      const final = new Map<string, RankEntry>();
      const writes: RankEntry[] = [];
      for (let u = 0; u < 50; u++) {
        for (let version = 1; version <= 10; version++) {
          const e = entry(`c${u}`, Math.floor(random() * 1000), T0 + Math.floor(random() * 3), version);
          writes.push(e);
          final.set(e.userId, e);
        }
      }
      const ranks = await Promise.all(shuffle(writes, random).map((e) => index.upsert(board, e)));
      for (const { rank } of ranks) assert.ok(rank >= 1 && rank <= 50, `rank ${rank}`);
      const expected = ranked([...final.values()]);
      assert.equal(await index.count(board), 50);
      assert.deepEqual(await index.top(board, 0, 100), expected);
    });

    it('rejects entries it cannot order exactly', async () => {
      await assert.rejects(index.upsert(board, entry('a', -Number.MAX_SAFE_INTEGER - 1)), RangeError);
      await assert.rejects(index.upsert(board, entry('a', 1.5)), RangeError);
      await assert.rejects(index.upsert(board, entry('a', Number.MAX_SAFE_INTEGER + 1)), RangeError);
      await assert.rejects(index.upsert(board, entry('a', Number.NaN)), RangeError);
      await assert.rejects(index.upsert(board, entry('a', 1, -1)), RangeError);
      await assert.rejects(index.upsert(board, entry('a', 1, 1e15)), RangeError);
      await assert.rejects(index.upsert(board, entry('', 1)), RangeError);
      await assert.rejects(index.upsert(board, entry('é', 1)), RangeError);
      await assert.rejects(index.top(board, -1, 10), RangeError);
      await assert.rejects(index.top(board, 0, 1.5), RangeError);
      assert.equal(await index.count(board), 0);
    });
  });
}
