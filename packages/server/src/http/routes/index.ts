import type { RouteContext } from '../route-context';
import type { Router } from '../router';
import { registerBrokerRoutes } from './broker-routes';
import { registerChannelHistoryRoutes } from './channel-history';
import { registerMessageRoutes } from './message-routes';
import { registerOperatorRoutes } from './operator-routes';
import { registerStoreRoutes } from './store-routes';
import { registerTopicRoutes } from './topic-routes';

/**
 * The HTTP API routes of docs/http-api.md; `createSpool` calls this once. SSE
 * (`GET /v1/topics/:topic/events`), `/healthz` and `/readyz` are registered by
 * `createSpool` itself, and `POST /v1/demo/replies` by `spool serve --demo`.
 */
export function registerApiRoutes(router: Router<RouteContext>): void {
  registerTopicRoutes(router);
  registerMessageRoutes(router);
  registerChannelHistoryRoutes(router);
  registerStoreRoutes(router);
  registerBrokerRoutes(router);
  registerOperatorRoutes(router);
}
