import type { Readiness } from '../stats';
import { jsonResponse } from './errors';
import type { RouteContext } from './route-context';
import type { Router } from './router';

/** What `/readyz` reads of the server. */
export interface HealthRouteDeps {
  /** Readiness of the broker and the store, breakers included. */
  readiness(): Promise<Readiness>;
}

/**
 * `GET /healthz` (liveness: 200 while the process runs) and `GET /readyz` (readiness of the
 * broker and the store: 503 with the failing checks, open circuit breakers included).
 * Both are public, so orchestrators can probe without a token.
 *
 * @example registerHealthRoutes(router, { readiness: () => spool.readiness() });
 */
export function registerHealthRoutes(router: Router<RouteContext>, deps: HealthRouteDeps): void {
  router.get('/healthz', () => jsonResponse({ ok: true }), { access: 'public' });
  router.get(
    '/readyz',
    async () => {
      const r = await deps.readiness();
      return jsonResponse(r, r.ready ? 200 : 503);
    },
    { access: 'public' },
  );
}
