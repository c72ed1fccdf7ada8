import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';

/** What an admin route accepts: a token with the admin role, or a game-server key with the admin scope. */
export const ADMIN_SECURITY: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { apiKeyAuth: [] }];

/** `GET /docs`: the OpenAPI document and its browsable UI, from the schemas that validate requests. */
export async function registerApiDocs(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Scoreboard API',
        version: '1',
        description:
          'Signed score updates, a live leaderboard and ranks. `/api/v1` is canonical; the routes tagged ' +
          '"compatibility" serve the Score Management API over the same services.',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          apiKeyAuth: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'A game-server key: `ApiKey sbk_…` (README "Game-server keys")' },
        },
      },
      tags: [
        { name: 'scores', description: 'The write path and player lookups' },
        { name: 'leaderboard', description: 'Reading the global board' },
        { name: 'boards', description: 'Every board: definitions, periods, entries, ranks and direct submissions' },
        { name: 'admin', description: 'Needs a token with the admin role, or a game-server key with the admin scope' },
        { name: 'game servers', description: 'An authoritative game server submitting scores for its players with a key (Authorization: ApiKey)' },
        { name: 'compatibility (Score Management API)', description: 'Compatibility surface of the second specification, over the same services' },
        { name: 'operations', description: 'Health and metrics' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
}
