import type { Logger } from '@spool/core';
import { SpoolError } from '@spool/core';
import type { AccessControl } from '../auth/access-control';
import type { PrincipalLimiter } from '../auth/principal-limits';
import type { RequestMetrics } from '../metrics/request-metrics';
import { optionsResponse, withCors } from './cors';
import { errorResponse } from './errors';
import { readJson } from './read-json';
import { ANONYMOUS, type RouteContext } from './route-context';
import type { Router } from './router';

/**
 * What {@link dispatch} reads of the server: the routes, who may call them and how often,
 * the body limit, and where failures and durations go. The routes themselves hold what
 * they read of the server (each group's deps), never this.
 */
export interface DispatchServices {
  /** The routes, with the parts each group was registered with. */
  readonly router: Router<RouteContext>;
  /** The Host and Origin check, authentication and authorization. */
  readonly access: Pick<AccessControl, 'checkHostAndOrigin' | 'authenticate' | 'authorize'>;
  /** The rate per principal (docs/security.md, "Defaults"). */
  readonly principalLimits: Pick<PrincipalLimiter, 'take'>;
  /** Largest JSON request body, in bytes. */
  readonly maxBodyBytes: number;
  /** Where a route's 5xx failure is logged. */
  readonly logger: Pick<Logger, 'error'>;
  /** Request durations, labelled by route pattern. */
  readonly metrics: Pick<RequestMetrics, 'observeRequest'>;
}

/**
 * The fetch-style entry point: check the Host and the Origin (403 before anything else),
 * match a route, authenticate unless it is public, check the admin role for admin
 * routes, run the handler, and turn any error into the JSON error body with its status.
 * Unknown paths get 404 `NOT_FOUND`; `OPTIONS` on a known path gets 204 (a CORS
 * preflight's answer); another method gets 405 `METHOD_NOT_ALLOWED` with `Allow`. A
 * browser's request (one with `Origin`) gets the CORS headers on every answer.
 */
export async function dispatch(spool: DispatchServices, request: Request): Promise<Response> {
  // Request durations for /metrics, labelled by route pattern (bounded cardinality)
  const started = performance.now();
  let route = 'unmatched';
  const response = await dispatchRoute(spool, request, (pattern) => {
    route = pattern;
  });
  spool.metrics.observeRequest(request.method, route, response.status, (performance.now() - started) / 1000);
  return response;
}

async function dispatchRoute(
  spool: DispatchServices,
  request: Request,
  matched: (pattern: string) => void,
): Promise<Response> {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return errorResponse(new SpoolError('BAD_REQUEST', 'The request URL is not valid.'));
  }
  try {
    // First of all: a rebound or foreign page is refused before any route runs.
    spool.access.checkHostAndOrigin(request);
  } catch (err) {
    return errorResponse(err);
  }
  const origin = request.headers.get('origin');
  const response = await routeResponse(spool, request, url, matched);
  return origin === null ? response : withCors(response, origin);
}

async function routeResponse(
  spool: DispatchServices,
  request: Request,
  url: URL,
  matched: (pattern: string) => void,
): Promise<Response> {
  const match = spool.router.match(request.method, url.pathname);
  if (match.kind === 'not-found') {
    return errorResponse(new SpoolError('NOT_FOUND', `No route for ${request.method} ${url.pathname}.`));
  }
  if (match.kind === 'method-not-allowed') {
    if (request.method === 'OPTIONS') return optionsResponse(request, match.allow);
    return errorResponse(
      new SpoolError(
        'METHOD_NOT_ALLOWED',
        `${request.method} is not allowed on ${url.pathname}; use ${match.allow.join(', ')}.`,
      ),
      { allow: match.allow.join(', ') },
    );
  }
  try {
    const { route, params } = match;
    matched(route.pattern);
    const principal = route.access === 'public' ? ANONYMOUS : await spool.access.authenticate(request);
    // Every authenticated request counts against its principal's rate (SSE counts in its endpoint).
    if (route.access !== 'public') spool.principalLimits.take(principal);
    if (route.access === 'admin') await spool.access.authorize(principal, 'admin');
    const ctx: RouteContext = {
      principal,
      url,
      json: <T>() => readJson<T>(request, spool.maxBodyBytes),
      authorize: (action, topic) => spool.access.authorize(principal, action, topic),
    };
    return await route.handler(request, params, ctx);
  } catch (err) {
    const response = errorResponse(err);
    if (response.status >= 500) spool.logger.error({ err, path: url.pathname }, 'route failed');
    return response;
  }
}
