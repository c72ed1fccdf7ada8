import { pino, type Logger } from 'pino';
import type { Config } from './config.js';

/** Paths that may carry secrets; pino writes `[redacted]` in their place. */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-client-signature"]',
  'req.headers.cookie',
  'token',
  '*.token',
  'clientSignature',
  '*.clientSignature',
];

/** Query parameters whose values are never logged (the API takes none, but clients may send them). */
const SENSITIVE_QUERY_PARAMETER = /^(token|access_?token|id_?token|refresh_?token|jwt|auth|authorization|(client_?)?signature|secret|password|api_?key|key)$/i;

/** The URL with the values of sensitive query parameters replaced by `[redacted]`. */
export function redactUrl(url: string): string {
  const start = url.indexOf('?');
  if (start < 0) return url;
  const query = url
    .slice(start + 1)
    .split('&')
    .map((part) => {
      const equals = part.indexOf('=');
      if (equals < 0) return part;
      const name = part.slice(0, equals);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        // Malformed percent-encoding: judge the raw name.
      }
      return SENSITIVE_QUERY_PARAMETER.test(decoded) ? `${name}=[redacted]` : part;
    });
  return `${url.slice(0, start)}?${query.join('&')}`;
}

interface LoggedRequest {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  headers?: Record<string, unknown>;
  socket?: { remotePort?: number };
}

/** Fastify's request serializer, with the URL's secrets redacted. */
function serializeRequest(req: LoggedRequest) {
  return {
    method: req.method,
    url: typeof req.url === 'string' ? redactUrl(req.url) : req.url,
    version: req.headers?.['accept-version'],
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

/** The process's JSON logger (Fastify puts the request id on every request's line as `reqId`). */
export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({
    level: config.logLevel,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: { req: serializeRequest },
  });
}
