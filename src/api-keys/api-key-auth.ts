import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal.js';
import { AppError, forbidden } from '../errors.js';
import type { Metrics } from '../metrics/metrics.js';
import type { RateLimiter } from '../integrity/rate-limiter.js';
import { apiKeyOfHeader, type ApiKeyScope, type VerifiedApiKey } from './api-key.js';
import type { ApiKeyService } from './api-key-service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set for requests authenticated with `Authorization: ApiKey <key>`. */
    apiKey?: VerifiedApiKey;
  }
}

export interface ApiKeyAuth {
  /** 401 unless the request carries a valid, unrevoked key; 403 NOT_ALLOWED unless it has `scope`. */
  requireScope(scope: ApiKeyScope): (request: FastifyRequest) => Promise<void>;
  /**
   * For the admin routes (the auth hooks' `requireAdmin`): false when the request carries no
   * `ApiKey` header (a JWT then decides); else the key must hold `admin`, and the request's principal
   * becomes the key acting as an admin.
   */
  admin(request: FastifyRequest): Promise<boolean>;
  /** Counts the attempt against the key's own limit (429 RATE_LIMIT_EXCEEDED with `scope: key`). */
  admit(request: FastifyRequest): Promise<void>;
}

/** The principal of a key with the admin scope: admin routes log who acted by it. */
export function keyAdminPrincipal(key: VerifiedApiKey): Principal {
  return { userId: `apikey:${key.id}`, username: key.name, email: null, roles: ['admin'], isAdmin: true };
}

export function createApiKeyAuth(options: { keys: ApiKeyService; limiter: RateLimiter; metrics?: Metrics }): ApiKeyAuth {
  async function authenticate(request: FastifyRequest, scope: ApiKeyScope): Promise<VerifiedApiKey> {
    const key = apiKeyOfHeader(request.headers.authorization);
    if (key === undefined) throw new AppError('UNAUTHORIZED', 'Authorization: ApiKey <key> is required (a game-server key)');
    const verified = await options.keys.verify(key);
    request.apiKey = verified;
    if (!verified.scopes.includes(scope)) throw forbidden('NOT_ALLOWED', `This needs an API key with the ${scope} scope`);
    return verified;
  }
  return {
    requireScope: (scope) => async (request) => {
      await authenticate(request, scope);
    },
    async admin(request) {
      if (apiKeyOfHeader(request.headers.authorization) === undefined) return false;
      request.principal = keyAdminPrincipal(await authenticate(request, 'admin'));
      return true;
    },
    async admit(request) {
      const key = request.apiKey;
      if (!key) throw new AppError('UNAUTHORIZED', 'Authorization: ApiKey <key> is required (a game-server key)');
      const result = await options.limiter.consume(key.id);
      if (result.allowed) return;
      // Only the refusal: an allowed attempt is counted once, by the player's limits after it.
      options.metrics?.fraudCheck('rate_limit', false);
      options.metrics?.rateLimited('key');
      throw new AppError('RATE_LIMIT_EXCEEDED', 'Too many requests with this API key; slow down (API_KEY_RATE_LIMIT_MAX_REQUESTS)', {
        details: { scope: 'key', retryAfterMs: result.retryAfterMs },
        retryAfterSec: Math.max(1, Math.ceil(result.retryAfterMs / 1000)),
      });
    },
  };
}
