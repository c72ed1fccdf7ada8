// Slow and greedy clients over real sockets: the per-address connection cap, the header timeout,
// and the server's timeouts under TLS. One client address dripping headers byte by byte must
// not keep another address from being served, and every connection it held must be released.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildApp } from '../../src/app.js';
import { createBackends } from '../../src/backends.js';
import { loadConfig } from '../../src/config.js';
import { AddressCounter } from '../../src/http/connection-guard.js';
import { SOCKET_IDLE_TIMEOUT_MS } from '../../src/http/http-server-options.js';
import { MODES, TEST_HMAC_KEY, TEST_JWT_SECRET, createTestApp, type TestApp } from '../helpers/app.js';
import { assertWireEnvelope, collect, openRaw, parseAnswer, rawExchange, type RawExchange } from '../helpers/raw-http.js';
import { sleep, waitFor } from '../helpers/outage-services.js';

const CAP = 20;
const SLOW_CLIENTS = 30;
const HEADERS_TIMEOUT_MS = 2000;

/** Opens a connection from 127.0.0.1 that sends a request's headers one byte every 100 ms, forever. */
async function slowClient(port: number): Promise<{ done: Promise<RawExchange>; stop: () => void }> {
  const socket = await openRaw(port);
  const done = collect(socket, 30_000);
  const text = `GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ${'a'.repeat(10_000)}`;
  let sent = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || !socket.writable) return clearInterval(timer);
    socket.write(text[sent % text.length]!);
    sent += 1;
  }, 100);
  void done.then(() => clearInterval(timer));
  return { done, stop: () => clearInterval(timer) };
}

/** One GET on its own connection from `localAddress`; status and milliseconds. */
async function timedGet(port: number, path: string, localAddress: string): Promise<{ status: number | null; ms: number }> {
  const started = performance.now();
  const exchange = await rawExchange(port, `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`, { localAddress, timeoutMs: 15_000 });
  const status = exchange.text.startsWith('HTTP/1.1') ? parseAnswer(exchange.text).status : null;
  return { status, ms: performance.now() - started };
}

/**
 * Opens a connection from `localAddress` and sends one keep-alive request; resolves with the status
 * once the answer is in. The connection stays open (in `held`) unless the server closed it.
 */
async function keptAlive(port: number, localAddress: string, held: Socket[]): Promise<number> {
  const socket = await openRaw(port, { localAddress });
  held.push(socket);
  return new Promise((resolve, reject) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const answer = /^HTTP\/1\.1 (\d{3}) [\s\S]*?\r\n\r\n/.exec(text);
      if (answer) resolve(Number(answer[1]));
    });
    socket.on('error', () => undefined);
    socket.once('close', () => reject(new Error(`closed without an answer: ${JSON.stringify(text.slice(0, 200))}`)));
    socket.write('GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n');
  });
}

for (const { mode, skip } of MODES) {
  describe(`slow loris: the per-address cap and the header timeout (${mode})`, { skip }, () => {
    let t: TestApp;
    let port: number;
    before(async () => {
      t = await createTestApp(mode, {
        HTTP_MAX_CONNECTIONS_PER_IP: String(CAP),
        HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
        HTTP_REQUEST_TIMEOUT_MS: String(2 * HEADERS_TIMEOUT_MS),
      });
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      port = (t.app.server.address() as { port: number }).port;
    });
    after(() => t.close());

    it('refuses connections past the cap with 429, cuts the slow ones with 408, serves another address meanwhile, then frees every slot', { timeout: 60_000 }, async () => {
      const started = performance.now();
      const slow = [];
      for (let i = 0; i < SLOW_CLIENTS; i += 1) slow.push(await slowClient(port));
      const outcomes = slow.map((client) => client.done.then((exchange) => ({ exchange, at: performance.now() - started })));

      // Another client address, served while the first one holds its whole share.
      const health: { status: number | null; ms: number; at: number }[] = [];
      let slowOnesOpen = true;
      void Promise.all(outcomes).then(() => (slowOnesOpen = false));
      while (slowOnesOpen) {
        const answer = await timedGet(port, '/health', '127.0.0.2');
        health.push({ ...answer, at: performance.now() - started });
        await sleep(100);
      }
      const results = await Promise.all(outcomes);

      const refused = results.filter(({ exchange }) => parseAnswer(exchange.text).status === 429);
      const cut = results.filter(({ exchange }) => parseAnswer(exchange.text).status === 408);
      assert.equal(refused.length, SLOW_CLIENTS - CAP, `refused: ${refused.length}, cut: ${cut.length}`);
      assert.equal(cut.length, CAP, `refused: ${refused.length}, cut: ${cut.length}`);
      for (const { exchange, at } of refused) {
        const answer = assertWireEnvelope(exchange, 429, 'RATE_LIMIT_EXCEEDED');
        assert.match(answer.headers['retry-after'] ?? '', /^[1-9]\d*$/);
        // Refused at once, not cut by the timeout.
        assert.ok(at < HEADERS_TIMEOUT_MS, `a refusal took ${Math.round(at)} ms`);
      }
      for (const { exchange, at } of cut) {
        assertWireEnvelope(exchange, 408, 'INVALID_REQUEST');
        assert.ok(at >= HEADERS_TIMEOUT_MS - 200, `cut after ${Math.round(at)} ms, before the header timeout`);
        assert.ok(at < HEADERS_TIMEOUT_MS + 10_000, `cut only after ${Math.round(at)} ms`);
      }

      const whileHeld = health.filter((answer) => answer.at < HEADERS_TIMEOUT_MS);
      assert.ok(whileHeld.length >= 3, `only ${whileHeld.length} health checks while the slow clients held their connections`);
      assert.deepEqual(health.filter((answer) => answer.status !== 200), [], 'every health check from 127.0.0.2 answered 200');
      const slowest = Math.max(...health.map((answer) => answer.ms));
      assert.ok(slowest < HEADERS_TIMEOUT_MS, `a health check waited ${Math.round(slowest)} ms, as long as the slow clients were held`);

      await waitFor(async () => t.app.connectionGuard.countOf('127.0.0.1') === 0, 5000, 'the cap counts no connection of 127.0.0.1');
      assert.equal(t.app.connectionGuard.countOf('127.0.0.2'), 0);
      // A full share again: CAP connections at once from the same address, each served.
      const sockets: Socket[] = await Promise.all(Array.from({ length: CAP }, () => openRaw(port)));
      const answers = sockets.map((socket) => collect(socket));
      for (const socket of sockets) socket.write('GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n');
      await waitFor(async () => t.app.connectionGuard.countOf('127.0.0.1') === CAP, 5000, 'every new connection counted');
      for (const socket of sockets) socket.end();
      for (const exchange of await Promise.all(answers)) assert.equal(parseAnswer(exchange.text).status, 200);
      await waitFor(async () => t.app.connectionGuard.countOf('127.0.0.1') === 0, 5000, 'released again');
    });
  });

  describe(`the cap spares trusted proxies; 0 disables it (${mode})`, { skip }, () => {
    it('a trusted proxy holds more than the cap; another address does not', async () => {
      const t = await createTestApp(mode, { HTTP_MAX_CONNECTIONS_PER_IP: '2', TRUST_PROXY: '127.0.0.1' });
      const held: Socket[] = [];
      try {
        await t.app.listen({ port: 0, host: '127.0.0.1' });
        const port = (t.app.server.address() as { port: number }).port;
        const proxy = [];
        for (let i = 0; i < 5; i += 1) proxy.push(await keptAlive(port, '127.0.0.1', held));
        const direct = [];
        for (let i = 0; i < 3; i += 1) direct.push(await keptAlive(port, '127.0.0.2', held));
        assert.deepEqual(proxy, [200, 200, 200, 200, 200]);
        assert.deepEqual(direct, [200, 200, 429]);
        assert.equal(t.app.connectionGuard.countOf('127.0.0.1'), 0, 'a trusted proxy is not counted');
        assert.equal(t.app.connectionGuard.countOf('127.0.0.2'), 2);
      } finally {
        for (const socket of held) socket.destroy();
        await t.close();
      }
    });

    it('HTTP_MAX_CONNECTIONS_PER_IP=0: no cap', async () => {
      const t = await createTestApp(mode, { HTTP_MAX_CONNECTIONS_PER_IP: '0' });
      try {
        await t.app.listen({ port: 0, host: '127.0.0.1' });
        const port = (t.app.server.address() as { port: number }).port;
        const sockets = await Promise.all(Array.from({ length: 300 }, () => openRaw(port)));
        const answers = sockets.map((socket) => collect(socket));
        for (const socket of sockets) socket.write('GET /health/live HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
        const statuses = (await Promise.all(answers)).map((exchange) => parseAnswer(exchange.text).status);
        assert.deepEqual([...new Set(statuses)], [200]);
      } finally {
        await t.close();
      }
    });
  });
}

describe('the server timeouts, over plain HTTP and TLS', () => {
  const hasOpenssl = spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0;
  const skipTls = hasOpenssl ? false : 'openssl is not installed: cannot make a test certificate';
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sb-guard-tls-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('plain HTTP: header and request timeouts from the configuration, an idle timeout that outlasts a long-polling request', async () => {
    const t = await createTestApp('embedded', { HTTP_HEADERS_TIMEOUT_MS: '4000', HTTP_REQUEST_TIMEOUT_MS: '9000' });
    try {
      const server = t.app.server;
      assert.equal(server.headersTimeout, 4000);
      assert.equal(server.requestTimeout, 9000);
      assert.equal(server.timeout, SOCKET_IDLE_TIMEOUT_MS);
      const engine = t.app.realtime.io.engine.opts;
      assert.ok(SOCKET_IDLE_TIMEOUT_MS > (engine.pingInterval ?? 25_000) + (engine.pingTimeout ?? 20_000), 'a polling request held for a whole ping interval is never cut');
    } finally {
      await t.close();
    }
  });

  it('TLS: the same timeouts; a connection past the cap is closed without an answer', { skip: skipTls }, async () => {
    const made = spawnSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-addext', 'subjectAltName=IP:127.0.0.1',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      { encoding: 'utf8' },
    );
    assert.equal(made.status, 0, made.stderr);
    const cert = readFileSync(join(dir, 'cert.pem'));
    const config = loadConfig({
      NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: 'memory://', JWT_SECRET: TEST_JWT_SECRET, HMAC_SECRET_KEY: TEST_HMAC_KEY,
      CACHE_REFRESH_INTERVAL_MS: '0', HTTP_HEADERS_TIMEOUT_MS: '4000', HTTP_REQUEST_TIMEOUT_MS: '9000', HTTP_MAX_CONNECTIONS_PER_IP: '1',
    });
    const backends = await createBackends(config);
    const app = await buildApp(config, backends, { https: { cert, key: readFileSync(join(dir, 'key.pem')), minVersion: 'TLSv1.3' } });
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const port = (app.server.address() as { port: number }).port;
      assert.equal(app.server.headersTimeout, 4000);
      assert.equal(app.server.requestTimeout, 9000);
      assert.equal(app.server.timeout, SOCKET_IDLE_TIMEOUT_MS);
      const first = await new Promise<tls.TLSSocket>((resolve, reject) => {
        const socket = tls.connect({ host: '127.0.0.1', port, ca: cert }, () => resolve(socket));
        socket.once('error', reject);
      });
      const second = await new Promise<{ secure: boolean; error: string | null; data: number }>((resolve) => {
        let secure = false;
        let data = 0;
        let error: string | null = null;
        const socket = tls.connect({ host: '127.0.0.1', port, ca: cert }, () => (secure = true));
        socket.on('data', (chunk: Buffer) => (data += chunk.length));
        socket.on('error', (failure: NodeJS.ErrnoException) => (error = failure.code ?? failure.message));
        socket.on('close', () => resolve({ secure, error, data }));
      });
      assert.equal(second.secure, false, `the refused connection completed a handshake: ${JSON.stringify(second)}`);
      assert.equal(second.data, 0);
      first.destroy();
      await waitFor(async () => app.connectionGuard.countOf('127.0.0.1') === 0, 5000, 'released');
      const status = await new Promise<number | undefined>((resolve, reject) => {
        https.get({ host: '127.0.0.1', port, path: '/health/live', ca: cert, agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode);
        }).on('error', reject);
      });
      assert.equal(status, 200);
    } finally {
      await app.close();
      await backends.close();
    }
  });
});

describe('open connections per address', () => {
  it('counts up to the cap per address, refuses beyond it without counting, and forgets an address at 0', () => {
    const counter = new AddressCounter(2);
    assert.equal(counter.acquire('10.0.0.1'), true);
    assert.equal(counter.acquire('10.0.0.1'), true);
    assert.equal(counter.acquire('10.0.0.1'), false);
    assert.equal(counter.acquire('10.0.0.2'), true);
    assert.equal(counter.countOf('10.0.0.1'), 2);
    counter.release('10.0.0.1');
    assert.equal(counter.acquire('10.0.0.1'), true);
    for (let i = 0; i < 2; i += 1) counter.release('10.0.0.1');
    counter.release('10.0.0.2');
    assert.equal(counter.countOf('10.0.0.1'), 0);
    assert.equal(counter.addresses, 0);
  });
});
