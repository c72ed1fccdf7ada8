import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuthHooks } from '../auth/auth-hooks.js';
import { AppError } from '../errors.js';
import { ADMIN_SECURITY } from '../http/api-docs.js';
import { errorResponses, ok } from '../http/envelope.js';
import type { ApiKeyRecord } from './api-key.js';
import { ApiKeyData, ApiKeyParams, ApiKeysData, CreateApiKeyBody, CreatedApiKeyData } from './api-key-schemas.js';
import type { ApiKeyService } from './api-key-service.js';

export interface ApiKeyAdminRoutesOptions {
  auth: AuthHooks;
  keys: ApiKeyService;
}

/** A key as listed: never the key, never its hash. */
function listed(record: ApiKeyRecord) {
  return {
    id: record.id,
    name: record.name,
    scopes: record.scopes,
    createdAt: record.createdAt.toISOString(),
    lastUsedAt: record.lastUsedAt?.toISOString() ?? null,
    revokedAt: record.revokedAt?.toISOString() ?? null,
  };
}

/** Creating, listing and revoking game-server keys (an admin token, or a key with the admin scope). */
export const apiKeyAdminRoutes: FastifyPluginAsyncTypebox<ApiKeyAdminRoutesOptions> = async (app, options) => {
  const { auth, keys } = options;
  const admin = { tags: ['admin'], security: ADMIN_SECURITY };

  app.post(
    '/api/v1/admin/api-keys',
    {
      schema: { ...admin, summary: 'Create a game-server key (the key is in this answer only)', body: CreateApiKeyBody, response: { 201: ok(CreatedApiKeyData), ...errorResponses } },
      onRequest: auth.requireAdmin,
    },
    async (request, reply) => {
      const name = request.body.name.trim();
      if (name === '') {
        throw new AppError('INVALID_REQUEST', 'name must not be blank', { details: { part: 'body', fields: [{ field: 'name', message: 'must not be blank' }] } });
      }
      const { record, key } = await keys.create(name, request.body.scopes);
      request.log.warn({ apiKeyId: record.id, scopes: record.scopes, by: request.principal?.userId }, 'api key created');
      reply.code(201);
      return { success: true as const, data: { id: record.id, name: record.name, scopes: record.scopes, key, createdAt: record.createdAt.toISOString() } };
    },
  );

  app.get(
    '/api/v1/admin/api-keys',
    { schema: { ...admin, summary: 'Every game-server key, revoked ones included, newest first', response: { 200: ok(ApiKeysData), ...errorResponses } }, onRequest: auth.requireAdmin },
    async () => ({ success: true as const, data: { keys: (await keys.list()).map(listed) } }),
  );

  app.delete(
    '/api/v1/admin/api-keys/:id',
    {
      schema: { ...admin, summary: 'Revoke a game-server key, at once on every instance', params: ApiKeyParams, response: { 200: ok(ApiKeyData), ...errorResponses } },
      onRequest: auth.requireAdmin,
    },
    async (request) => {
      const record = await keys.revoke(request.params.id);
      if (!record) throw new AppError('NOT_FOUND', `API key ${request.params.id} not found`);
      request.log.warn({ apiKeyId: record.id, by: request.principal?.userId }, 'api key revoked');
      return { success: true as const, data: listed(record) };
    },
  );
};
