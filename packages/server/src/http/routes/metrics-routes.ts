import type { RequestMetrics } from '../../metrics/request-metrics';
import type { RouteContext } from '../route-context';
import type { Router } from '../router';

/** What `GET /metrics` reads: the metrics installed on the server (a 404 until then). */
export interface MetricsRouteDeps {
  /** The registry's text and its content type. */
  readonly metrics: Pick<RequestMetrics, 'text' | 'contentType'>;
}

/**
 * `GET /metrics`: Prometheus text (prom-client, this instance's own registry). It needs a
 * principal like any API route: in the local default that is any loopback caller; with
 * tokens, give the scraper one (`authorization: Bearer …` in its scrape config). Registered
 * apart from the other operators' routes, since only the metrics need prom-client.
 *
 * @example registerMetricsRoutes(router, { metrics: spool.metrics });
 */
export function registerMetricsRoutes(router: Router<RouteContext>, deps: MetricsRouteDeps): void {
  const { metrics } = deps;
  router.get('/metrics', async () => {
    return new Response(await metrics.text(), {
      headers: { 'content-type': metrics.contentType, 'cache-control': 'no-store' },
    });
  });
}
