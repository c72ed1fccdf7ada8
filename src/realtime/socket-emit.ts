import type { LiveSocket } from './live-server.js';
import type { ServerToClientEvents } from './realtime-events.js';

/**
 * Sends an event to one socket now, in order with the local room broadcasts around it. With
 * connection-state recovery on, Socket.IO sends a plain `socket.emit` through the adapter, as a
 * broadcast to the socket's own room; the Redis adapter first stores it in its stream and only
 * then delivers it, a Redis round trip later. A snapshot sent that way could reach the client after
 * a newer broadcast sent just after it (a live top going back in time). Sent locally it keeps its
 * place, but carries no recovery offset (see `emitThroughAdapter`).
 */
export function emitToSocket<E extends keyof ServerToClientEvents>(socket: LiveSocket, event: E, ...args: Parameters<ServerToClientEvents[E]>): void {
  socket.nsp.local.to(socket.id).emit(event, ...args);
}

/** The Socket.IO protocol's EVENT packet type (2). */
const EVENT_PACKET = 2;

/**
 * `socket.emit`, resolved once the adapter has delivered it: with the Redis adapter, after it was
 * stored in the stream, so the packet carries the offset a dropped connection is recovered from.
 */
export async function emitThroughAdapter<E extends keyof ServerToClientEvents>(socket: LiveSocket, event: E, ...args: Parameters<ServerToClientEvents[E]>): Promise<void> {
  const packet = { type: EVENT_PACKET, data: [event, ...args], nsp: socket.nsp.name };
  await socket.nsp.adapter.broadcast(packet, { rooms: new Set([socket.id]), except: new Set(), flags: {} });
}
