import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { LeaderboardService, type RankedEntriesSource } from '../../src/boards/leaderboard-service.js';
import type { RankEntry, RankedEntry } from '../../src/boards/rank-entry.js';
import { RebuildGuardedRankIndex } from '../../src/boards/rank-index-guarded.js';
import { MemoryRankIndex } from '../../src/boards/rank-index-memory.js';

/**
 * The in-process rank index, with reads of the top that can be held open: the interleavings of
 * reads and writes that a shared Redis produces under load, made to happen on purpose.
 */
class HeldReads extends RebuildGuardedRankIndex {
  holding = false;
  reads = 0;
  private readonly held: Array<() => void> = [];

  override async top(boardId: string, offset: number, limit: number): Promise<RankedEntry[]> {
    this.reads += 1;
    // The state is read now; the answer arrives only when released (a slow round trip).
    const entries = await super.top(boardId, offset, limit);
    if (this.holding) await new Promise<void>((resolve) => this.held.push(resolve));
    return entries;
  }

  releaseAll(): void {
    for (const release of this.held.splice(0)) release();
  }
}

const entries = new Proxy({} as RankedEntriesSource, {
  get: (_target, name) => () => Promise.reject(new Error(`SQL is not used on this path (${String(name)})`)),
});
const entry = (userId: string, score: number, version = 1): RankEntry => ({ userId, username: null, score, lastUpdatedMs: 1000 + version, version });
const ids = (entries: readonly RankedEntry[]) => entries.map((e) => e.userId);
const settle = () => new Promise((resolve) => setImmediate(resolve));

async function setUp() {
  const index = new HeldReads(new MemoryRankIndex());
  await index.replaceAll('global', (async function* () {})());
  const leaderboard = new LeaderboardService({ rankIndex: index, entries, log: pino({ level: 'silent' }) });
  return { index, leaderboard };
}

describe('the top of the board under overlapping reads and writes', () => {
  it('a read of the top after a write shows the write, even while an older read is in flight', async () => {
    const { index, leaderboard } = await setUp();
    index.holding = true;
    const older = leaderboard.refreshTop(); // reads the empty board, answer held
    await settle();
    index.holding = false;
    await leaderboard.record(entry('ann', 10));
    const reading = leaderboard.top(10);
    // The older read answers (with the empty board it saw) while this one waits.
    index.releaseAll();
    assert.deepEqual(ids((await older).entries), [], 'the older read answers what it read');
    assert.deepEqual(ids((await reading).entries), ['ann']);
    assert.deepEqual(ids((await leaderboard.top(10)).entries), ['ann'], 'the older read did not take the top back');
  });

  it('a page read overtaken by a write never becomes the snapshot (no broadcast goes back in time)', async () => {
    const { index, leaderboard } = await setUp();
    await leaderboard.record(entry('ann', 10));
    await leaderboard.refreshTop();
    index.holding = true;
    const stalePage = leaderboard.page(0, 100); // sees only ann, answer held
    await settle();
    index.holding = false;
    await leaderboard.record(entry('ben', 20));
    const changes: string[][] = [];
    leaderboard.on('top-changed', (snapshot) => changes.push(ids(snapshot.entries)));
    assert.deepEqual(ids((await leaderboard.refreshTop()).entries), ['ben', 'ann']);
    index.releaseAll();
    assert.deepEqual(ids((await stalePage).entries), ['ann'], 'the page itself answers what it read');
    assert.deepEqual(ids(leaderboard.currentTop().entries), ['ben', 'ann']);
    assert.deepEqual(changes, [['ben', 'ann']]);
  });

  it('concurrent callers share reads, and a steady stream of writes cannot starve them', async () => {
    const { index, leaderboard } = await setUp();
    index.holding = true;
    const first = leaderboard.refreshTop();
    await settle();
    // Writes land while the first read is out; every later caller needs a newer read.
    await leaderboard.record(entry('ann', 10));
    const waiting = [leaderboard.refreshTop(), leaderboard.top(10), leaderboard.refreshTop()];
    let version = 1;
    const writer = setInterval(() => void leaderboard.record(entry('ben', 5 + version, ++version)), 1);
    try {
      for (let i = 0; i < 5; i++) {
        index.releaseAll();
        await settle();
      }
      index.holding = false;
      index.releaseAll();
      await first;
      const [refreshed, top, again] = await Promise.all(waiting);
      for (const snapshot of [refreshed, again]) assert.ok(ids(snapshot!.entries).includes('ann'));
      assert.ok(ids((top as { entries: RankedEntry[] }).entries).includes('ann'));
      assert.ok(index.reads <= 3, `${index.reads} reads for four callers`);
    } finally {
      clearInterval(writer);
    }
  });
});
