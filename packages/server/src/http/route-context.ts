import type { Action, Principal } from '../auth/principal';
import type { RequestMetrics } from '../metrics/request-metrics';
import type { SpoolParts } from '../server-parts';
import type { Readiness, ServerStats } from '../stats';
import type { Router } from './router';

/**
 * What route handlers reach of the server through `ctx.spool`: its parts, plus the router
 * (to register routes), its metrics, stats and readiness. `Spool` implements it.
 */
export interface RouteServices extends SpoolParts {
  /** Register more routes here; `fetch` dispatches to them. */
  readonly router: Router<RouteContext>;
  /** Request durations in, `GET /metrics` text out; empty until metrics are installed. */
  readonly metrics: RequestMetrics;
  stats(): Promise<ServerStats>;
  readiness(): Promise<Readiness>;
}

/**
 * What every route handler gets besides the request and its params: the Spool instance
 * (cache, store, broker, topics, chat producer, stats), the authenticated principal, and
 * helpers that throw the right typed errors.
 *
 * @example
 * router.post('/v1/topics/:topic/events', async (req, { topic }, ctx) => {
 *   await ctx.authorize('publish', topic);
 *   const body = await ctx.json<{ event?: string; data: unknown }>();
 *   return jsonResponse({ id: await ctx.spool.publish(topic, body?.data, { event: body?.event }) }, 201);
 * });
 */
export interface RouteContext {
  /** The server's services a route uses. */
  spool: RouteServices;
  /** The caller (`anonymous` on public routes). */
  principal: Principal;
  /** The request's URL, parsed. */
  url: URL;
  /** The JSON body (`undefined` when empty). @throws `BAD_REQUEST`, `PAYLOAD_TOO_LARGE` */
  json<T = unknown>(): Promise<T | undefined>;
  /** @throws `FORBIDDEN` */
  authorize(action: Action, topic?: string): Promise<void>;
}

/** The principal of public routes, which never authenticate. */
export const ANONYMOUS: Principal = Object.freeze({ id: 'anonymous', role: 'user' as const });
