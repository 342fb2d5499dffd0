import { SpoolError } from '@spool/core';
import { isLoopback } from './loopback';

/**
 * The origin check for WebSocket and SSE, against cross-site WebSocket hijacking: a
 * request without an `Origin` header (not a browser) passes; a browser request passes
 * when its origin is on the allow-list. With no allow-list, any origin passes when tokens
 * protect the server, but only loopback origins in the open local mode, so a web page the
 * developer visits cannot drive their local admin server.
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
  if (origin === null) return;
  if (allowed) {
    if (allowed.includes('*') || allowed.includes(origin)) return;
  } else if (!localOpen || isLoopbackOrigin(origin)) return;
  throw new SpoolError(
    'ORIGIN_NOT_ALLOWED',
    `Origin ${JSON.stringify(origin)} is not allowed; add it to the \`allowedOrigins\` option.`,
  );
}

function isLoopbackOrigin(origin: string): boolean {
  try {
    return isLoopback(new URL(origin).hostname);
  } catch {
    return false;
  }
}
