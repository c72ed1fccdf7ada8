// Malformed HTTP on a real socket, answered before any route runs: every answer is the error
// envelope of DESIGN section 3 (with X-Request-Id, JSON content type, Connection: close), never
// Node's or Fastify's own body, and a client that gives up mid-request leaves the server serving
// without an error-level log line.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { clientErrorAnswer } from '../../src/http/client-error-handler.js';
import { MODES, createTestApp, type TestApp } from '../helpers/app.js';
import { assertWireEnvelope, collect, openRaw, parseAnswer, rawExchange } from '../helpers/raw-http.js';
import { sleep } from '../helpers/sockets.js';

interface LogLine {
  level: number;
  msg?: string;
}

/** pino's level of `error`: nothing a client does may log at it or above. */
const ERROR_LEVEL = 50;

const header = (bytes: number) => `GET /health/live HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${'a'.repeat(bytes)}\r\n\r\n`;

for (const { mode, skip } of MODES) {
  describe(`malformed HTTP is answered in the envelope (${mode})`, { skip }, () => {
    let t: TestApp;
    let port: number;
    const lines: LogLine[] = [];
    before(async () => {
      const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
      t = await createTestApp(mode, {}, { logger });
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      port = (t.app.server.address() as { port: number }).port;
    });
    after(() => t.close());

    /** A well-formed request on its own connection still gets its 200. */
    async function stillServing(): Promise<void> {
      const answer = parseAnswer((await rawExchange(port, 'GET /health/live HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')).text);
      assert.equal(answer.status, 200, answer.body);
    }

    it('a 20 KiB header: 431 INVALID_REQUEST', async () => {
      assertWireEnvelope(await rawExchange(port, header(20 * 1024)), 431, 'INVALID_REQUEST');
      await stillServing();
    });

    it('a 64 KiB header: 431 INVALID_REQUEST, the whole answer read before the close', async () => {
      const exchange = await rawExchange(port, header(64 * 1024));
      assertWireEnvelope(exchange, 431, 'INVALID_REQUEST');
      await stillServing();
    });

    it('a garbage request line: 400 INVALID_REQUEST', async () => {
      assertWireEnvelope(await rawExchange(port, 'HELLO WORLD\r\n\r\n'), 400, 'INVALID_REQUEST');
      assertWireEnvelope(await rawExchange(port, 'GET /a\u0001b HTTP/1.1\r\nHost: localhost\r\n\r\n'), 400, 'INVALID_REQUEST');
    });

    it('bad chunked framing of a score update: 400 INVALID_REQUEST, nothing applied', async () => {
      const request =
        'POST /api/v1/scores/update HTTP/1.1\r\nHost: localhost\r\n' +
        `Authorization: Bearer ${t.token('chunky')}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n` +
        `zz\r\n${JSON.stringify(t.body())}\r\n0\r\n\r\n`;
      assertWireEnvelope(await rawExchange(port, request), 400, 'INVALID_REQUEST');
      assert.equal(await t.scoreInDb('chunky'), 0);
    });

    it('a bad Transfer-Encoding, Transfer-Encoding with Content-Length, a duplicate Content-Length: 400', async () => {
      const framings = [
        'POST /api/v1/scores/update HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\n\r\n',
        'POST /api/v1/scores/update HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
        'POST /api/v1/scores/update HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n{}',
      ];
      for (const framing of framings) assertWireEnvelope(await rawExchange(port, framing), 400, 'INVALID_REQUEST');
    });

    it('a header value with a control character: 400 INVALID_REQUEST', async () => {
      assertWireEnvelope(await rawExchange(port, 'GET /health/live HTTP/1.1\r\nHost: localhost\r\nX-Name: a\u0001b\r\n\r\n'), 400, 'INVALID_REQUEST');
    });

    it('an HTTP/1.1 request without Host: 400 INVALID_REQUEST; an unknown expectation: 417 INVALID_REQUEST', async () => {
      assertWireEnvelope(await rawExchange(port, 'GET /health/live HTTP/1.1\r\n\r\n'), 400, 'INVALID_REQUEST');
      assertWireEnvelope(await rawExchange(port, 'GET /health/live HTTP/1.1\r\nHost: localhost\r\nExpect: 200-ok\r\n\r\n'), 417, 'INVALID_REQUEST');
    });

    it('keeps serving a keep-alive connection after well-formed requests', async () => {
      const socket = await openRaw(port);
      const answers = collect(socket);
      socket.write('GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\nGET /health/live HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
      const text = (await answers).text;
      assert.equal(text.match(/HTTP\/1\.1 200 /g)?.length, 2, text);
    });

    it('a body cut off mid-way, a reset connection: no crash, no error-level log line, still serving', async () => {
      const before = lines.length;
      const body = JSON.stringify(t.body());
      for (let i = 0; i < 5; i += 1) {
        const socket = await openRaw(port);
        socket.on('error', () => undefined);
        socket.write(
          `POST /api/v1/scores/update HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${t.token('quitter')}\r\n` +
            `Content-Type: application/json\r\nContent-Length: ${body.length + 500}\r\n\r\n${body.slice(0, 40)}`,
        );
        await sleep(50);
        if (i % 2 === 0) socket.destroy();
        else socket.resetAndDestroy();
      }
      const reset = await openRaw(port);
      reset.on('error', () => undefined);
      reset.write('GET /health/live HTTP/1.1\r\nHo');
      await sleep(20);
      reset.resetAndDestroy();
      await sleep(300);
      await stillServing();
      assert.equal(await t.scoreInDb('quitter'), 0);
      const loud = lines.slice(before).filter((line) => line.level >= ERROR_LEVEL);
      assert.deepEqual(loud, [], `error-level lines: ${JSON.stringify(loud)}`);
    });
  });
}

describe('what a parser error or timeout is answered with', () => {
  const answer = (code: string, reason?: string) => clientErrorAnswer(Object.assign(new Error('x'), { code, reason }));

  it('status, code and whether to read on before closing', () => {
    const shape = (code: string) => {
      const found = answer(code, 'Some reason');
      return found && { status: found.status, code: found.error.code, linger: found.linger };
    };
    assert.deepEqual(shape('HPE_HEADER_OVERFLOW'), { status: 431, code: 'INVALID_REQUEST', linger: true });
    assert.deepEqual(shape('HPE_INVALID_CHUNK_SIZE'), { status: 400, code: 'INVALID_REQUEST', linger: true });
    assert.deepEqual(shape('HPE_CHUNK_EXTENSIONS_OVERFLOW'), { status: 413, code: 'PAYLOAD_TOO_LARGE', linger: true });
    // A timed-out request's parser still works: reading on could let late bytes become a request.
    assert.deepEqual(shape('ERR_HTTP_REQUEST_TIMEOUT'), { status: 408, code: 'INVALID_REQUEST', linger: false });
    for (const gone of ['ECONNRESET', 'EPIPE', 'ETIMEDOUT']) assert.equal(answer(gone), null);
  });

  it("says the parser's reason, never the request's bytes", () => {
    assert.equal(answer('HPE_INVALID_HEADER_TOKEN', 'Invalid header value char')?.error.message, 'Malformed HTTP request: Invalid header value char');
    assert.equal(answer('HPE_INVALID_METHOD')?.error.message, 'Malformed HTTP request: unreadable request');
  });
});
