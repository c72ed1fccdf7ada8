import type { Server, Socket } from 'node:net';
import { AppError } from '../errors.js';
import type { AddressTrust } from './client-address.js';
import { answerOnSocket, rawErrorAnswer } from './raw-answer.js';

/** Seconds a refused client is told to wait: a slot frees as soon as one of its connections closes. */
export const CONNECTION_RETRY_AFTER_SEC = 2;

/** Open connections per address, at most `max` each. */
export class AddressCounter {
  private readonly open = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Counts one more connection of `address`; false (and nothing counted) when it already has `max`. */
  acquire(address: string): boolean {
    const count = this.open.get(address) ?? 0;
    if (count >= this.max) return false;
    this.open.set(address, count + 1);
    return true;
  }

  release(address: string): void {
    const count = this.open.get(address) ?? 0;
    if (count <= 1) this.open.delete(address);
    else this.open.set(address, count - 1);
  }

  countOf(address: string): number {
    return this.open.get(address) ?? 0;
  }

  /** Addresses with at least one open connection. */
  get addresses(): number {
    return this.open.size;
  }
}

export interface ConnectionGuardOptions {
  /** Open TCP connections per client address; 0: no cap. */
  maxPerAddress: number;
  /** The reading of TRUST_PROXY: a trusted proxy's connections are never capped (it caps per client itself). */
  trust: AddressTrust;
  /** With TLS a refused connection is closed; over plain HTTP it gets a 429 envelope first. */
  tls: boolean;
}

/**
 * Caps the TCP connections one client address holds open, so that one client (slow-loris
 * headers, idle keep-alives, a flood of sockets) cannot take every connection the process can
 * serve. It sits in front of the HTTP server's own connection handling: a refused connection never
 * reaches the HTTP parser, so nothing it sends is ever served.
 */
export class ConnectionGuard {
  private readonly counter: AddressCounter;
  private readonly options: ConnectionGuardOptions;
  private refusedTotal = 0;

  constructor(options: ConnectionGuardOptions) {
    this.options = options;
    this.counter = new AddressCounter(options.maxPerAddress);
  }

  /** Puts the guard in front of `server`'s connection listeners; call before it listens. */
  attach(server: Server): void {
    if (this.options.maxPerAddress === 0) return;
    const inner = server.listeners('connection') as ((socket: Socket) => void)[];
    server.removeAllListeners('connection');
    server.on('connection', (socket: Socket) => {
      if (!this.admit(socket)) return;
      for (const listener of inner) listener.call(server, socket);
    });
  }

  /** Open connections of `address` that count against its cap. */
  countOf(address: string): number {
    return this.counter.countOf(address);
  }

  /** Connections refused since start. */
  get refused(): number {
    return this.refusedTotal;
  }

  private admit(socket: Socket): boolean {
    const address = socket.remoteAddress;
    // Already gone: there is no one to serve.
    if (!address) {
      socket.destroy();
      return false;
    }
    if (this.options.trust(address, 0)) return true;
    if (!this.counter.acquire(address)) {
      this.refuse(socket);
      return false;
    }
    socket.once('close', () => this.counter.release(address));
    return true;
  }

  private refuse(socket: Socket): void {
    this.refusedTotal += 1;
    if (this.options.tls) {
      socket.destroy();
      return;
    }
    const error = new AppError('RATE_LIMIT_EXCEEDED', `Too many open connections from this address (at most ${this.options.maxPerAddress})`, {
      retryAfterSec: CONNECTION_RETRY_AFTER_SEC,
    });
    answerOnSocket(socket, rawErrorAnswer(429, error), { linger: true });
  }
}
