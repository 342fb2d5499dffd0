import { SpoolError } from '../errors';
import { PROTOCOL_V1 } from './messages';

/**
 * The prefix of the `Sec-WebSocket-Protocol` entry that carries a token, for browsers,
 * whose `WebSocket` cannot set an `Authorization` header.
 */
export const AUTH_SUBPROTOCOL_PREFIX = 'spool.auth.';

/** The query parameter that may carry the token instead: `/v1/ws?access_token=...`. */
export const ACCESS_TOKEN_QUERY_PARAM = 'access_token';

// A subprotocol entry must be an HTTP token (RFC 6455 section 4.1, RFC 9110 section 5.6.2).
const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The subprotocols a client offers: `spool.v1`, then `spool.auth.<token>` when it has a
 * token. The server answers with `spool.v1` only, never echoing the token.
 *
 * @throws SpoolError `INVALID_OPTION` when the token holds characters an HTTP token cannot
 *   (spaces, `=`, `/`, ...): encode it as base64url first, or use the `access_token` query.
 * @example new WebSocket(url, spoolSubprotocols(token)) // ['spool.v1', 'spool.auth.<token>']
 */
export function spoolSubprotocols(token?: string): string[] {
  if (token === undefined) return [PROTOCOL_V1];
  if (typeof token !== 'string' || !TOKEN_RE.test(token)) {
    throw new SpoolError(
      'INVALID_OPTION',
      "The token cannot travel in Sec-WebSocket-Protocol: it must be a non-empty HTTP token (letters, digits and !#$%&'*+-.^_`|~). Encode it as base64url, or pass it as the `access_token` query parameter.",
    );
  }
  return [PROTOCOL_V1, AUTH_SUBPROTOCOL_PREFIX + token];
}

/**
 * The token from a `Sec-WebSocket-Protocol` request header (the raw comma-separated value
 * or the list of entries), or undefined when no `spool.auth.` entry holds one.
 *
 * @example tokenFromSubprotocols('spool.v1, spool.auth.abc') // 'abc'
 */
export function tokenFromSubprotocols(
  offered: string | readonly string[] | undefined | null,
): string | undefined {
  if (offered == null) return undefined;
  const entries = typeof offered === 'string' ? offered.split(',') : offered;
  for (const raw of entries) {
    const entry = typeof raw === 'string' ? raw.trim() : '';
    if (entry.startsWith(AUTH_SUBPROTOCOL_PREFIX) && entry.length > AUTH_SUBPROTOCOL_PREFIX.length) {
      return entry.slice(AUTH_SUBPROTOCOL_PREFIX.length);
    }
  }
  return undefined;
}
