/*
 * A child process of the bench that holds N Socket.IO connections (its own process, so that it can
 * have its own open-file limit and so that parsing N copies of every broadcast does not slow the
 * update generator's clock). Driven over IPC by bench/lib/swarm.ts.
 */
import { io, type Socket } from 'socket.io-client';

export type SwarmCommand =
  /** With `tokens`, socket i signs in with tokens[i] in its handshake. */
  | { type: 'connect'; url: string; count: number; concurrency: number; timeoutMs: number; tokens?: string[] }
  | { type: 'record'; on: boolean }
  | { type: 'report' }
  | { type: 'close' };

export interface SeqRecord {
  seq: number;
  /** The broadcast's `timestamp` (server clock, epoch ms): when the server sent it. */
  sentAt: number;
  /** [userId, score] of the top 10 this broadcast carried. */
  top: Array<[string, number]>;
  /** Wall-clock arrival times (epoch ms, sub-millisecond), one per socket that received it. */
  arrivals: Float64Array;
}

export type SwarmReply =
  | { type: 'connected'; ok: number; failed: number; errors: string[]; ms: number }
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
const bySeq = new Map<number, { sentAt: number; top: Array<[string, number]>; arrivals: number[] }>();

function reply(message: SwarmReply): void {
  process.send?.(message);
}

function onUpdate(payload: { leaderboard: LiveEntry[]; seq: number; timestamp: string }): void {
  if (!recording) return;
  const at = performance.timeOrigin + performance.now();
  received += 1;
  let record = bySeq.get(payload.seq);
  if (!record) {
    record = { sentAt: Date.parse(payload.timestamp), top: payload.leaderboard.map((entry) => [entry.userId, entry.score] as [string, number]), arrivals: [] };
    bySeq.set(payload.seq, record);
  }
  record.arrivals.push(at);
}

async function connectAll(command: Extract<SwarmCommand, { type: 'connect' }>): Promise<void> {
  const started = performance.now();
  let next = 0;
  let ok = 0;
  let failed = 0;
  const errors: string[] = [];
  const connectOne = (index: number) =>
    new Promise<void>((resolve) => {
      const token = command.tokens?.[index];
      const socket = io(command.url, {
        ...(token ? { auth: { token } } : {}),
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
        timeout: command.timeoutMs,
      });
      socket.on('leaderboard:update', onUpdate);
      socket.on('rank:changed', () => {
        if (recording) rankChanges += 1;
      });
      socket.once('connect', () => {
        ok += 1;
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
  reply({ type: 'connected', ok, failed, errors, ms: performance.now() - started });
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
      const seqs: SeqRecord[] = [...bySeq.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([seq, record]) => ({ seq, sentAt: record.sentAt, top: record.top, arrivals: Float64Array.from(record.arrivals) }));
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
