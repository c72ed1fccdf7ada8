import type { FastifyBaseLogger } from 'fastify';
import type { PubSub } from '../cache/pub-sub.js';
import { AppError } from '../errors.js';
import {
  apiKeyId,
  dueForLastUsed,
  generateApiKey,
  LAST_USED_INTERVAL_MS,
  matchesHash,
  normalizeScopes,
  type ApiKeyRecord,
  type ApiKeyScope,
  type VerifiedApiKey,
} from './api-key.js';
import type { ApiKeyStore } from './api-key-store.js';

/** Tells every instance that a key was revoked (its id as the message). */
export const API_KEY_REVOKED_CHANNEL = 'api-keys:revoked';

export interface ApiKeyServiceOptions {
  store: Pick<ApiKeyStore, 'create' | 'list' | 'find' | 'revoke' | 'markUsed'>;
  pubsub: PubSub;
  log: FastifyBaseLogger;
  /**
   * How long a key read from SQL is trusted without reading it again. Revocation reaches other
   * instances through pub/sub at once; this bounds how long a lost message could keep a key alive.
   * @default 10000
   */
  cacheTtlMs?: number;
  /** Longest a revocation waits for its pub/sub message to come back (Redis away). @default 1000 */
  echoWaitMs?: number;
  /** Most keys (known and unknown ids) held in the cache. @default 10000 */
  maxCached?: number;
  now?: () => number;
}

interface CachedKey {
  record: Promise<ApiKeyRecord | null>;
  expiresAtMs: number;
}

const unknownKey = () => new AppError('UNAUTHORIZED', 'The API key is unknown or revoked');

/**
 * Game-server keys: created (the key shown once, its hash stored), listed, revoked on every
 * instance, and verified from a short in-process cache so that a use costs no SQL.
 */
export class ApiKeyService {
  private readonly cache = new Map<string, CachedKey>();
  /** Revocation is final: remembered for good, so no lookup in flight can bring a key back. */
  private readonly revoked = new Set<string>();
  private readonly lastUsedWrittenMs = new Map<string, number>();
  private readonly now: () => number;
  private unsubscribe: (() => Promise<void>) | null = null;
  /** Revocations this instance published, waiting for their own message to come back. */
  private readonly echoes = new Map<string, Set<() => void>>();

  constructor(private readonly options: ApiKeyServiceOptions) {
    this.now = options.now ?? Date.now;
  }

  async start(): Promise<void> {
    this.unsubscribe = await this.options.pubsub.subscribe(API_KEY_REVOKED_CHANNEL, (id) => {
      this.forgetRevoked(id);
      for (const echoed of this.echoes.get(id) ?? []) echoed();
    });
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** A new key; `key` is in this answer only. */
  async create(name: string, scopes: readonly ApiKeyScope[]): Promise<{ record: ApiKeyRecord; key: string }> {
    const { id, key, keyHash } = generateApiKey();
    const record = await this.options.store.create({ id, name, scopes: normalizeScopes(scopes), keyHash });
    return { record, key };
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.options.store.list();
  }

  /**
   * Revokes in SQL, then here, then on every other instance; null for an unknown id. Answers once
   * its own message has come back through pub/sub (or after `echoWaitMs`): by then every other
   * instance's subscription has been handed it too, so the revocation is in force when the admin hears of it.
   */
  async revoke(id: string): Promise<ApiKeyRecord | null> {
    const record = await this.options.store.revoke(id);
    if (!record) return null;
    this.forgetRevoked(id);
    const waiting = this.echoes.get(id) ?? new Set();
    this.echoes.set(id, waiting);
    let timer: NodeJS.Timeout | undefined;
    let resolveEcho = () => undefined as void;
    const echoed = new Promise<void>((resolve) => {
      resolveEcho = resolve;
      timer = setTimeout(resolve, this.options.echoWaitMs ?? 1000);
    });
    waiting.add(resolveEcho);
    try {
      await this.options.pubsub.publish(API_KEY_REVOKED_CHANNEL, id);
      await echoed;
    } finally {
      clearTimeout(timer);
      waiting.delete(resolveEcho);
      if (waiting.size === 0) this.echoes.delete(id);
    }
    return record;
  }

  /** The key's identity and scopes; 401 UNAUTHORIZED for a malformed, unknown or revoked key. */
  async verify(key: string): Promise<VerifiedApiKey> {
    const id = apiKeyId(key);
    if (!id) throw new AppError('UNAUTHORIZED', 'The Authorization header must be "ApiKey sbk_…" with a key this service issued');
    if (this.revoked.has(id)) throw unknownKey();
    const record = await this.lookup(id);
    if (!record || record.revokedAt || this.revoked.has(id) || !matchesHash(key, record.keyHash)) throw unknownKey();
    this.markUsed(id);
    return { id, name: record.name, scopes: record.scopes };
  }

  private lookup(id: string): Promise<ApiKeyRecord | null> {
    const nowMs = this.now();
    const cached = this.cache.get(id);
    if (cached && cached.expiresAtMs > nowMs) return cached.record;
    // Concurrent misses share one read; a failed read is not kept.
    const record = this.options.store.find(id);
    record.catch(() => this.cache.delete(id));
    this.cache.delete(id);
    this.cache.set(id, { record, expiresAtMs: nowMs + (this.options.cacheTtlMs ?? 10_000) });
    if (this.cache.size > (this.options.maxCached ?? 10_000)) this.cache.delete(this.cache.keys().next().value!);
    return record;
  }

  private forgetRevoked(id: string): void {
    this.revoked.add(id);
    this.cache.delete(id);
    this.lastUsedWrittenMs.delete(id);
  }

  /** At most once a minute per key and instance; the statement itself skips a write another instance just made. */
  private markUsed(id: string): void {
    const nowMs = this.now();
    if (!dueForLastUsed(this.lastUsedWrittenMs.get(id), nowMs)) return;
    this.lastUsedWrittenMs.set(id, nowMs);
    this.options.store
      .markUsed(id, LAST_USED_INTERVAL_MS / 1000)
      .catch((error: unknown) => this.options.log.warn({ err: error, apiKeyId: id }, 'marking an API key used failed'));
  }
}
