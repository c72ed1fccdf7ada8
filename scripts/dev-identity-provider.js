#!/usr/bin/env node
// A stand-in for a studio's identity provider, for trying JWT_JWKS_URL on one machine: one RS256 key
// (new at every start), its JWKS document, and tokens minted on request. Never for production.
//
//   node scripts/dev-identity-provider.js [port]        (default 8081; listens on 127.0.0.1 only)
//   GET /.well-known/jwks.json                           the public key, Cache-Control: max-age=300
//   GET /token?sub=ada&name=Ada&admin=1&ttl=3600         a token: iss http://127.0.0.1:PORT/, aud scoreboard
import { createServer } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

const port = Number(process.argv[2] ?? 8081);
const issuer = `http://127.0.0.1:${port}/`;
const audience = 'scoreboard';
const kid = `dev-${Date.now().toString(36)}`;
const { privateKey, publicKey } = await generateKeyPair('RS256');
const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }] });

async function token(query) {
  const sub = query.get('sub');
  if (!sub) throw new Error('sub is required: /token?sub=ada');
  const ttlSec = Number(query.get('ttl') ?? 3600);
  const claims = { name: query.get('name') ?? sub, ...(query.get('admin') === '1' ? { roles: ['admin'] } : {}) };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
    .setSubject(sub)
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSec)
    .sign(privateKey);
}

createServer(async (request, response) => {
  const url = new URL(request.url ?? '/', issuer);
  try {
    if (url.pathname === '/.well-known/jwks.json') {
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' }).end(jwks);
    } else if (url.pathname === '/token') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end(`${await token(url.searchParams)}\n`);
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('GET /.well-known/jwks.json or /token?sub=ID\n');
    }
  } catch (error) {
    response.writeHead(400, { 'content-type': 'text/plain' }).end(`${error.message}\n`);
  }
}).listen(port, '127.0.0.1', () => {
  process.stdout.write(
    `Development identity provider on ${issuer}\n` +
      `  JWT_JWKS_URL=${issuer}.well-known/jwks.json JWT_ISSUER=${issuer} JWT_AUDIENCE=${audience}\n` +
      `  a token: curl -s '${issuer}token?sub=ada&name=Ada'\n`,
  );
});
