import type { FastifyRequest } from 'fastify';
import { forbidden, unauthorized } from '../errors.js';
import { bearerToken, type TokenVerifier } from './jwt.js';
import type { Principal } from './principal.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hooks for authenticated requests. */
    principal?: Principal;
  }
}

export interface AuthHooks {
  /** 401 unless the request carries a valid token; provisions the user on first sight. */
  requireUser(request: FastifyRequest): Promise<void>;
  /**
   * requireUser for the score-update routes, which provision the user in the update's own statement;
   * pair it with `provisionRefused` (onError), which writes the user of a refused attempt.
   */
  requireScorer(request: FastifyRequest): Promise<void>;
  /** onError: provisions the user of a refused attempt (the update's statement did not), before the answer leaves. */
  provisionRefused(request: FastifyRequest): Promise<void>;
  /** Reads a token when there is one; a bad token is still a 401. */
  optionalUser(request: FastifyRequest): Promise<void>;
  /** 401 without a valid token, 403 NOT_ALLOWED unless it carries the admin role. */
  requireAdmin(request: FastifyRequest): Promise<void>;
}

/** Writes the user of a principal on first sight (the users domain's provisioner). */
export type Provision = (principal: Principal) => Promise<void>;

/** Admits an `Authorization: ApiKey` admin (the api-keys domain); false when the request has no such header. */
export type AdminKeyCheck = (request: FastifyRequest) => Promise<boolean>;

export function createAuthHooks(options: { verifyToken: TokenVerifier; provision: Provision; adminKey?: AdminKeyCheck }): AuthHooks {
  async function authenticate(request: FastifyRequest, required: boolean, provision = true): Promise<void> {
    const header = request.headers.authorization;
    if (header === undefined) {
      if (required) throw unauthorized('TOKEN_MISSING', 'Authorization: Bearer <token> is required');
      return;
    }
    const token = bearerToken(header);
    if (!token) throw unauthorized('TOKEN_MALFORMED', 'The Authorization header must be "Bearer <token>"');
    const verified = options.verifyToken(token);
    // HS256 answers at once: no await (a microtask) unless the token needed the key set.
    const principal = verified instanceof Promise ? await verified : verified;
    if (provision) await options.provision(principal);
    request.principal = principal;
  }
  return {
    requireUser: (request) => authenticate(request, true),
    requireScorer: (request) => authenticate(request, true, false),
    async provisionRefused(request) {
      if (request.principal) await options.provision(request.principal);
    },
    optionalUser: (request) => authenticate(request, false),
    async requireAdmin(request) {
      if (await options.adminKey?.(request)) return;
      await authenticate(request, true);
      if (!request.principal?.isAdmin) throw forbidden('NOT_ALLOWED', 'This needs the admin role');
    },
  };
}

/** The authenticated principal; only call on routes guarded by an auth hook. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw unauthorized('TOKEN_MISSING', 'Authentication is required');
  return request.principal;
}

/** 403 NOT_ALLOWED unless the caller is `userId` or an admin. */
export function requireSelfOrAdmin(request: FastifyRequest, userId: string): Principal {
  const principal = principalOf(request);
  if (principal.userId !== userId && !principal.isAdmin) {
    throw forbidden('NOT_ALLOWED', 'Only the user themselves or an admin may do this');
  }
  return principal;
}
