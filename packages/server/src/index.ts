/**
 * @spool/server: the Spool server on WHATWG `Request`/`Response` only. `createSpool()`
 * wires the StreamCache, topics, a message store and a broker along "the life of one chat
 * message", and serves SSE and the HTTP API through `spool.fetch`, on any runtime. It
 * imports nothing from Node and no driver (`pnpm check:node-free`). The other entries
 * (docs/architecture.md, "The package and entry graph"):
 * - `@spool/server/node`: `attach`, `listen`, the WebSocket transport, metrics;
 * - `@spool/server/cli`: `spool serve` as a library, the demo, the dashboard;
 * - `@spool/server/redis`, `/postgres`, `/pglite`: the engines, one driver each.
 */

export { COMPLETED_STREAM } from '@spool/core';
export type { RunHandle, RunWork } from '@spool/core/internal';
export type { AuditAction, AuditEntry } from './audit/audit-log';
export { type AuthMode, type AuthOptions, defaultAuthorize } from './auth/access-control';
export { type JwtOptions, type JwtPrincipal, jwtVerifier } from './auth/jwt-auth';
export { type Action, LOCAL_PRINCIPAL, type Principal, type Role, SYSTEM } from './auth/principal';
export { type PrincipalLimitOptions, principalLimitDefaults } from './auth/principal-limits';
export {
  extractToken,
  TOKEN_SUBPROTOCOL_PREFIXES,
  type TokenConfig,
  tokenAuthenticator,
} from './auth/token-auth';
export { grantsAllow, type TopicGrants, topicPatternMatches } from './auth/topic-grants';
export { createSpool, type Spool } from './create-spool';
// HTTP API helpers, for routes of your own
export {
  errorBody,
  errorResponse,
  httpStatusOf,
  jsonResponse,
  retryAfterMsOf,
  toSpoolError,
} from './http/errors';
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
export { type SpoolOptions, SYS_RETENTION, spoolDefaults, type TopicsOptions } from './options';
export type { PublishOptions } from './publish-options';
export { type ResolvedSseOptions, type SseOptions, sseDefaults } from './sse/sse-endpoint';
export type { Readiness, ServerStats } from './stats';
export type { TopicDirectory } from './topic-directory';
export type { ConnectionHealth, TransportTotals } from './transport';
export { type ResolvedWsOptions, type WsOptions, wsDefaults } from './ws/ws-options';
