import type { Action, Principal } from '../auth/principal';

/**
 * What every route handler gets besides the request and its params: the request's own
 * things only (the authenticated principal, the parsed URL, and helpers that throw the right
 * typed errors). What a route reads of the server it gets when it is registered: each route
 * group takes the few parts it uses (docs/architecture.md, "How the server's modules depend
 * on each other").
 *
 * @example
 * router.post('/v1/topics/:topic/echo', async (req, { topic }, ctx) => {
 *   await ctx.authorize('publish', topic);
 *   return jsonResponse({ topic, who: ctx.principal.id, body: await ctx.json() });
 * });
 */
export interface RouteContext {
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
