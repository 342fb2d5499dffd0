import type { WireOpenMeta } from '@spool/core';
import type { RunHandle, RunWork } from '@spool/core/internal';
import type { RouteContext } from './http/route-context';
import type { Router } from './http/router';
import type { SpoolOptions } from './options';
import type { PublishOptions } from './publish-options';
import { createSpoolInstance } from './spool';
import type { Readiness, ServerStats } from './stats';

/**
 * A Spool server on WHATWG `Request`/`Response` only (docs/architecture.md, "The package
 * and entry graph"): mount {@link Spool.fetch} in any fetch-style runtime or framework. The
 * WebSocket transport, node:http serving and Prometheus metrics come from
 * `@spool/server/node` (`attach(spool, server)`, `listen(spool)`), which plug into it.
 */
export interface Spool {
  /**
   * The fetch-style handler: SSE, the HTTP API and every route of {@link Spool.router},
   * then a 404 JSON error (docs/http-api.md). Usable from Hono, Next.js route handlers,
   * Bun, Deno or a Worker.
   */
  readonly fetch: (request: Request) => Promise<Response>;
  /**
   * Publishes one event on a topic; resolves to its event ID. The arguments are the
   * client's (`client.publish(topic, data, { event, key })`): `event` defaults to
   * `message`, and a repeated `key` on the same topic is applied once (docs/http-api.md,
   * "Topics").
   *
   * @example
   * const id = await spool.publish('news', { headline: 'hi' }, { event: 'story' });
   */
  publish(topic: string, data: unknown, options?: PublishOptions): Promise<string>;
  /**
   * Runs a server-side producer: opens a message, appends what `work` writes, ends it
   * with `success` or `error`, and aborts `signal` when the message is cancelled.
   */
  run(meta: WireOpenMeta, work: RunWork): Promise<RunHandle>;
  /**
   * The SSE stream of `topic` for `request`, for a framework that routes it itself (`fetch`
   * serves it at `GET /v1/topics/:topic/events`): authenticates, checks the origin, and
   * resumes from `Last-Event-ID` (docs/http-api.md, "Topics").
   */
  sse(request: Request, topic: string): Promise<Response>;
  /**
   * The operators' snapshot (`GET /v1/stats`, and `$sys` every second). A transport that
   * is not attached (the WebSocket, outside Node) counts zero.
   */
  stats(): Promise<ServerStats>;
  /** Readiness of the broker and the store, breakers included (`/readyz`). */
  readiness(): Promise<Readiness>;
  /**
   * Register routes of your own here; {@link Spool.fetch} dispatches to them with the same
   * authentication, Host/Origin checks and JSON errors as the built-in ones.
   *
   * @example
   * spool.router.get('/v1/hello', () => jsonResponse({ hello: 'world' }));
   */
  readonly router: Router<RouteContext>;
  /**
   * Shuts down gracefully: refuses new sockets and streams, ends every open message with
   * reason `force` and waits for its completion (store, `msg.end`, `spool:completed`), so
   * that connected clients get each `msg.end` before their socket closes with 1001 and
   * their SSE stream ends (docs/protocol.md, "Close codes"). Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Creates a Spool server. It imports nothing from Node: serve it with `fetch` anywhere, or
 * on node:http with the WebSocket transport through `@spool/server/node`.
 *
 * @example
 * import { createSpool } from '@spool/server';
 * import { listen } from '@spool/server/node';
 * const spool = createSpool({ auth: { tokens: { admin: [process.env.SPOOL_ADMIN_TOKEN!] } } });
 * const { url } = await listen(spool, { port: 8080 });
 */
export function createSpool(options: SpoolOptions = {}): Spool {
  return createSpoolInstance(options);
}
