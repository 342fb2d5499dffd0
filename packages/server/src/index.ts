/**
 * @spool/server: Spool's Node server. `createSpool()` wires the StreamCache, topics, a
 * message store and a broker along "the life of one chat message", and serves them over
 * WebSocket (protocol v1), SSE and the HTTP API, embeddable in any node:http server or
 * fetch-style framework.
 */

export { COMPLETED_STREAM } from '@spool/core';
export type { ProducerOps, RunHandle, RunWork, WireChunk } from '@spool/core/internal';
export { completionKey, type DeadLetter, toWireMeta } from '@spool/core/internal';
export { type AuditAction, type AuditEntry, AuditLog, auditLogDefaults } from './audit/audit-log';
export { AccessControl, type AuthMode, type AuthOptions, defaultAuthorize } from './auth/access-control';
export { type JwtOptions, type JwtPrincipal, jwtVerifier } from './auth/jwt-auth';
export { isLoopback } from './auth/loopback';
export { type Action, LOCAL_PRINCIPAL, type Principal, type Role, SYSTEM } from './auth/principal';
export {
  PrincipalLimiter,
  type PrincipalLimitOptions,
  principalLimitDefaults,
} from './auth/principal-limits';
export {
  extractToken,
  TOKEN_SUBPROTOCOL_PREFIXES,
  type TokenConfig,
  tokenAuthenticator,
} from './auth/token-auth';
export { grantsAllow, type TopicGrants, topicPatternMatches } from './auth/topic-grants';
// HTTP API helpers, metrics, the demo and `spool serve` as a library
export { dashboardAssets } from './cli/dashboard-assets';
export { type ServeDeps, type ServeHandle, startServe } from './cli/serve';
export { parseServeArgs, type ServeCommand, type ServeConfig, serveHelp } from './cli/serve-options';
export { bundledDashboardDir } from './dashboard/bundled-dashboard';
export { type WithDashboardOptions, withDashboard } from './dashboard/with-dashboard';
export { type Demo, type DemoOptions, startDemo } from './demo/demo';
export {
  DEMO_CHANNELS,
  DemoProducer,
  type DemoProducerOptions,
  type DemoProducerStats,
  demoProducerDefaults,
} from './demo/demo-producer';
export {
  DEMO_GROUP,
  type DemoWorkers,
  type DemoWorkersOptions,
  demoWorkersDefaults,
  startDemoWorkers,
} from './demo/demo-workers';
export {
  errorBody,
  errorResponse,
  httpStatusOf,
  jsonResponse,
  retryAfterMsOf,
  toSpoolError,
} from './http/errors';
export {
  type NodeBridgeOptions,
  nodeBridgeDefaults,
  nodeListener,
  toRequest,
  writeResponse,
} from './http/node-bridge';
export { readJson } from './http/read-json';
export { ANONYMOUS, type RouteContext } from './http/route-context';
export {
  type RouteAccess,
  type RouteHandler,
  type RouteMatch,
  type RouteParams,
  Router,
} from './http/router';
export { type ListPage, listPageDefaults } from './http/routes/list-page';
export {
  type TopicHistoryOptions,
  topicHistoryBody,
  topicHistoryDefaults,
} from './http/routes/topic-history';
export {
  brokerStreamSnapshot,
  KnownStreamKeys,
  type KnownStreamKeysOptions,
  knownStreamKeysDefaults,
  trackStreamKeys,
} from './metrics/known-stream-keys';
export {
  BREAKER_STATE_VALUE,
  SpoolMetrics,
  type SpoolMetricsOptions,
  spoolMetricsDefaults,
} from './metrics/spool-metrics';
export { type ListenOptions, listenDefaults, type SpoolServer } from './node/attach';
export { type SpoolOptions, SYS_RETENTION, spoolDefaults, type TopicsOptions } from './options';
export type { PublishOptions } from './publish-options';
export { createSpool, Spool } from './spool';
export { type ResolvedSseOptions, type SseOptions, sseDefaults } from './sse/sse-endpoint';
export type { Readiness, ServerStats } from './stats';
export type { TopicDirectory } from './topic-directory';
export type { ConnectionHealth } from './ws/connection';
export { type ResolvedWsOptions, type WsOptions, wsDefaults } from './ws/ws-options';
