import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, MODES, type TestApp } from '../helpers/app.js';
import { connected, openSocket, sleep, type RecordingSocket } from '../helpers/sockets.js';

for (const { mode, skip } of MODES) {
  describe(`limits of the authenticate event (${mode})`, { skip }, () => {
    let t: TestApp;
    let url: string;
    const sockets: RecordingSocket[] = [];
    const open = async () => {
      const recording = openSocket(url);
      sockets.push(recording);
      await connected(recording);
      return recording;
    };
    const authenticate = (recording: RecordingSocket, token: unknown) => recording.socket.timeout(3000).emitWithAck('authenticate', { token });
    const disconnected = (recording: RecordingSocket) =>
      new Promise<string>((resolve) => {
        if (!recording.socket.connected) resolve('already');
        recording.socket.once('disconnect', (reason) => resolve(reason));
      });

    before(async () => {
      t = await createTestApp(mode);
      url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    });
    after(async () => {
      for (const recording of sockets) recording.close();
      await t.close();
    });

    it('answers at most 5 sign-ins per minute on one socket; the others get RATE_LIMIT_EXCEEDED and change nothing', async () => {
      const socket = await open();
      for (let i = 0; i < 5; i++) assert.deepEqual(await authenticate(socket, t.token(`many${i}`)), { ok: true, userId: `many${i}` });
      for (let i = 5; i < 8; i++) assert.deepEqual(await authenticate(socket, t.token(`many${i}`)), { ok: false, error: 'RATE_LIMIT_EXCEEDED' });
      assert.ok(socket.socket.connected, 'valid tokens over the limit are refused, not punished');
      const rows = await t.backends.sql.query("SELECT id FROM users WHERE id LIKE 'many%' ORDER BY id", []);
      assert.deepEqual(rows.map((row) => row.id), ['many0', 'many1', 'many2', 'many3', 'many4'], 'no user row for a refused sign-in');
      // The socket is still signed in as the last accepted user.
      await t.post('many4', t.body({ scoreIncrement: 3 }));
      assert.deepEqual(await socket.next('score:updated'), { userId: 'many4', newScore: 3, increment: 3 });
    });

    it('disconnects a socket after 5 failed sign-ins, each answered first', async () => {
      const socket = await open();
      const gone = disconnected(socket);
      for (let i = 0; i < 5; i++) {
        assert.deepEqual(await authenticate(socket, i % 2 ? 'garbage' : ''), { ok: false, error: 'UNAUTHORIZED', reason: i % 2 ? 'TOKEN_MALFORMED' : 'TOKEN_MISSING' });
      }
      assert.equal(await Promise.race([gone, sleep(3000).then(() => 'still connected')]), 'io server disconnect');
    });

    it('a flood of bad tokens ends with the socket, not with 20,000 checks', async () => {
      const socket = await open();
      const gone = disconnected(socket);
      const answers: unknown[] = [];
      for (let i = 0; i < 2000; i++) socket.socket.emit('authenticate', { token: `bad-${i}` }, (answer: unknown) => answers.push(answer));
      assert.equal(await Promise.race([gone, sleep(3000).then(() => 'still connected')]), 'io server disconnect');
      assert.ok(answers.length <= 5, `at most 5 answers before the disconnect, got ${answers.length}`);
      // Others are served as before.
      const other = await open();
      assert.deepEqual(await authenticate(other, t.token('fine')), { ok: true, userId: 'fine' });
    });
  });
}
