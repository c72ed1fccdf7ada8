import type { FastifyBaseLogger } from 'fastify';

/** What the check reads of a session: its queued packets and, on WebSocket, the socket's own buffer. */
interface SessionView {
  id: string;
  writeBuffer?: { data?: unknown }[];
  transport?: { name?: string; socket?: { bufferedAmount?: number; terminate?: () => void } };
  close(discard?: boolean): void;
}

export interface SlowReaderGuardOptions {
  /** The engine's open sessions by id. */
  sessions: () => Record<string, unknown>;
  maxBufferedBytes: number;
  /** @default 1000 */
  checkEveryMs?: number;
  log: FastifyBaseLogger;
  onDisconnect?: () => void;
}

function sizeOf(data: unknown): number {
  if (typeof data === 'string') return data.length;
  if (data && typeof data === 'object' && 'byteLength' in data) return Number((data as { byteLength: number }).byteLength);
  return 0;
}

/** Bytes a session has been given but not sent yet: queued packets plus the WebSocket's unsent frames. */
export function unsentBytes(session: SessionView): number {
  let bytes = session.transport?.socket?.bufferedAmount ?? 0;
  for (const packet of session.writeBuffer ?? []) bytes += sizeOf(packet.data);
  return bytes;
}

/**
 * Disconnects sessions whose unsent output stays above `maxBufferedBytes` on two checks in a row:
 * a client that stopped reading would otherwise hold every broadcast in this process's memory.
 * A WebSocket is cut at once (a closing handshake would wait behind the unsent output).
 */
export class SlowReaderGuard {
  private timer: NodeJS.Timeout | null = null;
  private overLastTime = new Set<string>();

  constructor(private readonly options: SlowReaderGuardOptions) {}

  start(): void {
    this.timer = setInterval(() => this.check(), this.options.checkEveryMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  check(): void {
    const over = new Set<string>();
    for (const value of Object.values(this.options.sessions())) {
      const session = value as SessionView;
      const bytes = unsentBytes(session);
      if (bytes <= this.options.maxBufferedBytes) continue;
      if (!this.overLastTime.has(session.id)) {
        over.add(session.id);
        continue;
      }
      this.options.log.warn({ sid: session.id, unsentBytes: bytes }, 'socket disconnected: the client stopped reading');
      this.options.onDisconnect?.();
      const socket = session.transport?.socket;
      if (session.transport?.name === 'websocket' && typeof socket?.terminate === 'function') socket.terminate();
      else session.close(true);
    }
    this.overLastTime = over;
  }
}
