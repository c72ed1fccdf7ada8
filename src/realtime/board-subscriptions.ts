import type { FastifyBaseLogger } from 'fastify';
import type { BoardCatalogue } from '../boards/board-catalogue.js';
import { boardNotFound } from '../boards/board-catalogue.js';
import type { ErrorCode } from '../errors.js';
import type { BoardBroadcasts } from './board-broadcasts.js';
import type { LiveSocket } from './live-server.js';
import { boardOfRoom, rooms, type AckError, type BoardSubscribeAck, type BoardUnsubscribeAck, type BoardUpdatePayload } from './realtime-events.js';
import { emitToSocket } from './socket-emit.js';

/** Boards one socket may hold at once; one more is answered RATE_LIMIT_EXCEEDED. */
export const MAX_BOARDS_PER_SOCKET = 50;

/** Longest board id a payload may name (ids are at most 64 characters). */
const BOARD_ID_MAX_LENGTH = 64;

export interface BoardSubscriptionsOptions {
  catalogue: Pick<BoardCatalogue, 'get'>;
  broadcasts: Pick<BoardBroadcasts, 'open' | 'snapshot' | 'announce' | 'watchRanks'>;
  /** LEADERBOARD_PUBLIC: when false, anonymous sockets may not subscribe. */
  leaderboardPublic: boolean;
  log: FastifyBaseLogger;
}

const ackError = (code: ErrorCode, message: string): { ok: false; error: AckError } => ({ ok: false, error: { code, message } });

/** The `boardId` of a `{boardId}` payload, or why it is not one. */
function boardIdOf(payload: unknown): { boardId: string } | { problem: string } {
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return { problem: 'The payload must be an object {boardId}' };
  const extra = Object.keys(payload).filter((key) => key !== 'boardId');
  if (extra.length > 0) return { problem: `Unknown property ${JSON.stringify(extra[0]!.slice(0, 64))}: the payload is {boardId}` };
  const { boardId } = payload as { boardId?: unknown };
  if (typeof boardId !== 'string' || boardId.length === 0 || boardId.length > BOARD_ID_MAX_LENGTH) return { problem: 'boardId must be a board id (a string of 1 to 64 characters)' };
  return { boardId };
}

/**
 * `board:subscribe` and `board:unsubscribe` on one socket (DESIGN section 11, Live): one room per
 * board; a first subscription acks with the period and sends the board's snapshot at once, then its
 * broadcasts follow. At most MAX_BOARDS_PER_SOCKET boards held, counting those still being joined.
 */
export function handleBoardSubscriptions(socket: LiveSocket, options: BoardSubscriptionsOptions): void {
  // Boards being joined (their ack pending): they count against the cap, and a repeat waits for them.
  const joining = new Map<string, Promise<BoardUpdatePayload>>();
  const heldCount = () => {
    let count = joining.size;
    for (const room of socket.rooms) {
      const boardId = boardOfRoom(room);
      if (boardId !== null && !joining.has(boardId)) count += 1;
    }
    return count;
  };
  socket.on('board:subscribe', (payload, ack) => {
    const reply: BoardSubscribeAck = typeof ack === 'function' ? ack : () => undefined;
    const parsed = boardIdOf(payload);
    if ('problem' in parsed) return reply(ackError('INVALID_REQUEST', parsed.problem));
    const { boardId } = parsed;
    if (!options.leaderboardPublic && socket.data.userId === null) return reply(ackError('UNAUTHORIZED', 'Boards are private: authenticate first'));
    if (!options.catalogue.get(boardId)) return reply(ackError('BOARD_NOT_FOUND', boardNotFound(boardId).message));
    const pending = joining.get(boardId);
    // Already held, or being joined: a no-op, acked with the period its updates carry.
    if (pending) return void pending.then((snapshot) => reply({ ok: true, boardId, period: snapshot.period }), () => reply(unavailable()));
    const held = socket.rooms.has(rooms.board(boardId)) ? options.broadcasts.snapshot(boardId) : null;
    if (held) return reply({ ok: true, boardId, period: held.period });
    if (heldCount() >= MAX_BOARDS_PER_SOCKET) {
      return reply(ackError('RATE_LIMIT_EXCEEDED', `A socket may hold at most ${MAX_BOARDS_PER_SOCKET} boards at once; unsubscribe from one first`));
    }
    const joined = subscribe(socket, boardId, options);
    joining.set(boardId, joined);
    joined.then(
      (snapshot) => {
        joining.delete(boardId);
        reply({ ok: true, boardId, period: snapshot.period });
        // Taken out of the room meanwhile (the board was deleted): nothing follows.
        if (socket.rooms.has(rooms.board(boardId))) emitToSocket(socket, 'board:update', snapshot);
      },
      (error: unknown) => {
        joining.delete(boardId);
        void socket.leave(rooms.board(boardId));
        options.log.warn({ err: error, board: boardId }, 'board subscription failed');
        reply(unavailable());
      },
    );
  });
  socket.on('board:unsubscribe', (payload, ack) => {
    const reply: BoardUnsubscribeAck = typeof ack === 'function' ? ack : () => undefined;
    const parsed = boardIdOf(payload);
    if ('problem' in parsed) return reply(ackError('INVALID_REQUEST', parsed.problem));
    const room = rooms.board(parsed.boardId);
    // After a join in flight, so that it cannot put the socket back in the room.
    const pending = joining.get(parsed.boardId)?.catch(() => undefined) ?? Promise.resolve();
    void pending.then(() => socket.leave(room)).then(() => reply({ ok: true }));
  });
}

const unavailable = () => ackError('SERVICE_UNAVAILABLE', 'The board cannot be followed right now; retry');

/** Joins the board's room (its broadcast opened first, other instances told), and returns the snapshot to send. */
async function subscribe(socket: LiveSocket, boardId: string, options: BoardSubscriptionsOptions): Promise<BoardUpdatePayload> {
  const board = options.catalogue.get(boardId);
  if (!board) throw new Error(`board ${boardId} went away`);
  await options.broadcasts.open(board);
  const room = rooms.board(boardId);
  const first = !socket.nsp.adapter.rooms.has(room);
  await socket.join(room);
  // Again: a sweep may have dropped the broadcast while the room was still empty.
  await options.broadcasts.open(board);
  // Before the ack: a write on another instance right after it must find that instance broadcasting.
  if (first) await options.broadcasts.announce(boardId);
  if (socket.data.userId !== null) options.broadcasts.watchRanks(boardId);
  const snapshot = options.broadcasts.snapshot(boardId);
  if (!snapshot) throw new Error(`board ${boardId} has no broadcast`);
  return snapshot;
}

/** A socket that signs in after subscribing: its boards now watch its player's rank too. */
export function watchRanksOfHeldBoards(socket: LiveSocket, options: Pick<BoardSubscriptionsOptions, 'broadcasts'>): void {
  for (const room of socket.rooms) {
    const boardId = boardOfRoom(room);
    if (boardId !== null) options.broadcasts.watchRanks(boardId);
  }
}

/** A recovered socket kept its board rooms: each board's snapshot resynchronises it. */
export async function resyncBoards(socket: LiveSocket, options: BoardSubscriptionsOptions): Promise<void> {
  for (const room of [...socket.rooms]) {
    const boardId = boardOfRoom(room);
    const board = boardId === null ? undefined : options.catalogue.get(boardId);
    if (!board) continue;
    await options.broadcasts.open(board);
    if (socket.data.userId !== null) options.broadcasts.watchRanks(board.id);
    const snapshot = options.broadcasts.snapshot(board.id);
    if (snapshot) emitToSocket(socket, 'board:update', snapshot);
  }
}
