import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KeyValueCache } from '../../src/cache/key-value-cache.js';

export interface KeyValueCacheHarness {
  cache: KeyValueCache;
  cleanup: () => Promise<void>;
  /** Moves the implementation's clock forward; without it the suite waits in real time. */
  advanceTime?: (ms: number) => Promise<void>;
}

/**
 * The behaviour every {@link KeyValueCache} must show. Each case gets a fresh cache from `factory`.
 * `options.skip` (a reason) skips the suite, e.g. when the backing service is not configured.
 */
export function keyValueCacheContract(
  name: string,
  factory: () => Promise<KeyValueCacheHarness>,
  options: { skip?: string | false } = {},
): void {
  async function withCache(run: (harness: KeyValueCacheHarness) => Promise<void>): Promise<void> {
    const harness = await factory();
    try {
      await run(harness);
    } finally {
      await harness.cleanup();
    }
  }

  describe(`KeyValueCache contract: ${name}`, { skip: options.skip ?? false }, () => {
    it('returns what was set', () =>
      withCache(async ({ cache }) => {
        await cache.set('a', 'one', 60);
        assert.equal(await cache.get('a'), 'one');
      }));

    it('returns null for a key never set', () =>
      withCache(async ({ cache }) => {
        await cache.set('present', 'x', 60);
        assert.equal(await cache.get('absent'), null);
      }));

    it('keeps the last value written', () =>
      withCache(async ({ cache }) => {
        await cache.set('a', 'one', 60);
        await cache.set('a', 'two', 60);
        assert.equal(await cache.get('a'), 'two');
      }));

    it('forgets a deleted key and leaves the others', () =>
      withCache(async ({ cache }) => {
        await cache.set('a', 'one', 60);
        await cache.set('b', 'two', 60);
        await cache.delete('a');
        assert.equal(await cache.get('a'), null);
        assert.equal(await cache.get('b'), 'two');
        await cache.delete('never-set');
      }));

    it('getMany answers in the order asked, with null for missing keys', () =>
      withCache(async ({ cache }) => {
        await cache.set('a', 'one', 60);
        await cache.set('c', 'three', 60);
        assert.deepEqual(await cache.getMany(['c', 'missing', 'a', 'c']), ['three', null, 'one', 'three']);
        assert.deepEqual(await cache.getMany([]), []);
      }));

    it('setMany and deleteMany write and forget many keys at once, with one expiry', () =>
      withCache(async ({ cache, advanceTime }) => {
        const wait = advanceTime ?? ((ms: number) => sleep(ms));
        await cache.set('b', 'old', 60);
        await cache.set('keep', 'kept', 60);
        await cache.setMany([{ key: 'a', value: 'one' }, { key: 'b', value: 'two \u00e9 "q"' }, { key: 'c', value: '' }], 1);
        await cache.setMany([], 60);
        assert.deepEqual(await cache.getMany(['a', 'b', 'c', 'keep']), ['one', 'two \u00e9 "q"', '', 'kept']);
        await cache.deleteMany(['a', 'never-set']);
        await cache.deleteMany([]);
        assert.deepEqual(await cache.getMany(['a', 'b']), [null, 'two \u00e9 "q"']);
        await assert.rejects(cache.setMany([{ key: 'x', value: 'y' }], 0), RangeError);
        await wait(1200);
        assert.deepEqual(await cache.getMany(['b', 'c', 'keep', 'x']), [null, null, 'kept', null]);
      }));

    it('expires a key after its TTL', () =>
      withCache(async ({ cache, advanceTime }) => {
        const wait = advanceTime ?? ((ms: number) => sleep(ms));
        await cache.set('short', 'gone soon', 1);
        await cache.set('long', 'stays', 60);
        await wait(500);
        assert.equal(await cache.get('short'), 'gone soon');
        await wait(700);
        assert.equal(await cache.get('short'), null);
        assert.deepEqual(await cache.getMany(['short', 'long']), [null, 'stays']);
      }));

    it('an overwrite restarts the TTL', () =>
      withCache(async ({ cache, advanceTime }) => {
        const wait = advanceTime ?? ((ms: number) => sleep(ms));
        await cache.set('a', 'short', 1);
        await cache.set('a', 'long', 60);
        await wait(1200);
        assert.equal(await cache.get('a'), 'long');
      }));

    it('refuses a TTL that is not a positive whole number of seconds', () =>
      withCache(async ({ cache }) => {
        await assert.rejects(cache.set('a', 'x', 0), RangeError);
        await assert.rejects(cache.set('a', 'x', 1.5), RangeError);
        assert.equal(await cache.get('a'), null);
      }));

    it('stores unicode and JSON values byte for byte', () =>
      withCache(async ({ cache }) => {
        const unicode = 'Zoë 🏆 排行榜 \u0000 end';
        const json = JSON.stringify({ userId: 'ü-1', newScore: 9007199254740991, nested: { quote: '"', list: [1, null] } });
        await cache.set('unicode', unicode, 60);
        await cache.set('json', json, 60);
        await cache.set('empty', '', 60);
        await cache.set('clé 🔑', 'keyed by unicode', 60);
        assert.equal(await cache.get('unicode'), unicode);
        assert.deepEqual(JSON.parse((await cache.get('json')) ?? 'null'), JSON.parse(json));
        assert.equal(await cache.get('empty'), '');
        assert.deepEqual(await cache.getMany(['clé 🔑', 'json']), ['keyed by unicode', json]);
      }));
  });
}
