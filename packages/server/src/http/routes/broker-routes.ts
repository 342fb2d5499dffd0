import { type BrokerStreamSnapshot, isSpoolError, type StreamBroker, type StreamEntry } from '@spool/core';
import * as v from 'valibot';
import type { AuditLog } from '../../audit/audit-log';
import { brokerStreamSnapshot, type KnownStreamKeys } from '../../metrics/known-stream-keys';
import { jsonResponse } from '../errors';
import type { RouteContext } from '../route-context';
import type { Router } from '../router';
import { compareText, listPage } from './list-page';
import { flagParam, intParam, readBody } from './request-input';

/** Limits of the broker routes. */
export const brokerRouteLimits = Object.freeze({
  /** Longest blocking read; `block=0` (Redis: forever) also waits this long. */
  maxBlockMs: 30_000,
  /** Entries per read when `count` is left out, so one reply stays bounded. */
  defaultCount: 100,
  maxCount: 10_000,
});

const nonEmpty = (what: string) => v.pipe(v.string(`must be ${what}`), v.minLength(1, 'must not be empty'));
const count = v.pipe(
  v.number('must be a number'),
  v.integer('must be an integer'),
  v.minValue(1, 'must be at least 1'),
  v.maxValue(brokerRouteLimits.maxCount, `must be at most ${brokerRouteLimits.maxCount}`),
);

const addBody = v.object({
  fields: v.pipe(
    v.record(
      v.string(),
      v.string('must be a string (stream fields are strings)'),
      'must be an object of string fields',
    ),
    v.check((f) => Object.keys(f).length > 0, 'must hold at least one field'),
  ),
  id: v.optional(nonEmpty('a stream ID such as "*" or "1700000000000-0"')),
  maxLen: v.optional(
    v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(0, 'must be 0 or more')),
  ),
});
const groupBody = v.object({
  group: nonEmpty('a group name'),
  id: v.optional(nonEmpty('a stream ID, "$" or "0"')),
  mkStream: v.optional(v.boolean('must be true or false')),
});
const ackBody = v.object({
  ids: v.pipe(
    v.array(v.string('must be stream IDs'), 'must be an array of stream IDs'),
    v.minLength(1, 'must not be empty'),
  ),
});
const autoclaimBody = v.object({
  consumer: nonEmpty('a consumer name'),
  minIdleMs: v.pipe(
    v.number('must be a number'),
    v.integer('must be an integer'),
    v.minValue(0, 'must be 0 or more'),
  ),
  start: v.optional(nonEmpty('a stream ID such as "0-0"')),
  count: v.optional(count),
});

/** What the broker routes read of the server. */
export interface BrokerRouteDeps {
  /** The broker every route reads and writes. */
  readonly broker: StreamBroker;
  /** The streams written through `broker`, which `GET /v1/streams` lists (the broker cannot list keys). */
  readonly streamKeys: Pick<KnownStreamKeys, 'list'>;
  /** Where claims and the admin deletes are audited (docs/security.md, "Audit log"). */
  readonly audit: Pick<AuditLog, 'record'>;
}

/**
 * The consumer-group routes of docs/http-api.md, one per broker
 * command, with Redis's semantics and error codes (`NOGROUP`, `BUSYGROUP`, `NO_SUCH_KEY`…):
 * add, range, create a group, read as a consumer (`count`, `block`), ack, pending (summary
 * or extended), autoclaim, stream info with groups and consumers, and (admin) the list of
 * known streams, delete a consumer, destroy a group. Each needs the `broker` action on the
 * stream's key.
 *
 * @example registerBrokerRoutes(router, { broker, streamKeys, audit });
 */
export function registerBrokerRoutes(router: Router<RouteContext>, deps: BrokerRouteDeps): void {
  const { broker, streamKeys, audit } = deps;
  router.get(
    '/v1/streams',
    async (_req, _params, ctx) => {
      const page = listPage(streamKeys.list(), (k) => k, compareText, ctx.url);
      const items: BrokerStreamSnapshot[] = [];
      for (const key of page.items) {
        const snapshot = await brokerStreamSnapshot(broker, key);
        if (snapshot) items.push(snapshot);
      }
      return jsonResponse({ items, next: page.next });
    },
    { access: 'admin' },
  );

  router.post('/v1/streams/:key/entries', async (_req, { key }, ctx) => {
    await ctx.authorize('broker', key);
    const body = await readBody(ctx, addBody, 'POST /v1/streams/:key/entries');
    const id = await broker.xadd(key!, body.fields, { id: body.id, maxLen: body.maxLen });
    return jsonResponse({ id }, 201);
  });

  router.get('/v1/streams/:key/entries', async (_req, { key }, ctx) => {
    await ctx.authorize('broker', key);
    const q = ctx.url.searchParams;
    const start = boundParam(q, 'start', '-');
    const end = boundParam(q, 'end', '+');
    const n = intParam(
      ctx.url,
      'count',
      { min: 1, max: brokerRouteLimits.maxCount },
      brokerRouteLimits.defaultCount,
    );
    const entries = flagParam(ctx.url, 'rev')
      ? await broker.xrevrange(key!, end, start, n)
      : await broker.xrange(key!, start, end, n);
    return jsonResponse({ entries });
  });

  router.post('/v1/streams/:key/groups', async (_req, { key }, ctx) => {
    await ctx.authorize('broker', key);
    const body = await readBody(ctx, groupBody, 'POST /v1/streams/:key/groups');
    await broker.xgroupCreate(key!, body.group, body.id ?? '$', {
      mkStream: body.mkStream === true,
    });
    return jsonResponse({ ok: true }, 201);
  });

  router.get(
    '/v1/streams/:key/groups/:group/consumers/:consumer',
    async (request, { key, group, consumer }, ctx) => {
      await ctx.authorize('broker', key);
      const n = intParam(
        ctx.url,
        'count',
        { min: 1, max: brokerRouteLimits.maxCount },
        brokerRouteLimits.defaultCount,
      );
      const requested = intParam(ctx.url, 'block', { min: 0, max: Number.MAX_SAFE_INTEGER });
      const block =
        requested === undefined
          ? undefined
          : Math.min(requested || brokerRouteLimits.maxBlockMs, brokerRouteLimits.maxBlockMs);
      const id = ctx.url.searchParams.get('id') || '>';
      try {
        const reply = await broker.xreadgroup(group!, consumer!, [[key!, id]], {
          count: n,
          block,
          signal: request.signal,
        });
        return jsonResponse({ entries: reply?.[0]?.entries ?? [] });
      } catch (err) {
        // The client left while blocked: nobody reads this reply, and nothing was delivered.
        if (request.signal.aborted && isSpoolError(err, 'ABORTED')) return jsonResponse({ entries: [] });
        throw err;
      }
    },
  );

  router.post('/v1/streams/:key/groups/:group/ack', async (_req, { key, group }, ctx) => {
    await ctx.authorize('broker', key);
    const body = await readBody(ctx, ackBody, 'POST /v1/streams/:key/groups/:group/ack');
    return jsonResponse({ acked: await broker.xack(key!, group!, body.ids) });
  });

  router.get('/v1/streams/:key/groups/:group/pending', async (_req, { key, group }, ctx) => {
    await ctx.authorize('broker', key);
    const q = ctx.url.searchParams;
    const extended = ['start', 'end', 'count', 'consumer', 'idle'].some((name) => q.has(name));
    if (!extended) return jsonResponse(await broker.xpending(key!, group!));
    const entries = await broker.xpendingRange(key!, group!, {
      start: boundParam(q, 'start', '-'),
      end: boundParam(q, 'end', '+'),
      count: intParam(
        ctx.url,
        'count',
        { min: 1, max: brokerRouteLimits.maxCount },
        brokerRouteLimits.defaultCount,
      ),
      consumer: q.get('consumer') || undefined,
      idle: intParam(ctx.url, 'idle', { min: 0, max: Number.MAX_SAFE_INTEGER }),
    });
    return jsonResponse({ entries });
  });

  router.post('/v1/streams/:key/groups/:group/autoclaim', async (_req, { key, group }, ctx) => {
    await ctx.authorize('broker', key);
    const body = await readBody(ctx, autoclaimBody, 'POST /v1/streams/:key/groups/:group/autoclaim');
    const reply = await broker.xautoclaim(key!, group!, body.consumer, body.minIdleMs, body.start ?? '0-0', {
      count: body.count ?? 100,
    });
    const entries = reply.entries.filter(hasFields);
    audit.record('claim', ctx.principal, {
      key,
      group,
      consumer: body.consumer,
      minIdleMs: body.minIdleMs,
      claimed: entries.map((e) => e.id),
      deleted: reply.deleted.length,
    });
    return jsonResponse({ next: reply.next, entries, deleted: reply.deleted });
  });

  router.get('/v1/streams/:key', async (_req, { key }, ctx) => {
    await ctx.authorize('broker', key);
    const info = await broker.xinfoStream(key!);
    const groups = await broker.xinfoGroups(key!);
    const described = [];
    for (const g of groups) {
      const consumers = await broker.xinfoConsumers(key!, g.name).catch((err: unknown) => {
        // The group was destroyed between the two reads: describe it without consumers.
        if (isSpoolError(err, 'NOGROUP')) return [];
        throw err;
      });
      described.push({
        name: g.name,
        consumers,
        pending: g.pending,
        lastDeliveredId: g.lastDeliveredId,
        entriesRead: g.entriesRead,
        lag: g.lag,
      });
    }
    return jsonResponse({
      key,
      length: info.length,
      firstId: info.firstEntry?.id ?? null,
      lastId: info.lastEntry?.id ?? null,
      groups: described,
    });
  });

  router.delete(
    '/v1/streams/:key/groups/:group/consumers/:consumer',
    async (_req, { key, group, consumer }, ctx) => {
      const pending = await broker.xgroupDelConsumer(key!, group!, consumer!);
      audit.record('consumer.deleted', ctx.principal, { key, group, consumer, pending });
      return jsonResponse({ pending });
    },
    { access: 'admin' },
  );

  router.delete(
    '/v1/streams/:key/groups/:group',
    async (_req, { key, group }, ctx) => {
      // A missing group is `{ destroyed: false }` (Redis answers 0); a missing key is NO_SUCH_KEY.
      const destroyed = (await broker.xgroupDestroy(key!, group!)) === 1;
      audit.record('group.destroyed', ctx.principal, { key, group, destroyed });
      return jsonResponse({ destroyed });
    },
    { access: 'admin' },
  );
}

/**
 * A range bound from the query. A raw `+` in a query string reads as a space (form
 * encoding), so `?end=+` typed by hand means `+`, not a malformed ID.
 */
function boundParam(q: URLSearchParams, name: string, fallback: string): string {
  const value = q.get(name);
  if (!value) return fallback;
  return value === ' ' ? '+' : value;
}

/** XAUTOCLAIM drops deleted entries into `deleted`; an entry without fields never reaches `entries`. */
function hasFields(entry: StreamEntry): entry is StreamEntry & { fields: Record<string, string> } {
  return entry.fields !== null;
}
