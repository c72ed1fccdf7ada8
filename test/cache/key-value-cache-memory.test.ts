import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryKeyValueCache } from '../../src/cache/key-value-cache-memory.js';
import { keyValueCacheContract } from '../contracts/key-value-cache-contract.js';

/** A clock the test moves by hand. */
function manualClock(startMs = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let nowMs = startMs;
  return { now: () => nowMs, advance: (ms) => void (nowMs += ms) };
}

keyValueCacheContract('memory', async () => {
  const clock = manualClock();
  return {
    cache: new MemoryKeyValueCache({ now: clock.now }),
    cleanup: async () => {},
    advanceTime: async (ms) => clock.advance(ms),
  };
});

describe('MemoryKeyValueCache', () => {
  it('evicts the least recently written or read entries beyond maxEntries', async () => {
    const cache = new MemoryKeyValueCache({ maxEntries: 3 });
    await cache.set('a', '1', 60);
    await cache.set('b', '2', 60);
    await cache.set('c', '3', 60);
    assert.equal(await cache.get('a'), '1'); // a is now the most recently used; b the least
    await cache.set('d', '4', 60);
    assert.equal(cache.size, 3);
    assert.deepEqual(await cache.getMany(['a', 'b', 'c', 'd']), ['1', null, '3', '4']);
    await cache.set('c', '3bis', 60); // an overwrite does not evict and makes c recent
    await cache.set('e', '5', 60);
    assert.deepEqual(await cache.getMany(['a', 'c', 'd', 'e']), [null, '3bis', '4', '5']);
  });

  it('reclaims expired entries that are never read again', async () => {
    const clock = manualClock();
    const cache = new MemoryKeyValueCache({ now: clock.now });
    for (let i = 0; i < 100; i++) await cache.set(`old-${i}`, 'x', 1);
    clock.advance(1000);
    for (let i = 0; i < 10; i++) await cache.set('fresh', String(i), 60);
    assert.equal(cache.size, 1);
    assert.equal(await cache.get('fresh'), '9');
  });

  it('drops an expired entry when it is read', async () => {
    const clock = manualClock();
    const cache = new MemoryKeyValueCache({ now: clock.now });
    await cache.set('a', 'x', 2);
    clock.advance(1999);
    assert.equal(await cache.get('a'), 'x');
    clock.advance(1);
    assert.equal(await cache.get('a'), null);
    assert.equal(cache.size, 0);
  });

  it('refuses a maxEntries that is not a positive integer', () => {
    assert.throws(() => new MemoryKeyValueCache({ maxEntries: 0 }), RangeError);
    assert.throws(() => new MemoryKeyValueCache({ maxEntries: 2.5 }), RangeError);
  });
});
