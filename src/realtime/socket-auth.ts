import type { FastifyBaseLogger } from 'fastify';
import type { TokenVerifier } from '../auth/jwt.js';
import type { Principal } from '../auth/principal.js';
import { isAppError } from '../errors.js';
import type { LiveServer, LiveSocket } from './live-server.js';
import type { AuthenticateAck, Protocol } from './realtime-events.js';

/** `authenticate` events one socket may send per minute; the others are answered RATE_LIMIT_EXCEEDED. */
export const SIGN_INS_PER_MINUTE = 5;
/** Failed sign-ins after which a socket is disconnected. */
export const MAX_FAILED_SIGN_INS = 5;
const SIGN_IN_WINDOW_MS = 60_000;

/** One socket's sign-in attempts: a sliding minute, and the failures since it connected. */
export class SignInAttempts {
  private readonly times: number[] = [];
  private failures = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Counts an attempt; false (and nothing counted) when the minute already holds the limit. */
  admit(): boolean {
    const now = this.now();
    while (this.times.length > 0 && this.times[0]! <= now - SIGN_IN_WINDOW_MS) this.times.shift();
    if (this.times.length >= SIGN_INS_PER_MINUTE) return false;
    this.times.push(now);
    return true;
  }

  /** Counts a failure; true once the socket has failed too often to be kept. */
  failed(): boolean {
    this.failures += 1;
    return this.failures >= MAX_FAILED_SIGN_INS;
  }
}

export interface SocketAuthOptions {
  verifyToken: TokenVerifier;
  /** Provisions the user, joins the socket to its rooms. */
  signIn: (socket: LiveSocket, principal: Principal) => Promise<void>;
  /** After a sign-in by the `authenticate` event (join the leaderboard, …). */
  afterSignIn: (socket: LiveSocket) => Promise<void>;
  onTooManyFailures?: () => void;
  log: FastifyBaseLogger;
}

/** Why a token was refused, as a socket is told: the HTTP 401's `details` (reason, claim), or UNAVAILABLE. */
export interface SocketRefusal {
  error: 'UNAUTHORIZED' | 'UNAVAILABLE';
  reason?: string;
  claim?: string;
}

function refusalOf(error: unknown): SocketRefusal {
  if (!isAppError(error) || error.code !== 'UNAUTHORIZED') return { error: 'UNAVAILABLE' };
  const { reason, claim } = (error.details ?? {}) as { reason?: string; claim?: string };
  return { error: 'UNAUTHORIZED', ...(reason ? { reason } : {}), ...(claim ? { claim } : {}) };
}

/** A connect_error: the message is the code, `data` carries the reason (socket.io-client's `err.data`). */
function connectError(refusal: SocketRefusal): Error {
  const { error, ...data } = refusal;
  return Object.assign(new Error(error), { data });
}

/**
 * Verifies a token, then continues: synchronously for a token verified at once (HS256), after the
 * key set for the others. `refused` gets what the socket is told.
 */
function withPrincipal(options: SocketAuthOptions, token: string, accepted: (principal: Principal) => void, refused: (refusal: SocketRefusal) => void): void {
  let verified: Principal | Promise<Principal>;
  try {
    verified = options.verifyToken(token);
  } catch (error) {
    return refused(refusalOf(error));
  }
  if (!(verified instanceof Promise)) return accepted(verified);
  verified.then(accepted, (error: unknown) => {
    if (!isAppError(error)) options.log.warn({ err: error }, 'socket token check failed');
    refused(refusalOf(error));
  });
}

/** A bad or missing handshake token is a connect_error `UNAUTHORIZED` (with `data.reason`); no token is an anonymous socket. */
export function useHandshakeAuth(io: LiveServer, options: SocketAuthOptions): void {
  io.use((socket, next) => {
    const auth = (socket.handshake.auth ?? {}) as { token?: unknown; protocol?: unknown };
    const protocol: Protocol = auth.protocol === 'legacy' ? 'legacy' : 'v1';
    socket.data = { protocol, userId: null };
    if (auth.token === undefined || auth.token === null || auth.token === '') return next();
    if (typeof auth.token !== 'string') return next(connectError({ error: 'UNAUTHORIZED', reason: 'TOKEN_MALFORMED' }));
    withPrincipal(
      options,
      auth.token,
      (principal) =>
        options.signIn(socket as LiveSocket, principal).then(
          () => next(),
          (error: unknown) => {
            options.log.warn({ err: error }, 'socket sign-in failed');
            next(new Error('UNAVAILABLE'));
          },
        ),
      (refusal) => next(connectError(refusal)),
    );
  });
}

/**
 * The `authenticate` event: at most SIGN_INS_PER_MINUTE per socket, and a socket whose tokens fail
 * MAX_FAILED_SIGN_INS times is disconnected (each check costs a signature verification, and each
 * valid token a user row).
 */
export function handleAuthenticate(socket: LiveSocket, options: SocketAuthOptions): void {
  const attempts = new SignInAttempts();
  const refuse = (reply: AuthenticateAck, refusal: SocketRefusal) => {
    reply({ ok: false, ...refusal });
    if (refusal.error !== 'UNAUTHORIZED') return;
    // At once, so that the events already received behind this one are not handled: the engine
    // closes the connection only once the ack above is sent.
    if (attempts.failed()) {
      options.onTooManyFailures?.();
      socket.disconnect(true);
    }
  };
  socket.on('authenticate', (payload, ack) => {
    const reply: AuthenticateAck = typeof ack === 'function' ? ack : () => undefined;
    if (!attempts.admit()) return reply({ ok: false, error: 'RATE_LIMIT_EXCEEDED' });
    const token = payload && typeof payload === 'object' ? payload.token : undefined;
    if (typeof token !== 'string' || token === '') return refuse(reply, { error: 'UNAUTHORIZED', reason: 'TOKEN_MISSING' });
    withPrincipal(
      options,
      token,
      (principal) =>
        void options
          .signIn(socket, principal)
          .then(() => options.afterSignIn(socket))
          .then(
            () => reply({ ok: true, userId: principal.userId }),
            () => reply({ ok: false, error: 'UNAVAILABLE' }),
          ),
      (refusal) => refuse(reply, refusal),
    );
  });
}
