import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { addressTrust } from './client-address.js';
import { answerUnmetExpectation, handleClientError, lacksHost } from './client-error-handler.js';
import { ConnectionGuard } from './connection-guard.js';
import { sendError } from './error-handler.js';
import { httpServerOptions } from './http-server-options.js';
import { requestIdOf } from './request-id.js';
import { securityHeaders } from './security-headers.js';

export interface FastifyInstanceOptions {
  logger?: FastifyBaseLogger;
  https?: { cert: Buffer; key: Buffer; minVersion: 'TLSv1.3' } | null;
}

/**
 * The Fastify instance with everything that answers before routing: request ids, the envelope for
 * what Node's parser or the router refuses, server timeouts and the per-address connection cap.
 */
export function createFastify(config: Config, options: FastifyInstanceOptions) {
  const server = httpServerOptions(config.http);
  const app = Fastify({
    ...server.fastify,
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: config.bodyLimitBytes,
    // A plugin's start is slow on a loaded machine, not stuck: Fastify's 10 s default failed a start
    // (the API docs' plugin, beside three other test processes at a load average of 14 on 2 cores).
    pluginTimeout: 60_000,
    trustProxy: addressTrust(config.trustProxy),
    // User ids may be 255 characters, percent-encoded up to three times that.
    routerOptions: { maxParamLength: 1024 },
    // Malformed URLs (bad percent-encoding) get the envelope too.
    frameworkErrors: (error, request, reply) => {
      reply.header('x-request-id', request.id);
      return sendError(request, reply, new AppError('INVALID_REQUEST', `Malformed request: ${error.message.slice(0, 200)}`));
    },
    requestIdHeader: false,
    genReqId: (request) => requestIdOf(request.headers),
    // Answered in the envelope (see `guardRequests`): Fastify's own 503 while closing is a bare body.
    return503OnClosing: false,
    // What Node's parser refuses (oversized headers, bad framing, timeouts) gets the envelope too.
    clientErrorHandler: handleClientError,
    ...(options.https ? { https: { ...options.https, ...server.node } } : { http: server.node }),
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.server.on('checkExpectation', answerUnmetExpectation);
  const connectionGuard = new ConnectionGuard({
    maxPerAddress: config.http.maxConnectionsPerIp,
    trust: addressTrust(config.trustProxy),
    tls: Boolean(options.https),
  });
  connectionGuard.attach(app.server);
  app.decorate('connectionGuard', connectionGuard);
  return app;
}

/**
 * Every answer's security headers and request id; once the app is closing, 503 in the envelope;
 * an HTTP/1.1 request without Host, 400.
 */
export function guardRequests(app: FastifyInstance, config: Config, https: boolean): void {
  const headers = securityHeaders({
    // The pages load only their own scripts and styles; the API answers JSON.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'", 'ws:', 'wss:'],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        // Would send a page served over plain HTTP (a LAN address, say) looking for HTTPS.
        upgradeInsecureRequests: https ? [] : null,
      },
    },
    strictTransportSecurity: https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    crossOriginResourcePolicy: { policy: config.corsOrigins.length > 0 ? 'cross-origin' : 'same-origin' },
  });
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.headers(headers).header('x-request-id', request.id);
    if (closing) {
      reply.header('connection', 'close');
      return sendError(request, reply, new AppError('SERVICE_UNAVAILABLE', 'The server is shutting down; retry', { retryAfterSec: 1 }));
    }
    if (lacksHost(request.raw)) {
      reply.header('connection', 'close');
      return sendError(request, reply, new AppError('INVALID_REQUEST', 'An HTTP/1.1 request must carry a Host header'));
    }
  });
}
