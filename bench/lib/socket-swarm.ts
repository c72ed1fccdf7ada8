/*
 * A child process of the bench that holds N Socket.IO connections (its own process, so that it can
 * have its own open-file limit and so that parsing N copies of every broadcast does not slow the
 * update generator's clock). Driven over IPC by bench/lib/swarm.ts.
 */
import { io, type Socket } from 'socket.io-client';

export type SwarmCommand =
  /**
   * With `tokens`, socket i signs in with tokens[i] in its handshake; with `boards`, socket i
   * subscribes to boards[i % boards.length] (board:subscribe) instead of watching `global`.
   */
  | { type: 'connect'; url: string; count: number; concurrency: number; timeoutMs: number; tokens?: string[]; boards?: string[] }
  | { type: 'record'; on: boolean }
  | { type: 'report' }
  | { type: 'close' };

export interface SeqRecord {
  /** The board of a board:update; absent for leaderboard:update (global). */
  boardId?: string;
  seq: number;
  /** The broadcast's `timestamp` (server clock, epoch ms): when the server sent it. */
  sentAt: number;
  /** [userId, score] of the top 10 this broadcast carried. */
  top: Array<[string, number]>;
  /** Wall-clock arrival times (epoch ms, sub-millisecond), one per socket that received it. */
  arrivals: Float64Array;
}

export type SwarmReply =
  | { type: 'connected'; ok: number; failed: number; errors: string[]; ms: number; subscribers?: Record<string, number> }
  | { type: 'report'; seqs: SeqRecord[]; disconnects: number; received: number; rankChanges: number }
  | { type: 'closed' }
  | { type: 'error'; message: string };

interface LiveEntry {
  userId: string;
  score: number;
}

const sockets: Socket[] = [];
let recording = false;
let closing = false;
let disconnects = 0;
let received = 0;
let rankChanges = 0;
/** Keyed `boardId#seq` for board:update, the seq alone for leaderboard:update. */
const bySeq = new Map<string, { boardId?: string; seq: number; sentAt: number; top: Array<[string, number]>; arrivals: number[] }>();

function reply(message: SwarmReply): void {
  process.send?.(message);
}

function onUpdate(payload: { boardId?: string; leaderboard: LiveEntry[]; seq: number; timestamp: string }): void {
  if (!recording) return;
  const at = performance.timeOrigin + performance.now();
  received += 1;
  const key = payload.boardId === undefined ? String(payload.seq) : `${payload.boardId}#${payload.seq}`;
  let record = bySeq.get(key);
  if (!record) {
    const top = payload.leaderboard.map((entry) => [entry.userId, entry.score] as [string, number]);
    record = { ...(payload.boardId === undefined ? {} : { boardId: payload.boardId }), seq: payload.seq, sentAt: Date.parse(payload.timestamp), top, arrivals: [] };
    bySeq.set(key, record);
  }
  record.arrivals.push(at);
}

/** Subscribes a connected socket to a board; resolves with whether the server acked ok. */
function subscribe(socket: Socket, boardId: string, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    socket.timeout(timeoutMs).emit('board:subscribe', { boardId }, (error: Error | null, ack?: { ok: boolean; error?: { code: string } }) => {
      if (error) resolve(`board:subscribe ${boardId}: ${error.message}`);
      else resolve(ack?.ok ? null : `board:subscribe ${boardId}: ${ack?.error?.code ?? 'refused'}`);
    });
  });
}

async function connectAll(command: Extract<SwarmCommand, { type: 'connect' }>): Promise<void> {
  const started = performance.now();
  let next = 0;
  let ok = 0;
  let failed = 0;
  const errors: string[] = [];
  const subscribers: Record<string, number> = {};
  const connectOne = (index: number) =>
    new Promise<void>((resolve) => {
      const token = command.tokens?.[index];
      const boardId = command.boards?.[index % command.boards.length];
      const socket = io(command.url, {
        ...(token ? { auth: { token } } : {}),
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
        timeout: command.timeoutMs,
      });
      // A socket on a board follows that board only (every socket gets global's leaderboard:update).
      socket.on(boardId === undefined ? 'leaderboard:update' : 'board:update', onUpdate);
      socket.on('rank:changed', () => {
        if (recording) rankChanges += 1;
      });
      socket.once('connect', async () => {
        const refused = boardId === undefined ? null : await subscribe(socket, boardId, command.timeoutMs);
        if (refused) {
          failed += 1;
          if (errors.length < 5) errors.push(refused);
          socket.close();
          return resolve();
        }
        ok += 1;
        if (boardId !== undefined) subscribers[boardId] = (subscribers[boardId] ?? 0) + 1;
        sockets.push(socket);
        socket.on('disconnect', () => {
          if (!closing) disconnects += 1;
        });
        resolve();
      });
      socket.once('connect_error', (error: Error) => {
        failed += 1;
        if (errors.length < 5) errors.push(error.message);
        socket.close();
        resolve();
      });
    });
  const worker = async () => {
    while (next < command.count) {
      next += 1;
      await connectOne(next - 1);
    }
  };
  await Promise.all(Array.from({ length: Math.min(command.concurrency, command.count) }, worker));
  reply({ type: 'connected', ok, failed, errors, ms: performance.now() - started, ...(command.boards ? { subscribers } : {}) });
}

process.on('message', (command: SwarmCommand) => {
  switch (command.type) {
    case 'connect':
      connectAll(command).catch((error: unknown) => reply({ type: 'error', message: String(error) }));
      return;
    case 'record':
      recording = command.on;
      return;
    case 'report': {
      const seqs: SeqRecord[] = [...bySeq.values()]
        .sort((a, b) => a.sentAt - b.sentAt || a.seq - b.seq)
        .map((record) => ({ ...record, arrivals: Float64Array.from(record.arrivals) }));
      reply({ type: 'report', seqs, disconnects, received, rankChanges });
      bySeq.clear();
      received = 0;
      rankChanges = 0;
      return;
    }
    case 'close':
      closing = true;
      for (const socket of sockets.splice(0)) socket.disconnect();
      // Let the close frames go out before answering.
      setTimeout(() => reply({ type: 'closed' }), 500);
      return;
  }
});

process.on('disconnect', () => process.exit(0));
