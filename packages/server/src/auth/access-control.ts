import { SpoolError, SYS_TOPIC } from '@spool/core';
import { connectionInfoOf } from '../http/node-bridge';
import { type JwtOptions, jwtVerifier } from './jwt-auth';
import { isLoopback } from './loopback';
import { checkLoopbackHost, checkOrigin } from './origin';
import { type Action, LOCAL_PRINCIPAL, type Principal } from './principal';
import { extractToken, hasTokens, type TokenConfig, tokenAuthenticator } from './token-auth';
import { grantsAllow } from './topic-grants';

/** Auth options of `createSpool`. */
export interface AuthOptions {
  /**
   * Bearer tokens by role, enforced everywhere when any is set.
   * @default undefined (no token: the open local mode, loopback only)
   */
  tokens?: TokenConfig;
  /**
   * JWT verification: with a key set, every request needs a valid token (loopback
   * included), and a non-loopback bind is allowed. Static `tokens` keep working beside it.
   * Claims, patterns and expiry: docs/security.md.
   * @default undefined (no JWT)
   */
  jwt?: JwtOptions;
  /**
   * Replaces the token check: return the caller, or undefined/null for 401.
   * @default the bearer-token check over `tokens`
   */
  authenticate?: (request: Request) => Principal | undefined | null | Promise<Principal | undefined | null>;
  /**
   * Decides whether `principal` may do `action` on `topic`; false means 403.
   * @default {@link defaultAuthorize}
   */
  authorize?: (principal: Principal, action: Action, topic: string | undefined) => boolean | Promise<boolean>;
  /**
   * Browser origins allowed on every route, SSE and the WebSocket (`'*'` for any); others
   * get 403 `ORIGIN_NOT_ALLOWED`, and allowed ones the CORS headers. Requests without an
   * `Origin` header (not a browser) always pass.
   * @default undefined (any origin with tokens; loopback origins only in the open local mode)
   */
  allowedOrigins?: string[];
}

/** How requests are authenticated. */
export type AuthMode = 'local' | 'tokens' | 'jwt' | 'custom';

/**
 * The default `authorize`: a principal with `grants` (a JWT) may do what its patterns
 * allow; otherwise admins may do everything, users everything except the `admin` action
 * and topics starting with `$` (such as `$sys`, the operators' stats).
 *
 * @example defaultAuthorize({ id: 'u', role: 'user' }, 'subscribe', '$sys') // false
 */
export function defaultAuthorize(principal: Principal, action: Action, topic: string | undefined): boolean {
  if (principal.grants !== undefined) return grantsAllow(principal.grants, action, topic);
  if (principal.role === 'admin') return true;
  if (action === 'admin') return false;
  return !(topic?.startsWith('$') ?? false);
}

/**
 * Authentication, authorization and the origin check in one place, for the HTTP routes,
 * SSE and the WebSocket adapter alike. Implements ARCHITECTURE's "`spool serve` defaults":
 * with no token and no hook, every caller is the local admin, but only on loopback.
 *
 * @example
 * const access = new AccessControl({ tokens: { admin: ['s3cret-admin'] } });
 * const principal = await access.authenticate(request); // throws UNAUTHENTICATED
 * await access.authorize(principal, 'subscribe', SYS_TOPIC); // throws FORBIDDEN
 */
export class AccessControl {
  /**
   * How callers authenticate: `local` (no token, loopback only), `tokens`, `jwt`, or `custom` (an
   * `authenticate` hook).
   */
  readonly mode: AuthMode;
  private readonly authenticateHook: NonNullable<AuthOptions['authenticate']> | undefined;
  private readonly authorizeHook: NonNullable<AuthOptions['authorize']>;
  private readonly allowedOrigins: readonly string[] | undefined;

  constructor(options: AuthOptions = {}) {
    if (options.authenticate !== undefined && typeof options.authenticate !== 'function') {
      throw new SpoolError(
        'INVALID_OPTION',
        '`auth.authenticate` must be a function (request) => Principal | undefined.',
      );
    }
    if (options.authorize !== undefined && typeof options.authorize !== 'function') {
      throw new SpoolError(
        'INVALID_OPTION',
        '`auth.authorize` must be a function (principal, action, topic) => boolean.',
      );
    }
    if (options.allowedOrigins !== undefined && !Array.isArray(options.allowedOrigins)) {
      throw new SpoolError(
        'INVALID_OPTION',
        '`auth.allowedOrigins` must be an array of origins such as "https://app.example.com".',
      );
    }
    if (options.authenticate && options.jwt !== undefined) {
      throw new SpoolError(
        'INVALID_OPTION',
        '`auth.authenticate` replaces the built-in checks, so `auth.jwt` would be ignored: keep one.',
      );
    }
    if (options.authenticate) {
      this.mode = 'custom';
      this.authenticateHook = options.authenticate;
    } else if (options.jwt !== undefined) {
      this.mode = 'jwt';
      this.authenticateHook = jwtAuthenticator(options.jwt, options.tokens);
    } else if (hasTokens(options.tokens)) {
      this.mode = 'tokens';
      this.authenticateHook = tokenAuthenticator(options.tokens!);
    } else {
      this.mode = 'local';
      this.authenticateHook = undefined;
    }
    this.authorizeHook = options.authorize ?? defaultAuthorize;
    this.allowedOrigins = options.allowedOrigins;
  }

  /**
   * The caller of `request`.
   * @throws SpoolError `UNAUTHENTICATED`
   */
  async authenticate(request: Request): Promise<Principal> {
    if (this.mode === 'local') {
      // Defence in depth: even if a local-mode server ends up reachable from elsewhere, a
      // connection that did not come from loopback gets no admin rights.
      const info = connectionInfoOf(request);
      if (info?.remoteAddress !== undefined && !isLoopback(info.remoteAddress)) throw unauthenticated();
      return LOCAL_PRINCIPAL;
    }
    const principal = await this.authenticateHook!(request);
    if (!principal) throw unauthenticated();
    return principal;
  }

  /**
   * Checks that `principal` may do `action` on `topic`.
   * @throws SpoolError `FORBIDDEN`
   */
  async authorize(principal: Principal, action: Action, topic?: string): Promise<void> {
    if (action === 'subscribe' && topic === SYS_TOPIC && principal.role !== 'admin')
      throw forbidden(action, topic);
    // `$` topics are the server's own (`$sys` carries its stats): no caller writes to one,
    // admins and custom hooks included.
    if ((action === 'publish' || action === 'produce') && topic?.startsWith('$'))
      throw forbidden(action, topic);
    if (!(await this.authorizeHook(principal, action, topic))) throw forbidden(action, topic);
  }

  /**
   * The origin check alone (part of {@link checkHostAndOrigin}).
   * @throws SpoolError `ORIGIN_NOT_ALLOWED`
   */
  checkOrigin(request: Request): void {
    checkOrigin(request, this.allowedOrigins, this.mode === 'local');
  }

  /**
   * The first check of every request, on every route, SSE and the WebSocket alike: a
   * browser's `Origin` must pass {@link checkOrigin}, and in the open local mode the `Host`
   * must be a loopback name or address too, against DNS rebinding (a rebound page has no
   * token, so the other modes need no Host check). See docs/http-api.md, "Host, Origin
   * and CORS".
   * @throws SpoolError `HOST_NOT_ALLOWED`, `ORIGIN_NOT_ALLOWED`
   */
  checkHostAndOrigin(request: Request): void {
    if (this.mode === 'local') checkLoopbackHost(request);
    checkOrigin(request, this.allowedOrigins, this.mode === 'local');
  }

  /**
   * Refuses to serve on a non-loopback address in the open local mode.
   * @throws SpoolError `INVALID_OPTION`
   */
  assertCanServeOn(host: string | undefined): void {
    if (this.mode !== 'local' || isLoopback(host)) return;
    throw new SpoolError(
      'INVALID_OPTION',
      `Refusing to serve on ${host ?? 'all interfaces'} without a token: set \`auth.tokens.admin\` (SPOOL_ADMIN_TOKEN), or bind to 127.0.0.1.`,
    );
  }
}

/**
 * Static tokens first (they are compared in constant time), then the token as a JWT. A JWT
 * that fails says why (`UNAUTHENTICATED` with the reason, or `TOKEN_EXPIRED`).
 */
function jwtAuthenticator(
  options: JwtOptions,
  tokens: TokenConfig | undefined,
): (request: Request) => Promise<Principal | undefined> {
  const verify = jwtVerifier(options);
  const byToken = hasTokens(tokens) ? tokenAuthenticator(tokens!) : undefined;
  return async (request) => {
    const known = await byToken?.(request);
    if (known) return known;
    const token = extractToken(request);
    return token === undefined ? undefined : verify(token);
  };
}

function unauthenticated(): SpoolError {
  return new SpoolError(
    'UNAUTHENTICATED',
    'Missing or unknown token: send `Authorization: Bearer <token>`, an `access_token` query parameter, or a `spool.token.<token>` WebSocket subprotocol.',
  );
}

function forbidden(action: Action, topic: string | undefined): SpoolError {
  return new SpoolError(
    'FORBIDDEN',
    topic === undefined
      ? `This principal may not perform "${action}"; it needs the admin role.`
      : `This principal may not ${action} on topic ${JSON.stringify(topic)}.`,
  );
}
