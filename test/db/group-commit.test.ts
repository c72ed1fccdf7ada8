import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { GroupCommit, WriteQueueTimeoutError, type BatchResult } from '../../src/group-commit.js';
import { isConnectionError } from '../../src/db/sql-client.js';

interface Item {
  user: string;
  value: number;
}

/** A writer that records its batches and answers each item with value * 10 after `delayMs`. */
function recorder(delayMs = 5) {
  const batches: Item[][] = [];
  let running = 0;
  let mostRunning = 0;
  const write = async (items: Item[]): Promise<Array<BatchResult<number>>> => {
    batches.push(items);
    running += 1;
    mostRunning = Math.max(mostRunning, running);
    await sleep(delayMs);
    running -= 1;
    return items.map((item) => (item.value < 0 ? { ok: false, error: new Error(`bad ${item.value}`) } : { ok: true, value: item.value * 10 }));
  };
  return { batches, write, mostRunning: () => mostRunning };
}

describe('group commit', () => {
  it('sends a lone item at once and gathers the items that arrive while a batch is written', async () => {
    const { batches, write } = recorder(20);
    const group = new GroupCommit<Item, number>({ write, keys: (item) => [item.user], concurrency: 1 });
    const first = group.submit({ user: 'a', value: 1 });
    while (batches.length === 0) await sleep(1); // the first batch is being written
    const rest = Array.from({ length: 10 }, (_, i) => group.submit({ user: `u${i}`, value: i }));
    assert.deepEqual(await Promise.all([first, ...rest]), [10, ...Array.from({ length: 10 }, (_, i) => i * 10)]);
    assert.deepEqual(batches.map((batch) => batch.length), [1, 10]);
  });

  it('never puts two items with one key in a batch, nor writes them at once, and keeps their order', async () => {
    const { batches, write } = recorder(2);
    const group = new GroupCommit<Item, number>({ write, keys: (item) => [item.user], concurrency: 4 });
    const results = await Promise.all([
      group.submit({ user: 'a', value: 1 }),
      group.submit({ user: 'b', value: 2 }),
      group.submit({ user: 'a', value: 3 }),
      group.submit({ user: 'a', value: 4 }),
      group.submit({ user: 'c', value: 5 }),
    ]);
    assert.deepEqual(results, [10, 20, 30, 40, 50]);
    for (const batch of batches) assert.equal(new Set(batch.map((item) => item.user)).size, batch.length);
    const order = batches.flat().filter((item) => item.user === 'a').map((item) => item.value);
    assert.deepEqual(order, [1, 3, 4]);
    // 'a' was written three times, one after another; the others rode along with the first.
    assert.deepEqual(batches.map((batch) => batch.map((item) => item.value)), [[1, 2, 5], [3], [4]]);
  });

  it('leaves no timer behind once nothing waits, so it never holds the process open', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
    const before = timers();
    const { write } = recorder(5);
    const group = new GroupCommit<Item, number>({ write, keys: (item) => [item.user], concurrency: 1 });
    await Promise.all(Array.from({ length: 5 }, (_, i) => group.submit({ user: `u${i % 2}`, value: i })));
    await sleep(0);
    assert.equal(timers(), before);
  });

  it('writes at most `concurrency` batches at once and caps their size', async () => {
    const { batches, write, mostRunning } = recorder(10);
    const group = new GroupCommit<Item, number>({ write, keys: (item) => [item.user], concurrency: 2, maxBatch: 3 });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => group.submit({ user: `u${i}`, value: i })));
    assert.deepEqual(results, Array.from({ length: 20 }, (_, i) => i * 10));
    assert.ok(batches.every((batch) => batch.length <= 3));
    assert.equal(mostRunning(), 2);
    assert.equal(group.waiting, 0);

  });

  it("gives each item its own error, and a failed batch's error to every item of it", async () => {
    const { write } = recorder(1);
    const group = new GroupCommit<Item, number>({ write, keys: (item) => [item.user] });
    const [good, bad] = await Promise.allSettled([group.submit({ user: 'a', value: 1 }), group.submit({ user: 'b', value: -1 })]);
    assert.deepEqual(good, { status: 'fulfilled', value: 10 });
    assert.equal(bad.status === 'rejected' && (bad.reason as Error).message, 'bad -1');

    let calls = 0;
    const failing = new GroupCommit<Item, number>({
      write: async () => {
        calls += 1;
        if (calls === 1) throw new Error('connection lost');
        return [{ ok: true, value: 7 }];
      },
      keys: (item) => [item.user],
    });
    const outcomes = await Promise.allSettled([failing.submit({ user: 'a', value: 1 }), failing.submit({ user: 'b', value: 2 })]);
    assert.deepEqual(outcomes.map((o) => o.status === 'rejected' && (o.reason as Error).message), ['connection lost', 'connection lost']);
    // The keys were released: the next item of 'a' is written.
    assert.equal(await failing.submit({ user: 'a', value: 3 }), 7);
  });

  it('fails an item that waited too long for its batch as a connection error (a 503), writing nothing of it', async () => {
    let release!: () => void;
    const written: Item[][] = [];
    const group = new GroupCommit<Item, number>({
      write: async (items) => {
        written.push(items);
        if (written.length === 1) await new Promise<void>((resolve) => (release = resolve));
        return items.map((item) => ({ ok: true, value: item.value }));
      },
      keys: (item) => [item.user],
      concurrency: 1,
      maxWaitMs: 50,
    });
    const hung = group.submit({ user: 'a', value: 1 });
    while (written.length === 0) await sleep(1); // its batch is being written (and hangs)
    const started = performance.now();
    const queued = group.submit({ user: 'b', value: 2 });
    await assert.rejects(queued, (error) => error instanceof WriteQueueTimeoutError && isConnectionError(error));
    assert.ok(performance.now() - started >= 45);
    release();
    assert.equal(await hung, 1);
    assert.deepEqual(written.map((batch) => batch.map((item) => item.user)), [['a']]);
    assert.equal(await group.submit({ user: 'b', value: 3 }), 3);
  });
});
