import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PubSub } from '../../src/cache/pub-sub.js';

function waitFor(predicate: () => boolean, timeoutMs = 2000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      if (predicate()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error('timed out'));
      setTimeout(tick, 5);
    };
    tick();
  });
}

/** What every pub/sub implementation promises; `factory` gives two handles on one bus (two instances). */
export function pubSubContract(
  name: string,
  factory: () => Promise<{ a: PubSub; b: PubSub; cleanup: () => Promise<void> }>,
  options: { skip?: string | false } = {},
): void {
  describe(`pub/sub contract: ${name}`, { skip: options.skip }, () => {
    let a: PubSub;
    let b: PubSub;
    let cleanup: () => Promise<void>;
    before(async () => {
      ({ a, b, cleanup } = await factory());
    });
    after(async () => {
      await a.close();
      await b.close();
      await cleanup();
    });

    it('delivers a message to every subscriber, the publisher included, in order', async () => {
      const seenByA: string[] = [];
      const seenByB: string[] = [];
      const offA = await a.subscribe('orders', (m) => seenByA.push(m));
      const offB = await b.subscribe('orders', (m) => seenByB.push(m));
      for (let i = 0; i < 20; i++) await a.publish('orders', `m${i}`);
      await waitFor(() => seenByA.length === 20 && seenByB.length === 20);
      const expected = Array.from({ length: 20 }, (_, i) => `m${i}`);
      assert.deepEqual(seenByA, expected);
      assert.deepEqual(seenByB, expected);
      await offA();
      await offB();
    });

    it('keeps channels apart and carries any text', async () => {
      const seen: string[] = [];
      const off = await b.subscribe('one', (m) => seen.push(m));
      await a.publish('two', 'not for one');
      const text = JSON.stringify({ unicode: 'ünïcødé ✓ 🎮', quote: '"\'' });
      await a.publish('one', text);
      await waitFor(() => seen.length === 1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(seen, [text]);
      await off();
    });

    it('stops delivering after unsubscribe, without affecting other subscriptions', async () => {
      const first: string[] = [];
      const second: string[] = [];
      const offFirst = await b.subscribe('shared', (m) => first.push(m));
      const offSecond = await b.subscribe('shared', (m) => second.push(m));
      await a.publish('shared', 'both');
      await waitFor(() => first.length === 1 && second.length === 1);
      await offFirst();
      await a.publish('shared', 'only second');
      await waitFor(() => second.length === 2);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(first, ['both']);
      assert.deepEqual(second, ['both', 'only second']);
      await offSecond();
    });
  });
}
