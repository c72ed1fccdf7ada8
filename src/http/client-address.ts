import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import type { Config } from '../config.js';

/** Says whether the hop-th address (0: the TCP peer) is a proxy whose `X-Forwarded-For` may be believed. */
export type AddressTrust = (address: string, hop: number) => boolean;

/**
 * The one reading of TRUST_PROXY, shared by Fastify (`request.ip`), the per-address connection caps
 * and Socket.IO, so that every limit counts the same client.
 */
export function addressTrust(trustProxy: Config['trustProxy']): AddressTrust {
  if (trustProxy === true) return () => true;
  if (trustProxy === false) return () => false;
  if (typeof trustProxy === 'number') return (_address, hop) => hop < trustProxy;
  return proxyAddr.compile(trustProxy);
}

/** The client's address as `trust` resolves it through `X-Forwarded-For`. */
export function clientAddressOf(request: IncomingMessage, trust: AddressTrust): string {
  return proxyAddr(request, trust);
}
