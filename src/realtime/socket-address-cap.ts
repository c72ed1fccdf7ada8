import type { IncomingMessage } from 'node:http';
import { AppError } from '../errors.js';
import { clientAddressOf, type AddressTrust } from '../http/client-address.js';
import { AddressCounter, CONNECTION_RETRY_AFTER_SEC } from '../http/connection-guard.js';
import { answerSocketRequest } from './socket-answers.js';

/** The engine events the cap follows: a session opened (with its first request), a handshake refused. */
export interface SessionSource {
  on(event: 'connection', listener: (session: { request: IncomingMessage; once(event: 'close', listener: () => void): unknown }) => void): unknown;
  on(event: 'connection_error', listener: (failure: { req: IncomingMessage }) => void): unknown;
}

export interface SocketAddressCapOptions {
  /** Sessions per client address; 0: no cap. */
  maxPerAddress: number;
  /** The reading of TRUST_PROXY: behind a trusted proxy, the client is the one it forwards for. */
  trust: AddressTrust;
  onRefused?: () => void;
}

/**
 * Caps the Socket.IO sessions (WebSocket or polling) one client address holds. A handshake takes a
 * slot when it is allowed, and gives it back when it fails, when its connection closes before the
 * session opens, or when the session closes. Over the cap it is answered 429 in the envelope.
 */
export class SocketAddressCap {
  private readonly counter: AddressCounter;
  /** Handshakes allowed whose session has not opened yet, with the address they count against. */
  private readonly pending = new WeakMap<IncomingMessage, { address: string; abandon: () => void }>();

  constructor(private readonly options: SocketAddressCapOptions) {
    this.counter = new AddressCounter(options.maxPerAddress);
  }

  /** Sessions of `address` open or opening. */
  countOf(address: string): number {
    return this.counter.countOf(address);
  }

  /** The engine's `allowRequest`: called once per handshake. */
  readonly allowRequest = (request: IncomingMessage, callback: (error: string | null | undefined, success: boolean) => void): void => {
    if (this.options.maxPerAddress === 0) return callback(null, true);
    const address = clientAddressOf(request, this.options.trust);
    if (!this.counter.acquire(address)) {
      this.options.onRefused?.();
      const error = new AppError('RATE_LIMIT_EXCEEDED', `Too many open live connections from this address (at most ${this.options.maxPerAddress})`, {
        retryAfterSec: CONNECTION_RETRY_AFTER_SEC,
      });
      answerSocketRequest(request, 429, error);
      return callback('too many sessions from this address', false);
    }
    const abandon = () => this.settle(request, true);
    this.pending.set(request, { address, abandon });
    request.socket.once('close', abandon);
    callback(null, true);
  };

  /** Follows the engine's sessions; call once, before it serves. */
  watch(engine: SessionSource): void {
    if (this.options.maxPerAddress === 0) return;
    engine.on('connection', (session) => {
      const address = this.settle(session.request, false);
      if (address !== null) session.once('close', () => this.counter.release(address));
    });
    engine.on('connection_error', ({ req }) => void this.settle(req, true));
  }

  /** Ends a handshake's pending state; its slot is given back when `release`. Returns the address it held. */
  private settle(request: IncomingMessage, release: boolean): string | null {
    const pending = this.pending.get(request);
    if (!pending) return null;
    this.pending.delete(request);
    request.socket.off('close', pending.abandon);
    if (release) this.counter.release(pending.address);
    return pending.address;
  }
}
