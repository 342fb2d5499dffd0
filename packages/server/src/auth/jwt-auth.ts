import { SpoolError } from '@spool/core';
import {
  createRemoteJWKSet,
  errors,
  importSPKI,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  jwtVerify,
} from 'jose';
import type { Principal } from './principal';
import { spkiKeyType } from './spki';
import type { TopicGrants } from './topic-grants';

/**
 * JWT verification options of `createSpool({ auth: { jwt } })`. Exactly one key source:
 * `secret`, `publicKey` or `jwksUrl`. The CLI reads them from `SPOOL_JWT_SECRET`,
 * `SPOOL_JWT_PUBLIC_KEY`, `SPOOL_JWT_JWKS_URL`, `SPOOL_JWT_AUDIENCE` and `SPOOL_JWT_ISSUER`.
 * See docs/security.md, "Tokens and what they grant".
 */
export interface JwtOptions {
  /** A shared secret of at least 32 bytes: tokens must be HS256. */
  secret?: string;
  /** A public key as PEM (SPKI): an RSA key accepts RS256 only, a P-256 key ES256 only. */
  publicKey?: string;
  /**
   * A JWKS URL (keys are fetched on first use, cached, and fetched again for an unknown
   * `kid`): RS256 with RSA keys, ES256 with P-256 keys.
   */
  jwksUrl?: string;
  /** The required `aud`. @default undefined (not checked) */
  audience?: string;
  /** The required `iss`. @default undefined (not checked) */
  issuer?: string;
}

/** The JWT form of a principal: its `id` is `jwt:<sub>`, so it never collides with a static token's. */
export interface JwtPrincipal extends Principal {
  /** The JWT's `sub` claim. */
  sub: string;
  grants: TopicGrants;
  expiresAt: number;
}

const MIN_SECRET_BYTES = 32;
const GRANT_LISTS = ['subscribe', 'publish', 'produce', 'broker'] as const;

type KeySource = { key: Uint8Array | Promise<CryptoKey> | JWTVerifyGetKey; algorithms: string[] };

/**
 * Verifies a compact JWT into a {@link JwtPrincipal}. The algorithm is pinned to the key
 * type, so `none` and an algorithm of another key type (an HS256 token signed with an RSA
 * public key as its secret, the classic confusion) are refused.
 *
 * @throws SpoolError `INVALID_OPTION` at construction for bad options
 * @example
 * const verify = jwtVerifier({ secret: process.env.SPOOL_JWT_SECRET! });
 * const principal = await verify(token); // throws UNAUTHENTICATED or TOKEN_EXPIRED
 */
export function jwtVerifier(options: JwtOptions): (token: string) => Promise<JwtPrincipal> {
  const source = keySourceOf(options);
  const verifyOptions: JWTVerifyOptions = {
    algorithms: source.algorithms,
    requiredClaims: ['sub', 'exp'],
  };
  if (options.audience !== undefined) verifyOptions.audience = options.audience;
  if (options.issuer !== undefined) verifyOptions.issuer = options.issuer;
  return async (token) => {
    let payload: JWTPayload;
    try {
      const key = source.key instanceof Promise ? await source.key : source.key;
      const result =
        typeof key === 'function'
          ? await jwtVerify(token, key, verifyOptions)
          : await jwtVerify(token, key, verifyOptions);
      payload = result.payload;
    } catch (err) {
      throw refusalOf(err);
    }
    return principalOf(payload);
  };
}

function keySourceOf(options: JwtOptions): KeySource {
  if (typeof options !== 'object' || options === null) {
    throw new SpoolError('INVALID_OPTION', '`auth.jwt` must be an object such as { secret } or { jwksUrl }.');
  }
  for (const key of ['secret', 'publicKey', 'jwksUrl', 'audience', 'issuer'] as const) {
    const v = options[key];
    if (v !== undefined && (typeof v !== 'string' || v === '')) {
      throw new SpoolError('INVALID_OPTION', `\`auth.jwt.${key}\` must be a non-empty string.`);
    }
  }
  const given = (['secret', 'publicKey', 'jwksUrl'] as const).filter((k) => options[k] !== undefined);
  if (given.length !== 1) {
    throw new SpoolError(
      'INVALID_OPTION',
      given.length === 0
        ? '`auth.jwt` needs a key: `secret` (SPOOL_JWT_SECRET), `publicKey` (SPOOL_JWT_PUBLIC_KEY) or `jwksUrl` (SPOOL_JWT_JWKS_URL).'
        : `\`auth.jwt\` takes one key source, got ${given.join(' and ')}: keep one.`,
    );
  }
  if (options.secret !== undefined) {
    const key = new TextEncoder().encode(options.secret);
    if (key.byteLength < MIN_SECRET_BYTES) {
      throw new SpoolError(
        'INVALID_OPTION',
        `\`auth.jwt.secret\` (SPOOL_JWT_SECRET) must be at least ${MIN_SECRET_BYTES} bytes, got ${key.byteLength}: generate one with \`openssl rand -base64 48\`.`,
      );
    }
    return { key, algorithms: ['HS256'] };
  }
  if (options.publicKey !== undefined) {
    // Environment variables often carry a PEM with its newlines escaped.
    const pem = options.publicKey.replace(/\\n/g, '\n').trim();
    if (/PRIVATE KEY/.test(pem)) {
      throw new SpoolError(
        'INVALID_OPTION',
        '`auth.jwt.publicKey` (SPOOL_JWT_PUBLIC_KEY) holds a private key: give the server the public key only.',
      );
    }
    const alg = algorithmOfPem(pem);
    // WebCrypto imports asynchronously; the DER read above has already checked the PEM. The
    // no-op catch keeps a rejection from being unhandled before the first token awaits it.
    const key = importSPKI(pem, alg);
    key.catch(() => {});
    return { key, algorithms: [alg] };
  }
  let url: URL;
  try {
    url = new URL(options.jwksUrl!);
  } catch {
    throw new SpoolError('INVALID_OPTION', '`auth.jwt.jwksUrl` (SPOOL_JWT_JWKS_URL) must be a URL.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new SpoolError('INVALID_OPTION', '`auth.jwt.jwksUrl` (SPOOL_JWT_JWKS_URL) must be an http(s) URL.');
  }
  // jose picks the JWK by `kid` and by a key type that fits the token's `alg`, caches the set
  // (10 min) and refetches at most every 30 s for an unknown `kid`.
  return { key: createRemoteJWKSet(url), algorithms: ['RS256', 'ES256'] };
}

function algorithmOfPem(pem: string): 'RS256' | 'ES256' {
  let type: string | undefined;
  let curve: string | undefined;
  try {
    ({ type, curve } = spkiKeyType(pem));
  } catch (cause) {
    throw new SpoolError(
      'INVALID_OPTION',
      '`auth.jwt.publicKey` (SPOOL_JWT_PUBLIC_KEY) is not a PEM public key ("-----BEGIN PUBLIC KEY-----").',
      { cause },
    );
  }
  if (type === 'rsa') return 'RS256';
  if (type === 'ec' && curve === 'prime256v1') return 'ES256';
  throw new SpoolError(
    'INVALID_OPTION',
    `\`auth.jwt.publicKey\` must be an RSA key (RS256) or a P-256 EC key (ES256), got ${type ?? 'unknown'}${curve ? ` ${curve}` : ''}.`,
  );
}

function refusalOf(err: unknown): SpoolError {
  if (err instanceof errors.JWTExpired) {
    return new SpoolError('TOKEN_EXPIRED', 'The token has expired: get a fresh one.', { cause: err });
  }
  if (
    err instanceof errors.JWKSTimeout ||
    err instanceof errors.JWKSInvalid ||
    !(err instanceof errors.JOSEError)
  ) {
    // The key set could not be fetched: not the caller's fault, and nobody can be verified.
    return new SpoolError('UNAVAILABLE', 'The JWT key set (SPOOL_JWT_JWKS_URL) cannot be fetched.', {
      cause: err,
    });
  }
  const why =
    err instanceof errors.JWTClaimValidationFailed
      ? `claim "${err.claim}" ${err.reason === 'missing' ? 'is missing' : 'is not accepted'}`
      : err instanceof errors.JOSEAlgNotAllowed
        ? 'its algorithm is not the one of the configured key'
        : err instanceof errors.JWSSignatureVerificationFailed
          ? 'its signature does not verify'
          : err instanceof errors.JWKSNoMatchingKey
            ? 'no key of the key set matches it'
            : 'it is malformed';
  return new SpoolError('UNAUTHENTICATED', `Invalid token: ${why}.`, { cause: err });
}

function principalOf(payload: JWTPayload): JwtPrincipal {
  const { sub, exp } = payload;
  if (typeof sub !== 'string' || sub === '') throw malformed('`sub` must be a non-empty string');
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw malformed('`exp` must be a number');
  const grants = grantsOf(payload.spool);
  return {
    id: `jwt:${sub}`,
    role: grants.admin ? 'admin' : 'user',
    sub,
    grants,
    expiresAt: exp * 1000,
  };
}

function grantsOf(claim: unknown): TopicGrants {
  if (claim === undefined) return { subscribe: [], publish: [], produce: [], broker: [], admin: false };
  if (typeof claim !== 'object' || claim === null || Array.isArray(claim)) {
    throw malformed('the `spool` claim must be an object');
  }
  const c = claim as Record<string, unknown>;
  const lists = {} as Record<(typeof GRANT_LISTS)[number], readonly string[]>;
  for (const name of GRANT_LISTS) {
    const v = c[name];
    if (v === undefined) {
      lists[name] = [];
      continue;
    }
    if (!Array.isArray(v) || !v.every((p) => typeof p === 'string' && p !== '')) {
      throw malformed(`\`spool.${name}\` must be an array of topic patterns`);
    }
    lists[name] = Object.freeze([...v]);
  }
  if (c.admin !== undefined && typeof c.admin !== 'boolean')
    throw malformed('`spool.admin` must be a boolean');
  return Object.freeze({ ...lists, admin: c.admin === true });
}

function malformed(why: string): SpoolError {
  return new SpoolError('UNAUTHENTICATED', `Invalid token: ${why}.`);
}
