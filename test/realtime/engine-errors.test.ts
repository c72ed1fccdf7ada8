import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { assertWireEnvelope, rawExchange } from '../helpers/raw-http.js';

const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${extra}\r\n`;

/** Not storage-bound: the engine's refusals come before any service; the embedded app is enough. */
describe("the live endpoint's own refusals, in the error envelope", () => {
  let t: TestApp;
  let port: number;

  before(async () => {
    t = await createTestApp('embedded');
    const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = Number(new URL(url).port);
  });
  after(async () => {
    await t.close();
  });

  const cases: { name: string; request: string; status: number; code: string; reason: string }[] = [
    { name: 'an unknown transport', request: get('/socket.io/?EIO=4&transport=carrier-pigeon'), status: 400, code: 'INVALID_REQUEST', reason: 'UNKNOWN_TRANSPORT' },
    { name: 'an unknown session id', request: get('/socket.io/?EIO=4&transport=polling&sid=not-a-session'), status: 400, code: 'INVALID_REQUEST', reason: 'UNKNOWN_SESSION' },
    {
      name: 'a handshake that is not a GET',
      request: 'POST /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n40',
      status: 400,
      code: 'INVALID_REQUEST',
      reason: 'BAD_HANDSHAKE_METHOD',
    },
    { name: 'an old protocol revision', request: get('/socket.io/?EIO=3&transport=polling'), status: 400, code: 'INVALID_REQUEST', reason: 'UNSUPPORTED_PROTOCOL_VERSION' },
    { name: 'a WebSocket handshake without an upgrade', request: get('/socket.io/?EIO=4&transport=websocket'), status: 400, code: 'INVALID_REQUEST', reason: 'BAD_REQUEST' },
    {
      name: 'a WebSocket upgrade of an unknown session',
      request: get('/socket.io/?EIO=4&transport=websocket&sid=not-a-session', 'Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n'),
      status: 400,
      code: 'INVALID_REQUEST',
      reason: 'UNKNOWN_SESSION',
    },
  ];
  for (const { name, request, status, code, reason } of cases) {
    it(`answers ${name} with ${status} ${code}`, async () => {
      const answer = assertWireEnvelope(await rawExchange(port, request), status, code);
      assert.equal(JSON.parse(answer.body).error.details.reason, reason);
    });
  }

  it('echoes a well-formed X-Request-Id, and answers a session id unknown over fetch too', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/socket.io/?EIO=4&transport=polling&sid=gone`, { headers: { 'x-request-id': 'trace-42' } });
    assert.equal(response.status, 400);
    assert.equal(response.headers.get('x-request-id'), 'trace-42');
    const body = (await response.json()) as { success: boolean; error: { code: string; requestId: string } };
    assert.equal(body.success, false);
    assert.equal(body.error.code, 'INVALID_REQUEST');
    assert.equal(body.error.requestId, 'trace-42');
  });

  it('still serves real sessions', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/socket.io/?EIO=4&transport=polling`);
    assert.equal(response.status, 200);
    assert.match(await response.text(), /^0\{"sid":/);
  });
});
