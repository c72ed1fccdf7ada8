import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { MemoryPubSub } from '../../src/cache/pub-sub-memory.js';
import type { LeaderboardService, TopSnapshot } from '../../src/boards/leaderboard-service.js';
import { LeaderboardBroadcaster } from '../../src/realtime/leaderboard-broadcaster.js';

/** A board whose top changes on every read, so every flush has something to send. */
class ChangingBoard extends EventEmitter {
  private changes = 0;
  currentTop(): TopSnapshot {
    return { entries: [], changedAtMs: 0 };
  }
  async refreshTop(): Promise<TopSnapshot> {
    this.changes += 1;
    return { entries: [], changedAtMs: this.changes };
  }
  markTopStale(): void {}
}

/** Send start times (ms) while the top is marked dirty every millisecond for `forMs`. */
async function broadcastTimes(sendCostMs: number, intervalMs: number, forMs: number): Promise<number[]> {
  const board = new ChangingBoard();
  const starts: number[] = [];
  const broadcaster = new LeaderboardBroadcaster({
    leaderboard: board as unknown as LeaderboardService,
    pubsub: new MemoryPubSub(),
    intervalMs,
    instanceId: 'test',
    log: pino({ level: 'silent' }),
    send() {
      starts.push(performance.now());
      const until = performance.now() + sendCostMs;
      while (performance.now() < until) {
        // a send that holds the event loop, as 10,000 socket writes do
      }
    },
  });
  await broadcaster.start();
  const end = performance.now() + forMs;
  while (performance.now() < end) {
    board.emit('top-dirty');
    await sleep(1);
  }
  await broadcaster.stop();
  return starts;
}

const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]!);

describe('leaderboard broadcaster pacing', () => {
  it('broadcasts once per interval when sending is cheap', async () => {
    const times = await broadcastTimes(0, 20, 400);
    assert.ok(times.length >= 5 && times.length <= 21, `${times.length} broadcasts in 400 ms at 20 ms`);
    assert.ok(gaps(times).every((gap) => gap >= 17), `gaps ${gaps(times).map(Math.round)}`);
  });

  it('waits at least as long as the last send took, so broadcasting holds at most half of the event loop', async () => {
    const times = await broadcastTimes(40, 5, 600);
    assert.ok(times.length >= 3, `${times.length} broadcasts`);
    // Each gap is the 40 ms send plus at least 40 ms for everything else.
    assert.ok(gaps(times).every((gap) => gap >= 75), `gaps ${gaps(times).map(Math.round)}`);
  });
});

/** A board period whose top is fixed, and whose reads can be held back. */
class FixedBoard extends EventEmitter {
  private readonly snapshot: TopSnapshot;
  hold: Promise<void> | null = null;
  constructor(changedAtMs: number) {
    super();
    this.snapshot = { entries: [], changedAtMs };
  }
  currentTop(): TopSnapshot {
    return this.snapshot;
  }
  async refreshTop(): Promise<TopSnapshot> {
    await this.hold;
    return this.snapshot;
  }
  markTopStale(): void {}
}

describe('leaderboard broadcaster following a new period', () => {
  const sent: { source: unknown; seq: number }[] = [];
  const make = (board: FixedBoard) =>
    new LeaderboardBroadcaster({
      leaderboard: board as unknown as LeaderboardService,
      pubsub: new MemoryPubSub(),
      channel: 'board:changed:test',
      intervalMs: 10,
      instanceId: 'test',
      log: pino({ level: 'silent' }),
      send: (_snapshot, seq, _cause, source) => sent.push({ source, seq }),
    });

  it('sends the new ranking’s top once, even when it looks like the last, naming its source', async () => {
    sent.length = 0;
    const ended = new FixedBoard(5);
    const next = new FixedBoard(5);
    const broadcaster = make(ended);
    await broadcaster.start();
    broadcaster.follow(next as unknown as LeaderboardService);
    await sleep(60);
    assert.deepEqual(sent, [{ source: next, seq: 1 }]);
    assert.equal(broadcaster.current().source, next);
    // The ended ranking's signals no longer reach it; the new one's do.
    ended.emit('top-dirty');
    await sleep(40);
    assert.equal(sent.length, 1);
    await broadcaster.stop();
  });

  it('never sends a top read from the ended ranking once the new one is followed', async () => {
    sent.length = 0;
    const ended = new FixedBoard(1);
    const next = new FixedBoard(2);
    const broadcaster = make(ended);
    await broadcaster.start();
    let release!: () => void;
    ended.hold = new Promise((resolve) => (release = resolve));
    ended.emit('top-changed');
    await sleep(20);
    broadcaster.follow(next as unknown as LeaderboardService);
    release();
    await sleep(60);
    assert.deepEqual(sent.map((s) => s.source), [next]);
    await broadcaster.stop();
  });
});
