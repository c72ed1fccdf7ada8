import { io as connect, type Socket } from 'socket.io-client';

/** Every event a client socket received, in order, with helpers to wait for one. */
export interface RecordingSocket {
  socket: Socket;
  events: { name: string; payload: any }[];
  /** Resolves with the first event (received from now on, or already) matching. */
  next(name: string, predicate?: (payload: any) => boolean, timeoutMs?: number): Promise<any>;
  names(): string[];
  close(): void;
}

export function openSocket(url: string, auth: Record<string, unknown> = {}, options: { reconnection?: boolean } = {}): RecordingSocket {
  const socket = connect(url, { path: '/socket.io', auth, transports: ['websocket'], reconnection: options.reconnection ?? false, forceNew: true });
  const events: { name: string; payload: any }[] = [];
  const waiters = new Set<() => void>();
  socket.onAny((name: string, payload: unknown) => {
    events.push({ name, payload });
    for (const waiter of [...waiters]) waiter();
  });
  return {
    socket,
    events,
    names: () => events.map((event) => event.name),
    next(name, predicate = () => true, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find((event) => event.name === name && predicate(event.payload));
          if (!found) return false;
          waiters.delete(waiter);
          clearTimeout(timer);
          resolve(found.payload);
          return true;
        };
        const waiter = () => void check();
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no ${name} within ${timeoutMs} ms; got ${events.map((e) => e.name).join(', ') || 'nothing'}`));
        }, timeoutMs);
        if (!check()) waiters.add(waiter);
      });
    },
    close: () => socket.close(),
  };
}

/** Resolves once connected, rejects with the connect_error message. */
export function connected(recording: RecordingSocket, timeoutMs = 5000): Promise<void> {
  const { socket } = recording;
  if (socket.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('connect timed out')), timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once('connect_error', (error: Error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
