/**
 * CORS, answered deliberately (docs/http-api.md, "Host, Origin and CORS"). By the time
 * these run, the request's `Origin` has passed the origin rule (`AccessControl`), so an
 * origin that gets here is one this server serves: its responses name it in
 * `Access-Control-Allow-Origin` (never `*`, and never with credentials: Spool's tokens
 * travel in headers a page must set itself, not in cookies).
 */

/** The request headers a cross-origin page may send: the token, JSON bodies, SSE resume. */
export const CORS_ALLOWED_HEADERS = 'authorization, content-type, last-event-id';

/** How long a browser may cache a preflight answer, in seconds. */
export const CORS_MAX_AGE_SECONDS = 600;

/**
 * The answer to `OPTIONS` on a known path: a CORS preflight (it carries
 * `Access-Control-Request-Method`) gets the path's methods and the allowed headers; a
 * plain `OPTIONS` gets `Allow`. Both are 204 with no body, and need no credentials
 * (browsers never send them on a preflight).
 *
 * @example optionsResponse(request, ['GET', 'POST']) // 204, Access-Control-Allow-Methods: GET, POST
 */
export function optionsResponse(request: Request, methods: readonly string[]): Response {
  const headers = new Headers({ allow: [...methods, 'OPTIONS'].join(', ') });
  if (request.headers.has('origin') && request.headers.has('access-control-request-method')) {
    headers.set('access-control-allow-methods', methods.join(', '));
    headers.set('access-control-allow-headers', CORS_ALLOWED_HEADERS);
    headers.set('access-control-max-age', String(CORS_MAX_AGE_SECONDS));
  }
  return new Response(null, { status: 204, headers });
}

/**
 * `response` with the CORS headers for `origin` (an origin that passed the origin rule),
 * and `Vary: Origin` so that no cache serves it to another origin.
 *
 * @example return withCors(response, request.headers.get('origin')!);
 */
export function withCors(response: Response, origin: string): Response {
  let out = response;
  try {
    out.headers.set('access-control-allow-origin', origin);
  } catch {
    // The headers of a Response from fetch() (a proxied reply) are immutable: copy it.
    out = new Response(response.body, response);
    out.headers.set('access-control-allow-origin', origin);
  }
  out.headers.append('vary', 'Origin');
  return out;
}
