import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { RankedEntry } from '../../src/boards/rank-entry.js';
import type { RankMove } from '../../src/realtime/live-payloads.js';
import { RankWatcher } from '../../src/realtime/rank-watcher.js';

const entry = (userId: string, rank: number, score = 10): RankedEntry => ({ userId, username: null, score, lastUpdatedMs: 1, version: 1, rank });

/** A watcher over a scripted rank source (the rank index is exercised by its own contract suite). */
function watcher(players: string[], now?: () => number) {
  const told: RankMove[] = [];
  let answer: Map<string, RankedEntry> | null = new Map();
  let duringRead: () => void = () => undefined;
  const watch = new RankWatcher({
    ranksOf: async () => {
      duringRead();
      return answer;
    },
    players: () => players,
    tell: (move) => told.push(move),
    log: pino({ level: 'silent' }),
    ...(now ? { now } : {}),
  });
  return {
    watch,
    told,
    ranks: (...entries: RankedEntry[]) => (answer = new Map(entries.map((e) => [e.userId, e]))),
    notReady: () => (answer = null),
    onRead: (fn: () => void) => (duringRead = fn),
  };
}

describe('the rank watcher', () => {
  it("leaves a move of the player's own entry to their own update's event, and tells it after the grace if that never came", async () => {
    let clock = 1_000_000;
    const w = watcher(['ann', 'ben'], () => clock);
    w.ranks(entry('ann', 3), entry('ben', 4));
    await w.watch.tick();
    // ann's own update (her entry changed just now) moved her to 1; ben's own update moved him to 2.
    w.ranks({ ...entry('ann', 1, 50), lastUpdatedMs: clock - 10 }, { ...entry('ben', 2, 40), lastUpdatedMs: clock - 10 });
    await w.watch.tick();
    assert.deepEqual(w.told, [], 'no watcher event while their own update is being told');
    w.watch.noteTold('ann', 1);
    clock += 2500;
    await w.watch.tick();
    assert.deepEqual((w.told as RankMove[]).map((move) => [move.userId, move.oldRank, move.newRank]), [['ben', 4, 2]], 'ann was told by her update; ben, never told, is told now');
  });

  it('learns a rank first, then tells each move once', async () => {
    const w = watcher(['ann']);
    w.ranks(entry('ann', 3));
    await w.watch.tick();
    assert.equal(w.told.length, 0);
    w.ranks(entry('ann', 5, 12));
    await w.watch.tick();
    await w.watch.tick();
    assert.deepEqual(w.told, [{ userId: 'ann', newRank: 5, oldRank: 3, newScore: 12 }]);
  });

  it('skips a tick while the rank index cannot answer, and tells the move once it can', async () => {
    const w = watcher(['ann']);
    w.ranks(entry('ann', 1));
    await w.watch.tick();
    w.notReady();
    await w.watch.tick();
    assert.equal(w.told.length, 0);
    w.ranks(entry('ann', 2));
    await w.watch.tick();
    assert.deepEqual(w.told.map((move) => [move.oldRank, move.newRank]), [[1, 2]]);
  });

  it('says nothing of a rank the player was already told, even one told while it read', async () => {
    const w = watcher(['ann']);
    w.ranks(entry('ann', 4));
    await w.watch.tick();
    w.watch.noteTold('ann', 2);
    w.ranks(entry('ann', 2));
    await w.watch.tick();
    assert.equal(w.told.length, 0);
    // An own update tells rank 1 while the tick's read (which still saw 2) is in flight.
    w.onRead(() => w.watch.noteTold('ann', 1));
    await w.watch.tick();
    w.onRead(() => undefined);
    assert.equal(w.told.length, 0, 'the older read does not take the player back to 2');
    w.ranks(entry('ann', 1));
    await w.watch.tick();
    assert.equal(w.told.length, 0);
  });
});
