import type { FastifyBaseLogger } from 'fastify';
import type { TokenVerifier } from '../auth/jwt.js';
import type { Principal } from '../auth/principal.js';
import type { LiveServer, LiveSocket } from './live-server.js';
import type { AuthenticateAck, Protocol } from './realtime-events.js';

export interface SocketAuthOptions {
  verifyToken: TokenVerifier;
  /** Provisions the user, joins the socket to its rooms. */
  signIn: (socket: LiveSocket, principal: Principal) => Promise<void>;
  /** After a sign-in by the `authenticate` event (join the leaderboard, …). */
  afterSignIn: (socket: LiveSocket) => Promise<void>;
  log: FastifyBaseLogger;
}

/** A bad or missing handshake token is a connect_error `UNAUTHORIZED`; no token is an anonymous socket. */
export function useHandshakeAuth(io: LiveServer, options: SocketAuthOptions): void {
  io.use((socket, next) => {
    const auth = (socket.handshake.auth ?? {}) as { token?: unknown; protocol?: unknown };
    const protocol: Protocol = auth.protocol === 'legacy' ? 'legacy' : 'v1';
    socket.data = { protocol, userId: null };
    if (auth.token === undefined || auth.token === null || auth.token === '') return next();
    if (typeof auth.token !== 'string') return next(new Error('UNAUTHORIZED'));
    let principal: Principal;
    try {
      principal = options.verifyToken(auth.token);
    } catch {
      return next(new Error('UNAUTHORIZED'));
    }
    options.signIn(socket as LiveSocket, principal).then(
      () => next(),
      (error: unknown) => {
        options.log.warn({ err: error }, 'socket sign-in failed');
        next(new Error('UNAVAILABLE'));
      },
    );
  });
}

/** The `authenticate` event: ack `{ok, userId}` or `{ok: false, error}`. */
export function handleAuthenticate(socket: LiveSocket, options: SocketAuthOptions): void {
  socket.on('authenticate', (payload, ack) => {
    const reply: AuthenticateAck = typeof ack === 'function' ? ack : () => undefined;
    const token = payload && typeof payload === 'object' ? payload.token : undefined;
    if (typeof token !== 'string' || token === '') return reply({ ok: false, error: 'UNAUTHORIZED' });
    let principal: Principal;
    try {
      principal = options.verifyToken(token);
    } catch {
      return reply({ ok: false, error: 'UNAUTHORIZED' });
    }
    options
      .signIn(socket, principal)
      .then(() => options.afterSignIn(socket))
      .then(
        () => reply({ ok: true, userId: principal.userId }),
        () => reply({ ok: false, error: 'UNAVAILABLE' }),
      );
  });
}
