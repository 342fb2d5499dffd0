import { dashboardAssets } from '../cli/dashboard-assets';
import type { Spool } from '../create-spool';
import { errorResponse } from '../http/errors';
import { internalsOf } from '../spool';
import { bundledDashboardDir } from './bundled-dashboard';

/** Options of {@link withDashboard}. */
export interface WithDashboardOptions {
  /**
   * The folder of a dashboard build (its `index.html` and `assets/`).
   * @default bundledDashboardDir(): the build shipped inside @spool/server
   */
  dir?: string;
}

/**
 * Spool's fetch-style handler with the operators' dashboard added: API routes (and unknown
 * `/v1/` paths, as JSON 404s) go to `spool.fetch`; any other GET or HEAD gets the
 * dashboard's files, or its `index.html` for the dashboard's own routes. `createSpool()`
 * alone serves no page at `/`, so an embedding application opts in with this.
 *
 * @example
 * import http from 'node:http';
 * import { createSpool } from '@spool/server';
 * import { withDashboard } from '@spool/server/cli';
 * import { attach, nodeListener } from '@spool/server/node';
 * const spool = createSpool();
 * const server = http.createServer(nodeListener(withDashboard(spool)));
 * attach(spool, server, { requests: false }); // the WebSocket upgrades
 * server.listen(8080, '127.0.0.1');
 */
export function withDashboard(
  spool: Spool,
  options: WithDashboardOptions = {},
): (request: Request) => Promise<Response> {
  const assets = dashboardAssets(options.dir ?? bundledDashboardDir());
  const access = internalsOf(spool).access;
  return async (request) => {
    const { pathname } = new URL(request.url);
    try {
      access.checkHostAndOrigin(request); // the dashboard's pages too, not only the API
    } catch (err) {
      return errorResponse(err);
    }
    if (!pathname.startsWith('/v1/') && spool.router.match(request.method, pathname).kind === 'not-found') {
      const page = await assets(request);
      if (page) return page;
    }
    return spool.fetch(request);
  };
}
