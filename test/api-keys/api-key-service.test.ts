import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import { apiKeyId, apiKeyOfHeader, dueForLastUsed, generateApiKey, hashApiKey, matchesHash, normalizeScopes, type ApiKeyRecord } from '../../src/api-keys/api-key.js';
import { ApiKeyService } from '../../src/api-keys/api-key-service.js';
import { MemoryPubSub } from '../../src/cache/pub-sub-memory.js';

const silent = { warn: () => undefined } as unknown as FastifyBaseLogger;

describe('game-server key rules', () => {
  it('makes high-entropy keys that name their id, and matches them only against their own hash', () => {
    const { id, key, keyHash } = generateApiKey();
    assert.match(key, /^sbk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    assert.equal(apiKeyId(key), id);
    assert.equal(keyHash, hashApiKey(key));
    assert.ok(matchesHash(key, keyHash));
    assert.ok(!matchesHash(`${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`, keyHash));
    assert.ok(!matchesHash(key, 'abcd'));
    assert.notEqual(generateApiKey().key, key);
    for (const bad of ['', 'sbk_', `sbk_${id}`, `sbk_${id.toUpperCase()}_${'A'.repeat(43)}`, `sbk_${id}_${'A'.repeat(42)}`, `xbk_${id}_${'A'.repeat(43)}`]) {
      assert.equal(apiKeyId(bad), null, bad);
    }
  });

  it('reads the ApiKey scheme only, and orders scopes', () => {
    assert.equal(apiKeyOfHeader('ApiKey sbk_x'), 'sbk_x');
    assert.equal(apiKeyOfHeader('apikey   sbk_x  '), 'sbk_x');
    assert.equal(apiKeyOfHeader('Bearer abc'), undefined);
    assert.equal(apiKeyOfHeader(undefined), undefined);
    assert.deepEqual(normalizeScopes(['admin', 'scores:write', 'admin']), ['scores:write', 'admin']);
  });

  it('marks a key used at most once a minute', () => {
    assert.ok(dueForLastUsed(undefined, 0));
    assert.ok(!dueForLastUsed(1000, 60_999));
    assert.ok(dueForLastUsed(1000, 61_000));
  });
});

/** A store in memory that counts its reads. */
function fakeStore() {
  const rows = new Map<string, ApiKeyRecord>();
  const calls = { find: 0, markUsed: 0 };
  return {
    rows,
    calls,
    async create(key: { id: string; name: string; scopes: readonly ApiKeyRecord['scopes'][number][]; keyHash: string }) {
      const record: ApiKeyRecord = { ...key, scopes: [...key.scopes], createdAt: new Date(), lastUsedAt: null, revokedAt: null };
      rows.set(key.id, record);
      return record;
    },
    async list() {
      return [...rows.values()];
    },
    async find(id: string) {
      calls.find++;
      const row = rows.get(id);
      return row ? { ...row } : null;
    },
    async revoke(id: string) {
      const row = rows.get(id);
      if (!row) return null;
      row.revokedAt ??= new Date();
      return { ...row };
    },
    async markUsed() {
      calls.markUsed++;
    },
  };
}

describe('ApiKeyService', () => {
  it('verifies from its cache: repeated uses cost one read and one last-used write', async () => {
    const store = fakeStore();
    let nowMs = 1_000_000;
    const keys = new ApiKeyService({ store, pubsub: new MemoryPubSub(), log: silent, now: () => nowMs });
    const { key } = await keys.create('server', ['scores:write']);
    await Promise.all(Array.from({ length: 20 }, () => keys.verify(key)));
    for (let i = 0; i < 20; i++) assert.deepEqual((await keys.verify(key)).scopes, ['scores:write']);
    assert.equal(store.calls.find, 1);
    assert.equal(store.calls.markUsed, 1);
    nowMs += 61_000;
    await keys.verify(key);
    assert.equal(store.calls.find, 2, 'read again after the cache lifetime');
    assert.equal(store.calls.markUsed, 2);
    await assert.rejects(keys.verify(`${key.slice(0, -2)}zz`), { code: 'UNAUTHORIZED' });
  });

  it('hears of a revocation on another instance through pub/sub and refuses the key from then on', async () => {
    const store = fakeStore();
    const pubsub = new MemoryPubSub();
    const a = new ApiKeyService({ store, pubsub, log: silent });
    const b = new ApiKeyService({ store, pubsub, log: silent, cacheTtlMs: 3_600_000 });
    await Promise.all([a.start(), b.start()]);
    const { record, key } = await a.create('server', ['scores:write']);
    await b.verify(key);
    // Revoked in the store behind B's back: B's cache alone would keep the key alive for an hour.
    await a.revoke(record.id);
    await new Promise((resolve) => setImmediate(resolve));
    await assert.rejects(b.verify(key), { code: 'UNAUTHORIZED' });
    await assert.rejects(a.verify(key), { code: 'UNAUTHORIZED' });
    await Promise.all([a.stop(), b.stop()]);
  });
});
