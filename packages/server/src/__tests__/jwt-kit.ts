import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, exportSPKI, generateKeyPair, type JWTPayload, SignJWT } from 'jose';

/** The HS256 secret of the JWT tests (at least 32 bytes). */
export const SECRET = 'spool-test-secret-of-at-least-32-bytes';
export const SECRET_KEY = new TextEncoder().encode(SECRET);

/** Seconds since the epoch, as `exp` counts them. */
export const nowSec = (): number => Math.floor(Date.now() / 1000);

export interface MintOptions {
  alg?: string;
  key?: Uint8Array | CryptoKey;
  kid?: string;
  /** `null` leaves `sub` out. @default 'alice' */
  sub?: string | null;
  /** Seconds since the epoch; `null` leaves `exp` out. @default an hour from now */
  exp?: number | null;
  aud?: string;
  iss?: string;
}

/**
 * A signed JWT with `payload` (its `spool` claim, usually) and the registered claims of
 * `o`, HS256 with {@link SECRET} unless told otherwise.
 */
export async function mint(payload: JWTPayload, o: MintOptions = {}): Promise<string> {
  const jwt = new SignJWT(payload).setProtectedHeader({
    alg: o.alg ?? 'HS256',
    ...(o.kid ? { kid: o.kid } : {}),
  });
  const sub = o.sub === undefined ? 'alice' : o.sub;
  if (sub !== null) jwt.setSubject(sub);
  const exp = o.exp === undefined ? nowSec() + 3600 : o.exp;
  if (exp !== null) jwt.setExpirationTime(exp);
  if (o.aud !== undefined) jwt.setAudience(o.aud);
  if (o.iss !== undefined) jwt.setIssuer(o.iss);
  return jwt.sign(o.key ?? SECRET_KEY);
}

/** An unsecured token (`alg: none`) with a valid-looking payload. */
export function unsecured(payload: JWTPayload): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'mallory', exp: nowSec() + 3600, ...payload })}.`;
}

/** A key pair with its public key as PEM. */
export async function keyPair(alg: 'RS256' | 'ES256') {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return { publicKey, privateKey, pem: await exportSPKI(publicKey) };
}

/** A JWKS endpoint on 127.0.0.1:0 serving `keys`; counts its fetches. */
export async function startJwks(keys: Array<{ key: CryptoKey; kid: string; alg: string }>) {
  const jwks = {
    keys: await Promise.all(
      keys.map(async (k) => ({ ...(await exportJWK(k.key)), kid: k.kid, alg: k.alg, use: 'sig' })),
    ),
  };
  let fetches = 0;
  const server: Server = createServer((_req, res) => {
    fetches++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get fetches() {
      return fetches;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
