import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.js';
import { addressTrust } from '../http/client-address.js';
import type { Metrics } from '../metrics/metrics.js';
import { answerEngineErrorsInEnvelope } from './engine-errors.js';
import type { LiveServer, LiveServerOptions } from './live-server.js';
import { SlowReaderGuard } from './slow-readers.js';
import { SocketAddressCap } from './socket-address-cap.js';

export interface LiveAdmissionOptions {
  config: Pick<Config, 'sockets' | 'trustProxy'>;
  log: FastifyBaseLogger;
  metrics?: Metrics;
}

/** Who may hold a socket, and for how long: made before the server (its `allowRequest`), guarding it after. */
export interface LiveAdmission {
  /** The engine's `allowRequest`: the cap per client address. */
  allowRequest: NonNullable<LiveServerOptions['allowRequest']>;
  /** Follows the server's sessions (the cap's slots, the engine's refusals in the envelope, slow readers cut). */
  guard(io: LiveServer): void;
  stop(): void;
}

/** Admission of Socket.IO sessions: a cap per address, the engine's errors in the envelope, slow readers cut. */
export function createLiveAdmission(options: LiveAdmissionOptions): LiveAdmission {
  const { config, log, metrics } = options;
  const cap = new SocketAddressCap({ maxPerAddress: config.sockets.maxPerIp, trust: addressTrust(config.trustProxy), onRefused: () => metrics?.socketRefused() });
  let slowReaders: SlowReaderGuard | null = null;
  return {
    allowRequest: cap.allowRequest,
    guard(io) {
      cap.watch(io.engine);
      answerEngineErrorsInEnvelope(io.engine);
      slowReaders = new SlowReaderGuard({
        // The engine's sessions by id (public in its JavaScript, protected in its typings).
        sessions: () => (io.engine as unknown as { clients: Record<string, unknown> }).clients,
        maxBufferedBytes: config.sockets.maxBufferedBytes,
        log,
        onDisconnect: () => metrics?.socketDisconnected('slow_reader'),
      });
      slowReaders.start();
    },
    stop() {
      slowReaders?.stop();
    },
  };
}
