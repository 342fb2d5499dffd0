import { SpoolError } from '@spool/core';
import { isLoopback } from './loopback';

/**
 * The origin rule: an origin passes when it is on the allow-list (`'*'` for any). With no
 * allow-list, any origin passes when tokens protect the server, but only loopback origins
 * in the open local mode, so a web page the developer visits cannot drive their local
 * admin server.
 *
 * @example isOriginAllowed('http://localhost:5173', undefined, true) // true
 */
function isOriginAllowed(
  origin: string,
  allowed: readonly string[] | undefined,
  localOpen: boolean,
): boolean {
  if (allowed) return allowed.includes('*') || allowed.includes(origin);
  return !localOpen || isLoopbackOrigin(origin);
}

/**
 * The origin check of every route, SSE and the WebSocket (against cross-site requests and
 * WebSocket hijacking): a request without an `Origin` header (not a browser) passes; a
 * browser request passes when its origin passes the rule above.
 *
 * @throws SpoolError `ORIGIN_NOT_ALLOWED`
 * @example checkOrigin(request, ['https://app.example.com'], false)
 */
export function checkOrigin(
  request: Request,
  allowed: readonly string[] | undefined,
  localOpen: boolean,
): void {
  const origin = request.headers.get('origin');
  if (origin === null || isOriginAllowed(origin, allowed, localOpen)) return;
  throw new SpoolError(
    'ORIGIN_NOT_ALLOWED',
    `Origin ${JSON.stringify(origin)} is not allowed; add it to the \`allowedOrigins\` option.`,
  );
}

/**
 * The Host check of the open local mode, against DNS rebinding: a page on
 * `http://evil.example:8080` whose name the attacker re-points at 127.0.0.1 reaches a
 * loopback server as a same-origin page, and the only trace is the `Host` it sends.
 * Only loopback names and addresses pass (`localhost`, 127.0.0.0/8, `[::1]`). The host
 * is read from the request URL, which the node:http bridge (and fetch-style frameworks)
 * build from the `Host` header.
 *
 * @throws SpoolError `HOST_NOT_ALLOWED`
 * @example checkLoopbackHost(new Request('http://evil.example:8080/v1/stats')) // throws
 */
export function checkLoopbackHost(request: Request): void {
  const host = new URL(request.url).hostname;
  if (isLoopback(host)) return;
  throw new SpoolError(
    'HOST_NOT_ALLOWED',
    `Host ${JSON.stringify(host)} is not a loopback name: without a token this server only answers to localhost, 127.0.0.1 or [::1]. Use one of those, or set \`auth.tokens\` (SPOOL_ADMIN_TOKEN) to serve other names.`,
  );
}

function isLoopbackOrigin(origin: string): boolean {
  try {
    return isLoopback(new URL(origin).hostname);
  } catch {
    return false; // `null` (sandboxed frames, file:) and garbage are not loopback
  }
}
