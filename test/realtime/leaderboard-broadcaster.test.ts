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
