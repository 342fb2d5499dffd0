import { AUTH_SUBPROTOCOL_PREFIX, SpoolError } from '@spool/core';
import type { Principal } from './principal';
import { bytesEqual, toHex, tokenDigest } from './token-digest';

/** Bearer tokens by role. */
export interface TokenConfig {
  /** Tokens with the admin role. */
  admin?: string[];
  /** Tokens with the user role. */
  user?: string[];
}

/**
 * The prefixes of a `Sec-WebSocket-Protocol` entry that carries a token (browsers cannot
 * set headers): `spool.token.<token>`, and core's `spool.auth.<token>` (what
 * `spoolSubprotocols(token)` of @spool/core offers). Both are accepted.
 */
export const TOKEN_SUBPROTOCOL_PREFIXES = ['spool.token.', AUTH_SUBPROTOCOL_PREFIX] as const;

/**
 * The token a request carries, from (in order) `Authorization: Bearer <token>`, the
 * `access_token` query parameter, or a `Sec-WebSocket-Protocol` entry `spool.token.<token>` (or `spool.auth.<token>`).
 *
 * @example extractToken(new Request('http://x/?access_token=abc')) // 'abc'
 */
export function extractToken(request: Request): string | undefined {
  const header = request.headers.get('authorization');
  if (header) {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    if (m) return m[1];
  }
  const query = new URL(request.url).searchParams.get('access_token');
  if (query) return query;
  const protocols = request.headers.get('sec-websocket-protocol');
  if (protocols) {
    for (const entry of protocols.split(',')) {
      const p = entry.trim();
      for (const prefix of TOKEN_SUBPROTOCOL_PREFIXES) {
        if (p.startsWith(prefix) && p.length > prefix.length) return p.slice(prefix.length);
      }
    }
  }
  return undefined;
}

interface TokenEntry {
  digest: Uint8Array;
  principal: Principal;
}

/**
 * The default `authenticate` hook: bearer tokens by role. Tokens are compared by their
 * SHA-256 digests in constant time, so timing reveals nothing about a near miss; a
 * principal's `id` is a digest prefix, never the token itself (it shows in stats and logs).
 *
 * @example
 * const authenticate = tokenAuthenticator({ admin: [process.env.SPOOL_ADMIN_TOKEN!] });
 * const principal = await authenticate(request); // Principal | undefined
 */
export function tokenAuthenticator(
  tokens: TokenConfig,
): (request: Request) => Promise<Principal | undefined> {
  const configured: { role: 'admin' | 'user'; token: string }[] = [];
  for (const role of ['admin', 'user'] as const) {
    const list = tokens[role] ?? [];
    if (!Array.isArray(list)) {
      throw new SpoolError('INVALID_OPTION', `\`auth.tokens.${role}\` must be an array of strings.`);
    }
    for (const token of list) {
      if (typeof token !== 'string' || token.length < 8 || /[\s,]/.test(token)) {
        throw new SpoolError(
          'INVALID_OPTION',
          `Every token in \`auth.tokens.${role}\` must be a string of at least 8 characters without spaces or commas.`,
        );
      }
      configured.push({ role, token });
    }
  }
  // WebCrypto digests are asynchronous: computed once, awaited by the first requests.
  const entries: Promise<TokenEntry[]> = Promise.all(
    configured.map(async ({ role, token }) => {
      const digest = await tokenDigest(token);
      return { digest, principal: Object.freeze({ id: `${role}:${toHex(digest.subarray(0, 6))}`, role }) };
    }),
  );
  return async (request) => {
    const token = extractToken(request);
    if (token === undefined) return undefined;
    const [known, digest] = await Promise.all([entries, tokenDigest(token)]);
    let found: Principal | undefined;
    // Compare against every entry (no early exit) so the time does not depend on the match.
    for (const e of known) if (bytesEqual(e.digest, digest) && !found) found = e.principal;
    return found;
  };
}

/** True when `tokens` names at least one token. */
export function hasTokens(tokens: TokenConfig | undefined): boolean {
  return (tokens?.admin?.length ?? 0) + (tokens?.user?.length ?? 0) > 0;
}
