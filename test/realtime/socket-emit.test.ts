// A snapshot sent to one socket keeps its place among the room broadcasts sent after it, in both
// modes. In production the Redis adapter stores a plain `socket.emit` in its stream before delivering
// it (connection-state recovery), so a broadcast sent right after it overtook it: the erasure test
// once saw the live top go back to a snapshot older than the broadcast it had just shown.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LiveSocket } from '../../src/realtime/live-server.js';
import { emitToSocket } from '../../src/realtime/socket-emit.js';
import { createTestApp, MODES, type TestApp } from '../helpers/app.js';
import { connected, openSocket } from '../helpers/sockets.js';

for (const { mode, skip } of MODES) {
  describe(`one socket's events in order with the broadcasts (${mode})`, { skip }, () => {
    let t: TestApp;
    let url: string;
    before(async () => {
      t = await createTestApp(mode);
      url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    });
    after(() => t.close());

    it('a snapshot sent to a socket arrives before a broadcast sent after it', async () => {
      const io = t.app.realtime.io;
      const payload = (timestamp: string, seq: number) => ({ leaderboard: [], timestamp, seq });
      const onConnection = (socket: LiveSocket) => {
        emitToSocket(socket, 'leaderboard:update', payload('snapshot', 1));
        io.local.to(socket.id).emit('leaderboard:update', payload('broadcast', 2));
      };
      io.on('connection', onConnection);
      const sockets = Array.from({ length: 5 }, () => openSocket(url));
      try {
        for (const socket of sockets) {
          await connected(socket);
          await socket.next('leaderboard:update', (p) => p.timestamp === 'broadcast');
          const order = socket.events.map((event) => event.payload.timestamp).filter((stamp) => stamp === 'snapshot' || stamp === 'broadcast');
          assert.deepEqual(order, ['snapshot', 'broadcast']);
        }
      } finally {
        io.off('connection', onConnection);
        for (const socket of sockets) socket.close();
      }
    });
  });
}
