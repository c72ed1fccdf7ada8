import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, MODES, type TestApp } from '../helpers/app.js';
import { assertWireEnvelope, rawExchange } from '../helpers/raw-http.js';
import { connected, openSocket, sleep, type RecordingSocket } from '../helpers/sockets.js';

const handshake = (forwardedFor?: string) =>
  `GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${forwardedFor ? `X-Forwarded-For: ${forwardedFor}\r\n` : ''}\r\n`;
const upgrade = 'GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nX-Request-Id: cap-1\r\n\r\n';

for (const { mode, skip } of MODES) {
  describe(`Socket.IO sessions per client address (${mode})`, { skip }, () => {
    let t: TestApp;
    let port: number;
    let url: string;
    const sockets: RecordingSocket[] = [];
    const open = () => {
      const recording = openSocket(url);
      sockets.push(recording);
      return recording;
    };

    before(async () => {
      t = await createTestApp(mode, { SOCKET_MAX_CONNECTIONS_PER_IP: '3' });
      url = await t.app.listen({ port: 0, host: '127.0.0.1' });
      port = Number(new URL(url).port);
    });
    after(async () => {
      for (const recording of sockets) recording.close();
      await t.close();
    });

    it('refuses a WebSocket or polling session over the cap with 429 in the envelope, per address, and frees a slot on close', async () => {
      const held = [open(), open(), open()];
      await Promise.all(held.map((recording) => connected(recording)));
      await assert.rejects(connected(open()), 'a fourth WebSocket from 127.0.0.1 is refused');

      const refusedUpgrade = assertWireEnvelope(await rawExchange(port, upgrade), 429, 'RATE_LIMIT_EXCEEDED');
      assert.equal(refusedUpgrade.headers['x-request-id'], 'cap-1');
      assert.ok(Number(refusedUpgrade.headers['retry-after']) >= 1);
      const refusedPoll = assertWireEnvelope(await rawExchange(port, handshake()), 429, 'RATE_LIMIT_EXCEEDED');
      assert.ok(Number(refusedPoll.headers['retry-after']) >= 1);

      // Another client address is not affected.
      const other = await rawExchange(port, handshake(), { localAddress: '127.0.0.2' });
      assert.match(other.text, /^HTTP\/1\.1 200 /);

      // Plain HTTP is not counted against the live cap.
      assert.equal((await fetch(`${url}/health/live`)).status, 200);

      held[0]!.close();
      await sleep(200);
      const again = open();
      await connected(again);
    });
  });
}

describe('Socket.IO sessions per client address behind a trusted proxy', () => {
  let t: TestApp;
  let port: number;

  before(async () => {
    t = await createTestApp('embedded', { SOCKET_MAX_CONNECTIONS_PER_IP: '2', TRUST_PROXY: '127.0.0.1' });
    const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = Number(new URL(url).port);
  });
  after(async () => {
    await t.close();
  });

  it('counts the clients the proxy forwards for, not the proxy', async () => {
    const status = async (forwardedFor: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec((await rawExchange(port, handshake(forwardedFor))).text)?.[1]);
    // A polling handshake opens a session that stays until its ping times out.
    assert.deepEqual([await status('203.0.113.1'), await status('203.0.113.1'), await status('203.0.113.1')], [200, 200, 429]);
    assert.deepEqual([await status('203.0.113.2'), await status('203.0.113.2')], [200, 200]);
  });
});
