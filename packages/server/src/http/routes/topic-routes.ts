import { SpoolError, type TopicRegistry, type TopicStatsSnapshot } from '@spool/core';
import * as v from 'valibot';
import type { SpoolParts } from '../../server-parts';
import type { TopicDirectory } from '../../topic-directory';
import { IdempotencyWindow } from '../../ws/limits';
import { wsDefaults } from '../../ws/ws-options';
import { jsonResponse } from '../errors';
import type { RouteContext } from '../route-context';
import type { Router } from '../router';
import { compareText, listPage } from './list-page';
import { intParam, readBody } from './request-input';
import { topicHistoryBody } from './topic-history';

const publishBody = v.object({
  event: v.optional(v.pipe(v.string('must be a string'), v.minLength(1, 'must not be empty'))),
  data: v.unknown(),
  key: v.optional(
    v.pipe(
      v.string('must be a string'),
      v.minLength(1, 'must not be empty'),
      v.maxLength(256, 'must be at most 256 characters'),
    ),
  ),
});

/** What the topic routes read of the server. */
export interface TopicRouteDeps {
  /** The topics of this instance. */
  readonly topics: TopicRegistry;
  /** The topics of a log shared with other instances; undefined in memory mode. */
  readonly topicDirectory: TopicDirectory | undefined;
  /** Appends a principal's event, its `key` (if any) checked by the caller's window already. */
  readonly publishFor: SpoolParts['publishFor'];
}

/**
 * The topic routes of docs/http-api.md:
 * - `POST /v1/topics/:topic/events` publishes `{ event?, data, key? }` → `201 { id }`; the
 *   default event name is `message`; a repeated `key` (per principal) is applied once;
 * - `GET /v1/topics/:topic/history?after=&limit=` streams the retained log as a JSON array;
 * - `GET /v1/topics` (admin) lists every topic's stats, paginated by name (with a shared
 *   log, every topic of its directory).
 *
 * @example registerTopicRoutes(router, { topics, topicDirectory, publishFor });
 */
export function registerTopicRoutes(router: Router<RouteContext>, deps: TopicRouteDeps): void {
  const { topics, topicDirectory, publishFor } = deps;
  // Idempotency keys of HTTP publishes, one window per registration, so per server (the
  // WebSocket adapter keeps its own).
  const publishKeys = new IdempotencyWindow(wsDefaults.idempotencyWindow);
  router.post('/v1/topics/:topic/events', async (_req, { topic }, ctx) => {
    const name = topic!;
    await ctx.authorize('publish', name);
    const body = await readBody(ctx, publishBody, 'POST /v1/topics/:topic/events');
    if (body.data === undefined) {
      throw new SpoolError(
        'BAD_REQUEST',
        'Invalid body of POST /v1/topics/:topic/events: `data` is required (any JSON value).',
      );
    }
    const principalId = ctx.principal.id;
    const key = body.key;
    if (key === undefined) {
      return jsonResponse({ id: await publishFor(principalId, name, body.data, { event: body.event }) }, 201);
    }
    const { id } = await publishKeys.run(principalId, `${name}\u0000${key}`, () =>
      publishFor(principalId, name, body.data, { event: body.event, key }),
    );
    return jsonResponse({ id }, 201);
  });

  router.get('/v1/topics/:topic/history', async (request, { topic }, ctx) => {
    const name = topic!;
    await ctx.authorize('subscribe', name);
    const held = topics.get(name);
    if (!held || held.closed) {
      throw new SpoolError(
        'TOPIC_NOT_FOUND',
        `No topic named ${JSON.stringify(name)} on this server; publish to it first.`,
      );
    }
    const body = topicHistoryBody(held, {
      after: ctx.url.searchParams.get('after') || undefined,
      limit: intParam(ctx.url, 'limit', { min: 1, max: Number.MAX_SAFE_INTEGER }),
      signal: request.signal,
    });
    return new Response(body, {
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    });
  });

  router.get(
    '/v1/topics',
    async (_req, _params, ctx) => {
      if (!topicDirectory)
        return jsonResponse(
          listPage<TopicStatsSnapshot>(topics.stats(), (t) => t.name, compareText, ctx.url),
        );
      // A shared log: every instance lists the same topics, from the directory, with this
      // instance's own figures for those it holds (docs/http-api.md).
      const held = new Map<string, TopicStatsSnapshot>();
      for (const topic of topics.topics()) if (!topic.closed) held.set(topic.name, topic.stats());
      const names = new Set([...(await topicDirectory.names()), ...held.keys()]);
      const page = listPage([...names], (n) => n, compareText, ctx.url);
      const missing = page.items.filter((n) => !held.has(n));
      const described = new Map((await topicDirectory.describe(missing)).map((t) => [t.name, t]));
      const items = page.items.map((n) => held.get(n) ?? described.get(n)!);
      return jsonResponse({ items, next: page.next });
    },
    { access: 'admin' },
  );
}
