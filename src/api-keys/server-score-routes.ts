import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { AuthHooks } from '../auth/auth-hooks.js';
import { principalOf } from '../auth/auth-hooks.js';
import type { Principal } from '../auth/principal.js';
import { BoardParams, SubmissionData } from '../boards/board-schemas.js';
import type { BoardSubmissions } from '../boards/board-submissions.js';
import { errorResponses, ok } from '../http/envelope.js';
import { ScoreUpdateData } from '../scores/score-schemas.js';
import type { ScoreService } from '../scores/score-service.js';
import type { ApiKeyAuth } from './api-key-auth.js';
import { ServerScoreUpdateBody, ServerSubmissionBody } from './api-key-schemas.js';

export interface ServerScoreRoutesOptions {
  auth: AuthHooks;
  keyAuth: ApiKeyAuth;
  scores: ScoreService;
  submissions: BoardSubmissions;
  clientAddress(ip: string | undefined): string | null;
}

/** The player a game server names: a regular user, with no claims of their own to refresh. */
export function serverPlayer(userId: string): Principal {
  return { userId, username: null, email: null, roles: [], isAdmin: false };
}

/**
 * The score routes of an authoritative game server (`Authorization: ApiKey`, scope scores:write):
 * the client routes' bodies plus `userId` and without `clientSignature`, through the same services
 * and every check but the signature. Checks: key (401/403) → the key's limit (429) → body (400) →
 * the player's limits (429) → the rest as on the client route.
 */
export const serverScoreRoutes: FastifyPluginAsyncTypebox<ServerScoreRoutesOptions> = async (app, options) => {
  const { auth, keyAuth, scores, submissions } = options;
  const server = { tags: ['game servers'], security: [{ apiKeyAuth: [] }] };
  const onRequest = [keyAuth.requireScope('scores:write'), keyAuth.admit];
  // The player is known once the body is parsed; their limits count from there.
  const admitPlayer = async (request: FastifyRequest) => {
    request.principal = serverPlayer((request.body as { userId: string }).userId);
    await scores.admit(request.principal, null, { perAddress: false });
  };
  const context = (request: FastifyRequest) => ({
    ipAddress: options.clientAddress(request.ip),
    userAgent: request.headers['user-agent']?.slice(0, 512) ?? null,
    apiKeyId: request.apiKey!.id,
  });

  app.post(
    '/api/v1/server/scores/update',
    {
      schema: { ...server, summary: "Apply a player's score update as the game server", body: ServerScoreUpdateBody, response: { 200: ok(ScoreUpdateData), ...errorResponses } },
      config: { scoreUpdate: true },
      onRequest,
      preHandler: admitPlayer,
      onError: auth.provisionRefused,
    },
    async (request) => {
      const { userId: _player, ...update } = request.body;
      return { success: true as const, data: await scores.submit(principalOf(request), update, context(request)) };
    },
  );

  app.post(
    '/api/v1/server/boards/:boardId/scores',
    {
      schema: { ...server, summary: "Submit a player's score to a board as the game server", params: BoardParams, body: ServerSubmissionBody, response: { 200: ok(SubmissionData), ...errorResponses } },
      config: { scoreUpdate: true },
      onRequest,
      preHandler: admitPlayer,
      onError: auth.provisionRefused,
    },
    async (request) => {
      const { userId: _player, ...submission } = request.body;
      return { success: true as const, data: await submissions.submit(principalOf(request), request.params.boardId, submission, context(request)) };
    },
  );
};
