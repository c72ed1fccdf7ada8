// Operating the server as a real process: HTTPS with TLS 1.3, graceful shutdown with requests and
// sockets in flight, what the logs carry (and never carry), and the refusals at start.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { io as connectSocket } from 'socket.io-client';
import { createTokenSigner } from '../../src/auth/jwt.js';
import { signAction } from '../../src/scores/signature.js';
import { actionsFile, createTestApp, FAST_ACTIONS, signedBody, TEST_HMAC_KEY, TEST_JWT_SECRET } from '../helpers/app.js';
import { startServerProcess, type ServerProcess } from '../helpers/processes.js';
import { connected, openSocket } from '../helpers/sockets.js';

const BIN = new URL('../../bin/scoreboard.js', import.meta.url).pathname;
const signToken = createTokenSigner(TEST_JWT_SECRET, '1h');

/**
 * What every process here starts from: embedded mode whatever the caller's environment holds
 * (an empty value counts as unset), production secrets, no practical rate limit.
 */
const BASE_ENV: Record<string, string> = {
  NODE_ENV: 'production',
  JWT_SECRET: TEST_JWT_SECRET,
  HMAC_SECRET_KEY: TEST_HMAC_KEY,
  DATABASE_URL: '',
  DB_HOST: '',
  REDIS_URL: '',
  REDIS_HOST: '',
  TLS_CERT_FILE: '',
  TLS_KEY_FILE: '',
  RATE_LIMIT_MAX_REQUESTS: '100000',
  RATE_LIMIT_GLOBAL_MAX_REQUESTS: '1000000',
};

const tempDirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Resolves when the child exits (at once if it already has). */
function exitOf(child: ChildProcess): Promise<Exit> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Sends `signal` and measures how long the process takes to exit (SIGKILL after `limitMs`). */
async function signalAndWait(server: ServerProcess, signal: NodeJS.Signals, limitMs = 15_000): Promise<Exit & { ms: number }> {
  const exit = exitOf(server.child);
  const started = performance.now();
  server.child.kill(signal);
  const timer = setTimeout(() => server.child.kill('SIGKILL'), limitMs);
  const result = await exit;
  clearTimeout(timer);
  return { ...result, ms: performance.now() - started };
}

/** `promise`, or a failure naming `what` after `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Everything the process wrote: its pipes can still hold data when `exit` fires. */
async function completeOutput(server: ServerProcess): Promise<string> {
  await Promise.all([server.child.stdout!, server.child.stderr!].map((stream) => (stream.closed ? undefined : once(stream, 'close'))));
  return server.output();
}

/** Runs `scoreboard start` expecting it to stop by itself; returns its exit and output. */
function runUntilExit(env: Record<string, string>, timeoutMs = 30_000): Promise<Exit & { stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, 'start'], {
    env: { ...process.env, ...BASE_ENV, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', DATA_DIR: 'memory://', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  // `close`, not `exit`: by then the pipes have delivered everything.
  return new Promise((resolve) =>
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    }),
  );
}

interface Outcome {
  status: number | null;
  body: string;
  /** Set when the request failed at the connection level (reset, hang-up, refused). */
  error: string | null;
  /** performance.now() when the answer (or the failure) came. */
  at: number;
}

/**
 * One POST on its own connection. `written` resolves once the whole request is handed to the
 * kernel (it is "sent"); `done` with the answer or the connection failure.
 */
function postOnOwnConnection(url: string, path: string, body: unknown, headers: Record<string, string>) {
  const payload = JSON.stringify(body);
  let markWritten!: () => void;
  const written = new Promise<void>((resolve) => (markWritten = resolve));
  const done = new Promise<Outcome>((resolve) => {
    const request = http.request(`${url}${path}`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)), ...headers },
    });
    request.on('finish', markWritten);
    request.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? null, body: text, error: null, at: performance.now() }));
      response.on('error', (error: NodeJS.ErrnoException) =>
        resolve({ status: response.statusCode ?? null, body: text, error: error.code ?? error.message, at: performance.now() }),
      );
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      markWritten();
      resolve({ status: null, body: '', error: error.code ?? error.message, at: performance.now() });
    });
    request.end(payload);
  });
  return { written, done };
}

async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(url, { headers });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

describe('HTTPS (TLS_CERT_FILE / TLS_KEY_FILE)', () => {
  let server: ServerProcess | undefined;
  let cert = '';
  let port = 0;
  const hasOpenssl = spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0;
  const skip = hasOpenssl ? false : 'openssl is not installed: cannot make a test certificate (node:crypto cannot issue X.509 certificates)';

  before(async () => {
    if (skip) return;
    const dir = tempDir('sb-tls-');
    const made = spawnSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1',
        '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      { encoding: 'utf8' },
    );
    assert.equal(made.status, 0, `openssl failed: ${made.stderr}`);
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    server = await startServerProcess({
      ...BASE_ENV,
      DATA_DIR: 'memory://',
      TLS_CERT_FILE: join(dir, 'cert.pem'),
      TLS_KEY_FILE: join(dir, 'key.pem'),
    });
    port = Number(new URL(server.url).port);
  });
  after(async () => {
    if (server) assert.equal(await server.stop(), 0);
  });

  it('announces an https:// URL', { skip }, () => {
    assert.match(server!.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('negotiates TLS 1.3 with a verified certificate', { skip }, async () => {
    const protocol = await new Promise<string | null>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port, ca: cert }, () => {
        assert.equal(socket.authorized, true);
        resolve(socket.getProtocol());
        socket.end();
      });
      socket.on('error', reject);
    });
    assert.equal(protocol, 'TLSv1.3');
  });

  it('refuses a client limited to TLS 1.2', { skip }, async () => {
    const outcome = await new Promise<string>((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, maxVersion: 'TLSv1.2' }, () => {
        resolve(`connected with ${socket.getProtocol()}`);
        socket.destroy();
      });
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(`refused: ${error.code ?? error.message}`));
    });
    assert.match(outcome, /^refused: /);
  });

  it('answers over HTTPS with Strict-Transport-Security', { skip }, async () => {
    const response = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
      https
        .get(`${server!.url}/health`, { ca: cert }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        })
        .on('error', reject);
    });
    assert.equal(response.status, 200);
    assert.equal(JSON.parse(response.body).status, 'healthy');
    assert.match(String(response.headers['strict-transport-security']), /max-age=[1-9]\d*/);
  });

  it('gives plain HTTP on the port no answer', { skip }, async () => {
    const outcome = await new Promise<{ status?: number; error?: string }>((resolve) => {
      const request = http.get(`http://127.0.0.1:${port}/health/live`, { agent: false, timeout: 5000 }, (res) => {
        res.resume();
        resolve({ status: res.statusCode });
      });
      request.on('timeout', () => request.destroy(new Error('timeout')));
      request.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    });
    assert.ok(outcome.error !== undefined || (outcome.status ?? 0) >= 400, `plain HTTP got ${JSON.stringify(outcome)}`);
  });

  it('sends no Strict-Transport-Security over plain HTTP', async () => {
    const app = await createTestApp('embedded');
    try {
      const response = await app.app.inject({ method: 'GET', url: '/health/live' });
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['strict-transport-security'], undefined);
    } finally {
      await app.close();
    }
  });
});

describe('graceful shutdown', () => {
  it('SIGTERM with 200 score updates in flight: each gets a real answer, exit 0, every 200 is kept', { timeout: 60_000 }, async () => {
    const dataDir = tempDir('sb-shutdown-');
    const env = { ...BASE_ENV, DATA_DIR: dataDir, ACTIONS_CONFIG: actionsFile(FAST_ACTIONS), CACHE_REFRESH_INTERVAL_MS: '0' };
    const server = await startServerProcess(env);
    // One update per player: no per-player limit or anomaly detector can refuse any of them.
    const sent = Array.from({ length: 200 }, (_, i) => {
      const userId = `drain-${i}`;
      const increment = 1 + (i % 7);
      const request = postOnOwnConnection(server.url, '/api/v1/scores/update', signedBody({ scoreIncrement: increment }), {
        authorization: `Bearer ${signToken({ userId, username: userId })}`,
      });
      return { userId, increment, ...request };
    });
    // Every request is on the wire before the signal.
    await Promise.all(sent.map((request) => request.written));
    const exit = exitOf(server.child);
    const signalledAt = performance.now();
    server.child.kill('SIGTERM');
    const outcomes = await Promise.all(sent.map((request) => request.done));
    const { code } = await exit;
    const exitMs = performance.now() - signalledAt;

    const statuses: Record<string, number> = {};
    for (const outcome of outcomes) {
      const key = outcome.error ? `error ${outcome.error}` : String(outcome.status);
      statuses[key] = (statuses[key] ?? 0) + 1;
    }
    const afterSignal = outcomes.filter((outcome) => outcome.at > signalledAt).length;
    const drained = (await completeOutput(server)).split('\n').find((line) => line.includes('accepting'));
    const summary =
      `answers: ${JSON.stringify(statuses)}; ${afterSignal} answered after the signal; exit ${code} after ${Math.round(exitMs)} ms; ` +
      `server: ${drained ? JSON.stringify(JSON.parse(drained), ['ms', 'arrivals', 'capped', 'msg']) : 'no drain line'}`;
    console.log(`  graceful shutdown: ${summary}`);

    assert.equal(code, 0, summary);
    assert.ok(exitMs < 10_000, summary);
    assert.ok(afterSignal > 0, `no request was still in flight at the signal: the case proves nothing (${summary})`);
    assert.deepEqual(
      outcomes.filter((outcome) => outcome.error !== null || (outcome.status !== 200 && outcome.status !== 503)),
      [],
      `every request sent before the signal gets 200 or 503, none a reset (${summary})`,
    );
    for (const outcome of outcomes.filter((o) => o.status === 503)) {
      assert.equal(JSON.parse(outcome.body).success, false);
    }

    // Restart on the same data: every update that was answered 200 is there, nothing else.
    const expected = new Map<string, number>();
    for (const [index, request] of sent.entries()) {
      if (outcomes[index]!.status === 200) expected.set(request.userId, (expected.get(request.userId) ?? 0) + request.increment);
    }
    const again = await startServerProcess(env);
    try {
      const stored = new Map<string, number>();
      for (const offset of [0, 100, 200]) {
        const page = await getJson(`${again.url}/api/v1/scores/leaderboard?limit=100&offset=${offset}`);
        assert.equal(page.status, 200);
        for (const entry of page.body.data.leaderboard as { userId: string; score: number }[]) stored.set(entry.userId, entry.score);
      }
      assert.deepEqual(stored, expected);
    } finally {
      assert.equal(await again.stop(), 0);
    }
  });

  it('SIGINT exits 0 and disconnects connected Socket.IO clients (websocket and polling)', { timeout: 30_000 }, async () => {
    const server = await startServerProcess({ ...BASE_ENV, DATA_DIR: 'memory://' });
    const websocket = openSocket(server.url, { token: signToken({ userId: 'watcher', username: 'Watcher' }) });
    const polling = connectSocket(server.url, { path: '/socket.io', transports: ['polling'], reconnection: false, forceNew: true });
    try {
      await connected(websocket);
      await websocket.next('leaderboard:update');
      await within(
        new Promise<void>((resolve, reject) => {
          polling.once('connect', () => resolve());
          polling.once('connect_error', reject);
        }),
        5000,
        'polling client connect',
      );
      const disconnects = Promise.all(
        [websocket.socket, polling].map((socket) => new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(reason)))),
      );
      const exit = await signalAndWait(server, 'SIGINT');
      assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, server.output());
      assert.ok(exit.ms < 10_000, `exited after ${Math.round(exit.ms)} ms`);
      const reasons = await within(disconnects, 5000, 'the clients were not told of the disconnection');
      assert.equal(reasons.length, 2);
      assert.ok(!websocket.socket.connected && !polling.connected);
    } finally {
      websocket.close();
      polling.close();
    }
  });
});

describe('logs', () => {
  it('are JSON lines with the request id, and never carry tokens, signatures or secrets', { timeout: 30_000 }, async () => {
    const server = await startServerProcess({ ...BASE_ENV, LOG_LEVEL: 'info', DATA_DIR: tempDir('sb-logs-'), ACTIONS_CONFIG: actionsFile(FAST_ACTIONS) });
    const tokens: string[] = [];
    const authAs = (userId: string) => {
      const issued = signToken({ userId, username: userId });
      tokens.push(issued);
      return { authorization: `Bearer ${issued}`, 'content-type': 'application/json' };
    };
    const auth = authAs('logged');
    const token = tokens[0]!;
    const signatures: string[] = [];
    const requestIds: string[] = [];
    const send = async (path: string, init: RequestInit & { headers?: Record<string, string> }) => {
      const response = await fetch(`${server.url}${path}`, init);
      requestIds.push(response.headers.get('x-request-id') ?? '');
      await response.arrayBuffer();
      return response;
    };
    try {
      // Canonical update, with a client-supplied request id.
      const body = signedBody({ scoreIncrement: 5 });
      signatures.push(body.clientSignature);
      const first = await send('/api/v1/scores/update', { method: 'POST', headers: { ...auth, 'x-request-id': 'trace-123' }, body: JSON.stringify(body) });
      assert.equal(first.status, 200);
      assert.equal(first.headers.get('x-request-id'), 'trace-123');

      // Compatibility update with the signature in X-Client-Signature.
      const unsigned = { actionId: randomUUID(), actionType: 'ACHIEVEMENT', scoreIncrement: 7, timestamp: new Date().toISOString() };
      const headerSignature = signAction(TEST_HMAC_KEY, unsigned);
      signatures.push(headerSignature);
      const compat = await send('/api/actions/complete', {
        method: 'POST',
        headers: { ...auth, 'x-client-signature': headerSignature },
        body: JSON.stringify({ actionId: unsigned.actionId, score: 7, timestamp: unsigned.timestamp, metadata: { actionType: 'ACHIEVEMENT' } }),
      });
      assert.equal(compat.status, 200);

      // Refusals log too (each by its own player, so that no anti-cheat flag changes the next answer):
      // a wrong signature, a body that fails validation, a body that is not JSON, a forged token.
      const wrong = { ...signedBody({ scoreIncrement: 3 }), clientSignature: 'ab'.repeat(32).replace(/^ab/, 'cd') };
      signatures.push(wrong.clientSignature);
      assert.equal((await send('/api/v1/scores/update', { method: 'POST', headers: authAs('logged-2'), body: JSON.stringify(wrong) })).status, 403);
      const invalid = { ...signedBody({ scoreIncrement: 3 }), clientSignature: 'not-hex-but-secret-looking-value-0123456789', extra: true };
      signatures.push(invalid.clientSignature);
      assert.equal((await send('/api/v1/scores/update', { method: 'POST', headers: authAs('logged-3'), body: JSON.stringify(invalid) })).status, 400);
      const broken = `{"clientSignature":"${'ef'.repeat(32)}",`;
      signatures.push('ef'.repeat(32));
      assert.equal((await send('/api/v1/scores/update', { method: 'POST', headers: authAs('logged-4'), body: broken })).status, 400);
      const forged = signToken({ userId: 'logged' }).replace(/\.[^.]+$/, '.forgedsignaturepart');
      assert.equal((await send('/api/v1/scores/user/logged', { headers: { authorization: `Bearer ${forged}` } })).status, 401);
      assert.equal((await send('/api/v1/scores/user/logged', { headers: auth })).status, 200);
      // The API reads no credentials from the query string, but a client may put them there anyway.
      const querySignature = 'a1'.repeat(32);
      signatures.push(querySignature);
      await send(`/api/v1/scores/leaderboard?limit=5&token=${token}&clientSignature=${querySignature}`, { headers: { 'x-request-id': 'query-secrets' } });

      // A socket that signs in with the token.
      const socket = openSocket(server.url, { token });
      await connected(socket);
      socket.close();
    } finally {
      assert.equal(await server.stop(), 0);
    }

    const output = await completeOutput(server);
    const lines = output.split('\n').filter((line) => line.trim() !== '');
    const records = lines.map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        assert.fail(`a log line that is not JSON: ${line}`);
      }
    });
    for (const record of records) {
      assert.equal(typeof record.level, 'number');
      assert.equal(typeof record.msg, 'string');
    }
    // Request-scoped lines (fastify's request logger, the error handler) carry `reqId`.
    const requestScoped = records.filter((r) => 'req' in r || 'res' in r || 'responseTime' in r || ('code' in r && 'status' in r));
    assert.ok(requestScoped.length >= requestIds.length * 2);
    for (const record of requestScoped) assert.equal(typeof record.reqId, 'string', JSON.stringify(record));
    for (const id of requestIds) {
      assert.match(id, /^[A-Za-z0-9._:-]{1,128}$/);
      const own = records.filter((r) => r.reqId === id).map((r) => r.msg);
      assert.ok(own.includes('incoming request') && own.includes('request completed'), `request ${id}: ${own.join(', ')}`);
    }
    assert.ok(records.some((r) => r.reqId === 'trace-123' && r.msg === 'incoming request'));
    const queryLine = records.find((r) => r.reqId === 'query-secrets' && r.msg === 'incoming request');
    assert.match(String((queryLine?.req as { url?: string } | undefined)?.url), /limit=5&token=\[redacted\]&clientSignature=\[redacted\]$/);

    const secrets = {
      ...Object.fromEntries(tokens.flatMap((issued, i) => [[`token ${i}`, issued], [`signature part of token ${i}`, issued.split('.')[2]!]])),
      'forged token part': 'forgedsignaturepart',
      JWT_SECRET: TEST_JWT_SECRET,
      HMAC_SECRET_KEY: TEST_HMAC_KEY,
      ...Object.fromEntries(signatures.map((signature, i) => [`signature ${i}`, signature])),
    };
    for (const [name, value] of Object.entries(secrets)) {
      assert.ok(!output.toLowerCase().includes(value.toLowerCase()), `the ${name} appears in the output`);
    }
  });
});

describe('refusals at start', () => {
  const cases: { name: string; env: Record<string, string>; names: RegExp }[] = [
    { name: 'PORT=abc', env: { PORT: 'abc' }, names: /PORT/ },
    { name: 'RATE_LIMIT_WINDOW_MS=-1', env: { RATE_LIMIT_WINDOW_MS: '-1' }, names: /RATE_LIMIT_WINDOW_MS/ },
    { name: 'NODE_ENV=production without secrets', env: { NODE_ENV: 'production', JWT_SECRET: '', HMAC_SECRET_KEY: '' }, names: /JWT_SECRET[\s\S]*HMAC_SECRET_KEY/ },
    { name: 'a short JWT_SECRET', env: { JWT_SECRET: 'too-short' }, names: /JWT_SECRET/ },
    {
      name: 'TLS files that do not exist',
      env: { TLS_CERT_FILE: '/nonexistent/scoreboard/cert.pem', TLS_KEY_FILE: '/nonexistent/scoreboard/key.pem' },
      names: /TLS_CERT_FILE[\s\S]*\/nonexistent\/scoreboard\/cert\.pem/,
    },
    { name: 'only TLS_CERT_FILE', env: { TLS_CERT_FILE: '/nonexistent/scoreboard/cert.pem' }, names: /TLS_CERT_FILE and TLS_KEY_FILE/ },
  ];
  for (const { name, env, names } of cases) {
    it(`${name}: exits non-zero with a message naming it`, async () => {
      const result = await runUntilExit(env);
      assert.notEqual(result.code, 0, `exit ${result.code} ${result.signal ?? ''}\n${result.stdout}\n${result.stderr}`);
      assert.equal(result.signal, null, 'stopped by itself');
      assert.match(result.stderr, names);
      // A message for a person, not only a stack trace.
      assert.match(result.stderr, /^scoreboard: configuration error: /m);
      assert.doesNotMatch(result.stderr, /^\s+at /m, result.stderr);
      assert.doesNotMatch(result.stdout, /scoreboard listening/);
    });
  }

  it('a certificate file that is not a certificate: exits non-zero naming TLS_CERT_FILE', async () => {
    const dir = tempDir('sb-badtls-');
    const garbage = join(dir, 'garbage.pem');
    writeFileSync(garbage, 'not a pem\n');
    const result = await runUntilExit({ TLS_CERT_FILE: garbage, TLS_KEY_FILE: garbage });
    assert.notEqual(result.code, 0);
    assert.equal(result.signal, null);
    assert.match(result.stderr, /TLS_CERT_FILE/);
    assert.doesNotMatch(result.stderr, /^\s+at /m, result.stderr);
  });
});
