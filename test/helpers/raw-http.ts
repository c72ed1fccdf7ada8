/*
 * HTTP below Fastify's inject: bytes written on a real TCP socket and the answer read back as
 * bytes, for what the HTTP parser, the server's timeouts and the connection guard decide.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';

export interface RawAnswer {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
}

export interface RawExchange {
  /** Everything the server sent before the connection ended. */
  text: string;
  /** The connection's failure, if it ended with one (ECONNRESET, EPIPE, …). */
  error: string | null;
  /** Milliseconds from connect to the end of the connection. */
  ms: number;
}

export interface RawOptions {
  host?: string;
  /** The client's own address, e.g. `127.0.0.2`: another client address on the loopback. */
  localAddress?: string;
  /** The connection is destroyed after this long if the server has not closed it. @default 10000 */
  timeoutMs?: number;
}

/** Opens a connection and resolves once it is connected. */
export function openRaw(port: number, options: RawOptions = {}): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: options.host ?? '127.0.0.1', ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Collects what the server sends on `socket` until the connection ends (or `timeoutMs`). */
export function collect(socket: Socket, timeoutMs = 10_000): Promise<RawExchange> {
  const started = Date.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let error: string | null = null;
    const timer = setTimeout(() => {
      error = 'client timeout';
      socket.destroy();
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (failure: NodeJS.ErrnoException) => {
      error ??= failure.code ?? failure.message;
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ text: Buffer.concat(chunks).toString('latin1'), error, ms: Date.now() - started });
    });
  });
}

/** Sends `bytes` on a new connection and collects the answer. */
export async function rawExchange(port: number, bytes: string | Buffer, options: RawOptions = {}): Promise<RawExchange> {
  const socket = await openRaw(port, options);
  const answer = collect(socket, options.timeoutMs);
  socket.write(bytes, () => undefined);
  return answer;
}

/** Parses one HTTP/1.1 answer with a Content-Length body. */
export function parseAnswer(text: string): RawAnswer {
  const end = text.indexOf('\r\n\r\n');
  assert.ok(end > 0, `no complete HTTP answer: ${JSON.stringify(text.slice(0, 300))}`);
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const match = /^HTTP\/1\.1 (\d{3}) /.exec(statusLine ?? '');
  assert.ok(match, `bad status line: ${JSON.stringify(statusLine)}`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(match[1]), headers, body: text.slice(end + 4) };
}

/**
 * Asserts the whole error envelope of an answer on the wire: status, code, the exact keys of
 * the envelope, an ISO timestamp, the request id in the body and in `X-Request-Id`, JSON content
 * type, a Content-Length that fits the body, and `Connection: close`.
 */
export function assertWireEnvelope(exchange: RawExchange, status: number, code: string): RawAnswer {
  const answer = parseAnswer(exchange.text);
  const label = `${answer.status} ${JSON.stringify(answer.headers)} ${answer.body.slice(0, 300)}`;
  assert.equal(answer.status, status, label);
  assert.equal(answer.headers['content-type'], 'application/json; charset=utf-8', label);
  assert.equal(answer.headers.connection, 'close', label);
  assert.equal(Number(answer.headers['content-length']), Buffer.byteLength(answer.body, 'latin1'), label);
  const body = JSON.parse(answer.body) as { success: unknown; error: Record<string, unknown> };
  assert.deepEqual(Object.keys(body).sort(), ['error', 'success'], label);
  assert.equal(body.success, false, label);
  assert.deepEqual(Object.keys(body.error).filter((key) => key !== 'details').sort(), ['code', 'message', 'requestId', 'timestamp'], label);
  assert.equal(body.error.code, code, label);
  assert.equal(typeof body.error.message, 'string', label);
  assert.ok((body.error.message as string).length > 0, label);
  assert.equal(new Date(body.error.timestamp as string).toISOString(), body.error.timestamp, label);
  assert.match(String(body.error.requestId), /^[A-Za-z0-9._:-]{1,128}$/, label);
  assert.equal(answer.headers['x-request-id'], body.error.requestId, label);
  return answer;
}
