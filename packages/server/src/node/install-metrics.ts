import type { Spool } from '../create-spool';
import { SpoolMetrics, type SpoolMetricsOptions } from '../metrics/spool-metrics';
import { internalsOf } from '../spool';

/**
 * Installs Prometheus metrics (prom-client, on a registry of this Spool's own) on `spool`,
 * once: request durations are observed from then on and `GET /metrics` answers. `attach`
 * and `listen` install them; call it yourself when you mount `spool.fetch` in another
 * framework on Node. Returns the installed metrics (the same ones on every call).
 *
 * @example
 * const metrics = installMetrics(spool);
 * app.all('/*', (c) => spool.fetch(c.req.raw)); // GET /metrics answers now
 */
export function installMetrics(spool: Spool, options?: SpoolMetricsOptions): SpoolMetrics {
  const s = internalsOf(spool);
  const current = s.metrics.current;
  if (current instanceof SpoolMetrics) return current;
  const metrics = new SpoolMetrics(s, options);
  s.metrics.install(metrics);
  return metrics;
}
