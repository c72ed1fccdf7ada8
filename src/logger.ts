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

/** The process's JSON logger (the request id rides on every request's line as `requestId`). */
export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({ level: config.logLevel, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } });
}
