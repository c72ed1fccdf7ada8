import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuthHooks } from '../auth/auth-hooks.js';
import { AppError } from '../errors.js';
import { ADMIN_SECURITY } from '../http/api-docs.js';
import { errorResponses, ok } from '../http/envelope.js';
import type { BoardCatalogue } from './board-catalogue.js';
import { periodJson } from './board-json.js';
import type { BoardModeration } from './board-moderation.js';
import type { BoardReads } from './board-reads.js';
import { BoardData, BoardParams, BoardUserParams, DeletedBoardData, PeriodQuery, RemovedEntryData } from './board-schemas.js';

export interface BoardAdminRoutesOptions {
  auth: AuthHooks;
  catalogue: BoardCatalogue;
  reads: BoardReads;
  moderation: BoardModeration;
}

// The definition is checked by the catalogue (every problem named by field), not by the schema.
const Definition = Type.Unknown({ description: 'A board definition (DESIGN section 11)' });

/** The admin routes of DESIGN section 11: board definitions and removing one entry. */
export const boardAdminRoutes: FastifyPluginAsyncTypebox<BoardAdminRoutesOptions> = async (app, options) => {
  const { auth, catalogue, reads, moderation } = options;
  const admin = { tags: ['admin'], security: ADMIN_SECURITY };

  app.post(
    '/api/v1/admin/boards',
    { schema: { ...admin, summary: 'Create a board', body: Definition, response: { 201: ok(BoardData), ...errorResponses } }, onRequest: auth.requireAdmin },
    async (request, reply) => {
      const board = await catalogue.create(request.body);
      return reply.code(201).send({ success: true as const, data: await reads.describe(board) });
    },
  );

  app.patch(
    '/api/v1/admin/boards/:boardId',
    { schema: { ...admin, summary: 'Change a board (title, metadata, actions, score range, dates, keepPeriods)', params: BoardParams, body: Definition, response: { 200: ok(BoardData), ...errorResponses } }, onRequest: auth.requireAdmin },
    async (request) => ({ success: true as const, data: await reads.describe(await catalogue.update(request.params.boardId, request.body)) }),
  );

  app.delete(
    '/api/v1/admin/boards/:boardId',
    { schema: { ...admin, summary: 'Delete a board with its periods and entries', params: BoardParams, response: { 200: ok(DeletedBoardData), ...errorResponses } }, onRequest: auth.requireAdmin },
    async (request) => {
      await catalogue.delete(request.params.boardId);
      return { success: true as const, data: { boardId: request.params.boardId, deleted: true as const } };
    },
  );

  app.delete(
    '/api/v1/admin/boards/:boardId/entries/:userId',
    { schema: { ...admin, summary: "Remove one player's entry in one period", params: BoardUserParams, querystring: PeriodQuery, response: { 200: ok(RemovedEntryData), ...errorResponses } }, onRequest: auth.requireAdmin },
    async (request) => {
      const { boardId, userId } = request.params;
      const { board, period } = reads.locate(boardId, request.query.period);
      if (!(await moderation.removeEntry(board, period, userId))) {
        throw new AppError('USER_NOT_FOUND', `"${userId.slice(0, 64)}" has no entry on board "${board.id}" in period ${period.id}`);
      }
      return { success: true as const, data: { boardId: board.id, period: periodJson(period), userId, removed: true as const } };
    },
  );
};
