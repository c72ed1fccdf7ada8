import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { actionsFile, createTestApp, FAST_ACTIONS, MODES, type TestApp } from '../helpers/app.js';
import { openRawWebSocket } from '../helpers/raw-websocket.js';
import { connected, openSocket, sleep, type RecordingSocket } from '../helpers/sockets.js';

for (const { mode, skip } of MODES) {
  describe(`sockets that stop reading (${mode})`, { skip }, () => {
    let t: TestApp;
    let port: number;
    const sockets: RecordingSocket[] = [];

    before(async () => {
      t = await createTestApp(mode, { ACTIONS_CONFIG: actionsFile(FAST_ACTIONS), BROADCAST_INTERVAL_MS: '10', SOCKET_MAX_BUFFERED_BYTES: '65536' });
      const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
      port = Number(new URL(url).port);
    });
    after(async () => {
      for (const recording of sockets) recording.close();
      await t.close();
    });

    it('disconnects a client that stopped reading while the server broadcasts, and keeps serving the others', async () => {
      const url = `http://127.0.0.1:${port}`;
      const healthy = openSocket(url);
      sockets.push(healthy);
      await connected(healthy);
      await healthy.next('leaderboard:update');
      const slow = await openRawWebSocket(port);
      const joined = slow.nextText((text) => text.startsWith('40'));
      slow.send('40');
      await joined;
      // It reads nothing more from here on: what the server sends piles up.
      slow.socket.pause();
      const engine = t.app.realtime.io.engine as unknown as { clients: Record<string, unknown> };
      assert.ok(engine.clients[slow.sid], 'the slow reader is connected');

      // Broadcasts with a top-10 of long names, from updates that keep moving the top.
      const name = 'n'.repeat(20_000);
      const started = Date.now();
      let round = 0;
      while (engine.clients[slow.sid] && Date.now() - started < 15_000) {
        const broadcast = { leaderboard: Array.from({ length: 10 }, (_, i) => ({ rank: i + 1, userId: `u${i}`, username: `${name}${round}`, score: 1, lastUpdated: new Date().toISOString() })), timestamp: new Date().toISOString(), seq: -1 };
        t.app.realtime.io.to('leaderboard').emit('leaderboard:update', broadcast);
        await t.post(`p${round % 20}`, t.body({ scoreIncrement: 1 + (round % 50) }));
        round += 1;
        await sleep(20);
      }
      assert.equal(engine.clients[slow.sid], undefined, `the slow reader is disconnected (after ${Date.now() - started} ms, ${round} rounds)`);
      assert.ok(Date.now() - started < 15_000);
      slow.socket.destroy();

      // The reading client was kept and still gets the real top.
      assert.ok(healthy.socket.connected, 'the reading client is kept');
      await t.post('leader', t.body({ scoreIncrement: 200, actionType: 'ACHIEVEMENT' }));
      await healthy.next('leaderboard:update', (p) => p.leaderboard[0]?.userId === 'leader' && p.seq >= 0);
      const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
      assert.match(metrics.body, /websocket_disconnects_forced_total\{reason="slow_reader"\} 1/);
    });
  });
}
