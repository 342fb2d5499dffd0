import { jsonResponse } from './errors';
import type { RouteContext } from './route-context';
import type { Router } from './router';

/**
 * `GET /healthz` (liveness: 200 while the process runs) and `GET /readyz` (readiness of the
 * broker and the store: 503 with the failing checks, open circuit breakers included).
 * Both are public, so orchestrators can probe without a token.
 */
export function registerHealthRoutes(router: Router<RouteContext>): void {
  router.get('/healthz', () => jsonResponse({ ok: true }), { access: 'public' });
  router.get(
    '/readyz',
    async (_req, _params, ctx) => {
      const r = await ctx.spool.readiness();
      return jsonResponse(r, r.ready ? 200 : 503);
    },
    { access: 'public' },
  );
}
