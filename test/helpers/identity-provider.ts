import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';

export type IdpAlgorithm = 'RS256' | 'ES256' | 'EdDSA';

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

interface IdpKey {
  kid: string;
  alg: IdpAlgorithm;
  privateKey: KeyPair['privateKey'];
  publicKey: KeyPair['publicKey'];
  jwk: JWK;
}

/** A studio's identity provider for tests: a JWKS document on 127.0.0.1 and the private keys that sign its tokens. */
export interface TestIdentityProvider {
  /** The JWKS document's URL (JWT_JWKS_URL). */
  url: string;
  /** GET requests the document has had. */
  requests(): number;
  /** The Cache-Control header sent with the document; null sends none. */
  cacheControl: string | null;
  /** A new key, published in the document from now on. */
  addKey(alg: IdpAlgorithm, kid?: string): Promise<string>;
  /** Takes a key out of the document (its private key still signs, for tests of removal). */
  removeKey(kid: string): void;
  /** The PEM (SPKI) of a key's public half. */
  publicPem(kid: string): Promise<string>;
  /** A token signed with the key `kid`: `exp` one hour away and `iat` now unless the claims say otherwise. */
  sign(kid: string, claims: JWTPayload & Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

export async function startIdentityProvider(options: { cacheControl?: string | null } = {}): Promise<TestIdentityProvider> {
  const keys = new Map<string, IdpKey>();
  const published = new Set<string>();
  let requests = 0;
  let counter = 0;
  const server: Server = createServer((request, response) => {
    requests += 1;
    const body = JSON.stringify({ keys: [...published].map((kid) => keys.get(kid)!.jwk) });
    response.writeHead(200, {
      'content-type': 'application/json',
      ...(idp.cacheControl ? { 'cache-control': idp.cacheControl } : {}),
    });
    response.end(request.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const keyOf = (kid: string) => {
    const key = keys.get(kid);
    if (!key) throw new Error(`no key ${kid}`);
    return key;
  };
  const idp: TestIdentityProvider = {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    requests: () => requests,
    cacheControl: options.cacheControl === undefined ? 'public, max-age=600' : options.cacheControl,
    async addKey(alg, kid = `${alg.toLowerCase()}-${++counter}`) {
      const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
      const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
      keys.set(kid, { kid, alg, privateKey, publicKey, jwk });
      published.add(kid);
      return kid;
    },
    removeKey(kid) {
      published.delete(kid);
    },
    publicPem: (kid) => exportSPKI(keyOf(kid).publicKey),
    async sign(kid, claims, header = {}) {
      const key = keyOf(kid);
      const nowSec = Math.floor(Date.now() / 1000);
      return new SignJWT({ iat: nowSec, exp: nowSec + 3600, ...claims })
        .setProtectedHeader({ alg: key.alg, kid, typ: 'JWT', ...header })
        .sign(key.privateKey);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // The fetches keep their connections alive: without this, close waits for them.
        server.closeAllConnections();
      }),
  };
  return idp;
}
