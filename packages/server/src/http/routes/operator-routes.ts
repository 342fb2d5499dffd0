import { jsonResponse } from '../errors';
import type { RouteContext } from '../route-context';
import type { Router } from '../router';

/**
 * The operators' routes besides `/healthz` and `/readyz` (registered by `createSpool`):
 * - `GET /v1/stats` (admin): the `SpoolStats` snapshot that `$sys` pushes every second;
 * - `GET /v1/audit` (admin): the most recent audited operator actions, newest first;
 * - `GET /metrics`: Prometheus text (prom-client, this instance's own registry). It needs
 *   a principal like any API route: in the local default that is any loopback caller; with
 *   tokens, give the scraper one (`authorization: Bearer …` in its scrape config);
 * - `GET /v1/dead-letters` (admin): messages whose save failed, waiting for a replay;
 * - `POST /v1/dead-letters/replay` (admin): saves them again now (the server also does
 *   it every `deadLetterReplayMs`), docs/http-api.md "Dead letters".
 *
 * @example registerOperatorRoutes(spool.router);
 */
export function registerOperatorRoutes(router: Router<RouteContext>): void {
  router.get('/v1/stats', async (_req, _params, ctx) => jsonResponse(await ctx.spool.stats()), {
    access: 'admin',
  });
  router.get(
    '/v1/dead-letters',
    (_req, _params, ctx) =>
      jsonResponse({
        items: ctx.spool.messages.deadLetters.map(({ message: _m, ...letter }) => letter),
      }),
    { access: 'admin' },
  );
  router.post(
    '/v1/dead-letters/replay',
    async (_req, _params, ctx) => jsonResponse(await ctx.spool.messages.replayDeadLetters()),
    { access: 'admin' },
  );
  router.get('/v1/audit', (_req, _params, ctx) => jsonResponse({ items: ctx.spool.audit.recent() }), {
    access: 'admin',
  });
  router.get('/metrics', async (_req, _params, ctx) => {
    const metrics = ctx.spool.metrics;
    return new Response(await metrics.text(), {
      headers: { 'content-type': metrics.contentType, 'cache-control': 'no-store' },
    });
  });
}
