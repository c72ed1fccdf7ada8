/*
 * A WebSocket client on a bare TCP socket, for what a normal client never does: stop reading.
 * Only what the tests need: the upgrade, masked text frames out, and the first frames in.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { openRaw } from './raw-http.js';

/** A masked text frame (every client frame must be masked). */
export function textFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = randomBytes(4);
  const length = payload.length;
  const head = length < 126 ? Buffer.from([0x81, 0x80 | length]) : Buffer.from([0x81, 0x80 | 126, length >> 8, length & 0xff]);
  const masked = Buffer.alloc(length);
  for (let i = 0; i < length; i++) masked[i] = payload[i]! ^ mask[i % 4]!;
  return Buffer.concat([head, mask, masked]);
}

/** Unmasked server frames in `data` (text only), and the bytes left over. */
function readFrames(data: Buffer): { texts: string[]; rest: Buffer } {
  const texts: string[] = [];
  let at = 0;
  while (data.length - at >= 2) {
    let length = data[at + 1]! & 0x7f;
    let offset = at + 2;
    if (length === 126) {
      if (data.length - at < 4) break;
      length = data.readUInt16BE(at + 2);
      offset = at + 4;
    } else if (length === 127) {
      if (data.length - at < 10) break;
      length = Number(data.readBigUInt64BE(at + 2));
      offset = at + 10;
    }
    if (data.length < offset + length) break;
    texts.push(data.subarray(offset, offset + length).toString());
    at = offset + length;
  }
  return { texts, rest: data.subarray(at) };
}

export interface RawWebSocket {
  socket: Socket;
  /** The engine session id from the open packet. */
  sid: string;
  send(text: string): void;
  /** Resolves with the first text frame (from now on) that satisfies `predicate`. */
  nextText(predicate: (text: string) => boolean, timeoutMs?: number): Promise<string>;
}

/** Upgrades to a Socket.IO WebSocket at `/socket.io/` and waits for the engine's open packet. */
export async function openRawWebSocket(port: number, options: { localAddress?: string } = {}): Promise<RawWebSocket> {
  const socket = await openRaw(port, options);
  const key = randomBytes(16).toString('base64');
  socket.write(
    `GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  let buffered: Buffer = Buffer.alloc(0);
  let upgraded = false;
  const texts: string[] = [];
  const waiters = new Set<() => void>();
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    if (!upgraded) {
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      if (!buffered.subarray(0, 12).toString().includes('101')) throw new Error(`upgrade refused: ${buffered.toString().slice(0, 200)}`);
      upgraded = true;
      buffered = buffered.subarray(end + 4);
    }
    const { texts: received, rest } = readFrames(buffered);
    buffered = rest;
    texts.push(...received);
    for (const waiter of [...waiters]) waiter();
  });
  const nextText = (predicate: (text: string) => boolean, timeoutMs = 5000) =>
    new Promise<string>((resolve, reject) => {
      const from = texts.length;
      const waiter = () => {
        const found = texts.slice(from).find(predicate);
        if (found === undefined) return;
        waiters.delete(waiter);
        clearTimeout(timer);
        resolve(found);
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`no matching frame within ${timeoutMs} ms; got ${texts.slice(from).join(' | ').slice(0, 300)}`));
      }, timeoutMs);
      waiters.add(waiter);
    });
  const open = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no open packet')), 5000);
    const waiter = () => {
      const found = texts.find((text) => text.startsWith('0{'));
      if (found === undefined) return;
      waiters.delete(waiter);
      clearTimeout(timer);
      resolve(found);
    };
    waiters.add(waiter);
    waiter();
  });
  return { socket, sid: (JSON.parse(open.slice(1)) as { sid: string }).sid, send: (text) => socket.write(textFrame(text)), nextText };
}
