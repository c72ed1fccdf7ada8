import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { AuthHooks } from '../auth/auth-hooks.js';
import { principalOf } from '../auth/auth-hooks.js';
import type { Principal } from '../auth/principal.js';
import { errorResponses, ok } from '../http/envelope.js';
import { sendWithEtag } from '../http/etag.js';
import type { BoardReads } from './board-reads.js';
import {
  AroundData,
  AroundQuery,
  BoardData,
  BoardParams,
  BoardsData,
  BoardUserParams,
  EntriesData,
  EntriesQuery,
  EntryData,
  PeriodQuery,
  PeriodsData,
  PeriodsQuery,
  SubmissionBody,
  SubmissionData,
} from './board-schemas.js';
import type { BoardSubmissions } from './board-submissions.js';

export interface BoardRoutesOptions {
  auth: AuthHooks;
  reads: BoardReads;
  submissions: BoardSubmissions;
  /** Counts the attempt against the rate limits shared with score updates (429 when over). */
  admit(principal: Principal, ipAddress: string | null): Promise<void>;
  clientAddress(ip: string | undefined): string | null;
  /** When false, reading boards needs a token. */
  leaderboardPublic: boolean;
}

const cached = { 200: { description: 'OK' }, 304: { type: 'null', description: 'Not modified (If-None-Match)' } } as const;

/** The board routes of DESIGN section 11 for players: reads, and direct submissions. */
export const boardRoutes: FastifyPluginAsyncTypebox<BoardRoutesOptions> = async (app, options) => {
  const { auth, reads, submissions } = options;
  const guard = options.leaderboardPublic ? auth.optionalUser : auth.requireUser;
  const read = { tags: ['boards'], ...(options.leaderboardPublic ? {} : { security: [{ bearerAuth: [] }] }) };

  app.get('/api/v1/boards', { schema: { ...read, summary: 'Every board', response: { 200: ok(BoardsData), ...errorResponses } }, onRequest: guard }, async () => ({
    success: true as const,
    data: await reads.list(),
  }));

  app.get(
    '/api/v1/boards/:boardId',
    { schema: { ...read, summary: 'One board, its current period and entry count', params: BoardParams, response: { 200: ok(BoardData), ...errorResponses } }, onRequest: guard },
    async (request) => ({ success: true as const, data: await reads.describe(reads.locate(request.params.boardId).board) }),
  );

  app.get(
    '/api/v1/boards/:boardId/entries',
    {
      schema: {
        ...read,
        summary: 'A page of a board in one period (cursor paging), or the entries of given players (repeat userId: a friends view)',
        params: BoardParams,
        querystring: EntriesQuery,
        response: { ...cached, 200: ok(EntriesData), ...errorResponses },
      },
      onRequest: guard,
    },
    async (request, reply) => {
      const { boardId } = request.params;
      const { query } = request;
      const data = query.userId ? await reads.friends(boardId, { ...query, userId: query.userId }) : await reads.entries(boardId, query);
      return sendWithEtag(request, reply, data);
    },
  );

  app.get(
    '/api/v1/boards/:boardId/entries/:userId',
    {
      schema: { ...read, summary: "A player's entry, rank and top percent", params: BoardUserParams, querystring: PeriodQuery, response: { ...cached, 200: ok(EntryData), ...errorResponses } },
      onRequest: guard,
    },
    async (request, reply) => sendWithEtag(request, reply, await reads.entry(request.params.boardId, request.params.userId, request.query.period)),
  );

  app.get(
    '/api/v1/boards/:boardId/entries/:userId/around',
    {
      schema: { ...read, summary: 'The entries around a player (around-me)', params: BoardUserParams, querystring: AroundQuery, response: { ...cached, 200: ok(AroundData), ...errorResponses } },
      onRequest: guard,
    },
    async (request, reply) => sendWithEtag(request, reply, await reads.around(request.params.boardId, request.params.userId, request.query)),
  );

  app.get(
    '/api/v1/boards/:boardId/periods',
    {
      schema: { ...read, summary: 'The current period, then every kept period with entries, newest first, each with its top 3', params: BoardParams, querystring: PeriodsQuery, response: { ...cached, 200: ok(PeriodsData), ...errorResponses } },
      onRequest: guard,
    },
    async (request, reply) => sendWithEtag(request, reply, await reads.periods(request.params.boardId, request.query)),
  );

  app.post(
    '/api/v1/boards/:boardId/scores',
    {
      schema: {
        tags: ['boards'],
        summary: 'Submit a signed score to a board that takes direct submissions',
        security: [{ bearerAuth: [] }],
        params: BoardParams,
        body: SubmissionBody,
        response: { 200: ok(SubmissionData), ...errorResponses },
      },
      config: { scoreUpdate: true },
      // Before the body and the board id are checked: every attempt counts against the shared limits.
      onRequest: [auth.requireScorer, async (request: FastifyRequest) => options.admit(principalOf(request), options.clientAddress(request.ip))],
      onError: auth.provisionRefused,
    },
    async (request) => {
      const data = await submissions.submit(principalOf(request), request.params.boardId, request.body, {
        ipAddress: options.clientAddress(request.ip),
        userAgent: request.headers['user-agent']?.slice(0, 512) ?? null,
      });
      return { success: true as const, data };
    },
  );
};
