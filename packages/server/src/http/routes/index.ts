/**
 * The HTTP API route groups of docs/http-api.md. Each takes the router and the few parts of
 * the server it reads (its deps), so a group can be served, and tested, without the rest of
 * the server. `createSpool` registers them all; SSE (`GET /v1/topics/:topic/events`),
 * `/healthz` and `/readyz` are registered by `createSpool` itself, and
 * `POST /v1/demo/replies` by `spool serve --demo`.
 */
export { type BrokerRouteDeps, registerBrokerRoutes } from './broker-routes';
export { type ChannelHistoryDeps, registerChannelHistoryRoutes } from './channel-history';
export { type MessageRouteDeps, registerMessageRoutes } from './message-routes';
export { type MetricsRouteDeps, registerMetricsRoutes } from './metrics-routes';
export { type OperatorRouteDeps, registerOperatorRoutes } from './operator-routes';
export { registerStoreRoutes, type StoreRouteDeps } from './store-routes';
export { registerTopicRoutes, type TopicRouteDeps } from './topic-routes';
