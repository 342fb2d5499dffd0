import {
  type ActiveStreamSnapshot,
  type CircuitBreaker,
  channelTopic,
  type MessageStore,
  SpoolError,
  type StreamCache,
  type StreamMeta,
  type StreamView,
  toMessageId,
  utf8ByteLength,
} from '@spool/core';
import type { ChatProducer, MessageDirectory, OpenMessageRecord } from '@spool/core/internal';
import { applyMetaPatch, toWireMeta } from '@spool/core/internal';
import * as v from 'valibot';
import type { AuditLog } from '../../audit/audit-log';
import { jsonResponse } from '../errors';
import type { RouteContext } from '../route-context';
import type { Router } from '../router';
import { compareDecimal, listPage } from './list-page';
import { channelTypeParam, checkInput, queryOf, readBody } from './request-input';

const str = (what = 'must be a string') => v.string(what);
const reason = v.picklist(
  ['success', 'timeout', 'error', 'cancelled', 'force'],
  'must be one of success, timeout, error, cancelled, force',
);

const openBody = v.object({
  messageId: v.optional(
    v.pipe(
      str('must be a decimal string (64-bit IDs never travel as JSON numbers)'),
      v.regex(/^\d+$/, 'must be a decimal string of digits'),
    ),
  ),
  channelId: v.pipe(str(), v.minLength(1, 'must not be empty')),
  channelType: v.pipe(
    v.number('must be a number'),
    v.integer('must be an integer'),
    v.minValue(0, 'must be from 0 to 255'),
    v.maxValue(255, 'must be from 0 to 255'),
  ),
  fromUid: v.optional(str()),
  clientMsgNo: v.optional(str()),
  timestamp: v.optional(
    v.pipe(v.number('must be a number of ms since the epoch'), v.finite('must be finite')),
  ),
  customFields: v.optional(v.record(v.string(), v.unknown(), 'must be an object of key/value pairs')),
});

const chunkBody = v.object({
  chunkId: v.pipe(
    v.number('must be a number'),
    v.integer('must be an integer'),
    v.minValue(0, 'must be 0 or more'),
  ),
  text: v.optional(str()),
  b64: v.optional(str('must be a base64 string')),
});

const endBody = v.object({ reason: v.optional(reason) });

const patchBody = v.object({
  fromUid: v.optional(str()),
  clientMsgNo: v.optional(str()),
  customFields: v.optional(
    v.record(v.string(), v.unknown(), 'must be an object of key/value pairs (null removes a field)'),
  ),
});

const listQuery = v.object({
  channelId: v.optional(v.string()),
  channelType: v.optional(v.pipe(v.string(), v.regex(/^\d{1,3}$/, 'must be an integer from 0 to 255'))),
  fromUid: v.optional(v.string()),
  field: v.optional(v.string()),
  value: v.optional(v.string()),
});

/** An open stream as the list routes and `$sys` describe it. */
export function activeStreamSnapshot(view: StreamView): ActiveStreamSnapshot {
  const m = view.meta;
  return {
    messageId: m.messageId,
    channelId: m.channelId,
    channelType: m.channelType,
    fromUid: m.fromUid,
    clientMsgNo: m.clientMsgNo,
    chunks: view.chunkCount,
    bytes: view.bytes,
    createdAt: view.createdAt,
    updatedAt: view.updatedAt,
    customFields: toWireMeta(m).customFields ?? {},
  };
}

/** What the message routes read of the server. */
export interface MessageRouteDeps {
  /** The chat pipeline that opens, appends to and ends messages. */
  readonly messages: Pick<ChatProducer, 'open' | 'append' | 'end'>;
  /** The messages streaming on this instance (memory mode reads and patches them here). */
  readonly cache: StreamCache;
  /** The store of finished messages. */
  readonly store: MessageStore;
  /** The store's circuit breaker, which every read goes through. */
  readonly storeBreaker: CircuitBreaker;
  /** Where the ends of streams and channels are audited (docs/security.md, "Audit log"). */
  readonly audit: Pick<AuditLog, 'record'>;
  /**
   * Cluster mode: the shared records of open messages (docs/architecture.md, "Messages across
   * instances"), read per request since the server joins a cluster after its routes exist;
   * undefined in memory mode.
   */
  cluster(): MessageDirectory | undefined;
}

/**
 * The message routes (the StreamCache) of docs/http-api.md: open, append a
 * chunk, end with a reason, update the metadata, read one message (open ones from the
 * cache, ended ones from the store), and query open messages by channel, sender or custom
 * field; plus the channel routes: end every stream in a channel, and whether it has one.
 * Producing needs the `produce` action on the message's channel topic, reading `subscribe`.
 *
 * @example
 * registerMessageRoutes(router, { messages, cache, store, storeBreaker, audit, cluster: () => undefined });
 */
export function registerMessageRoutes(router: Router<RouteContext>, deps: MessageRouteDeps): void {
  const { messages, cache, store, storeBreaker, audit } = deps;
  router.post('/v1/messages', async (_req, _params, ctx) => {
    const meta = await readBody(ctx, openBody, 'POST /v1/messages');
    const { messageId, id } = await messages.open(meta, ctx.principal);
    return jsonResponse({ messageId, id }, 201);
  });

  router.post('/v1/messages/:id/chunks', async (_req, params, ctx) => {
    const messageId = toMessageId(params.id!);
    const body = await readBody(ctx, chunkBody, 'POST /v1/messages/:id/chunks');
    // Exactly one, as `msg.append` on the socket: an empty chunk is `"text": ""`, never a missing field.
    if ((body.text === undefined) === (body.b64 === undefined)) {
      throw new SpoolError(
        'BAD_REQUEST',
        'Invalid body of POST /v1/messages/:id/chunks: give exactly one of `text` (a string) and `b64` (base64 bytes).',
      );
    }
    const chunk = body.b64 === undefined ? { text: body.text! } : { b64: body.b64 };
    const id = await messages.append(messageId, body.chunkId, chunk, ctx.principal);
    return jsonResponse({ id });
  });

  router.post('/v1/messages/:id/end', async (_req, params, ctx) => {
    const messageId = toMessageId(params.id!);
    const body = await readBody(ctx, endBody, 'POST /v1/messages/:id/end');
    const why = body.reason ?? 'success';
    await messages.end(messageId, why, ctx.principal);
    audit.record('stream.ended', ctx.principal, { messageId, reason: why });
    return jsonResponse({ messageId, reason: why });
  });

  router.patch('/v1/messages/:id', async (_req, params, ctx) => {
    const messageId = toMessageId(params.id!);
    const body = await readBody(ctx, patchBody, 'PATCH /v1/messages/:id');
    const cluster = deps.cluster();
    if (cluster) {
      // Cluster mode: the owner applies it, wherever the message is open.
      const open = await cluster.read(messageId);
      if (!open) throw notOpen(messageId);
      await ctx.authorize('produce', open.topic);
      return jsonResponse({ meta: await cluster.patch(messageId, body, ctx.principal) });
    }
    await ctx.authorize('produce', topicOf(openStream(cache, messageId).meta));
    return jsonResponse({ meta: toWireMeta(applyMetaPatch(cache, messageId, body)) });
  });

  router.get('/v1/messages/:id', async (_req, params, ctx) => {
    const messageId = toMessageId(params.id!);
    const cluster = deps.cluster();
    const open = await cluster?.read(messageId);
    if (open) {
      await ctx.authorize('subscribe', open.topic);
      return jsonResponse({
        meta: open.meta,
        text: open.text,
        chunks: open.chunks,
        lastChunkId: open.lastChunkId,
        bytes: open.bytes,
        status: 'streaming',
      });
    }
    const view = cluster ? undefined : cache.getStream(messageId);
    if (view) {
      await ctx.authorize('subscribe', topicOf(view.meta));
      return jsonResponse({
        meta: toWireMeta(view.meta),
        text: view.text(),
        chunks: view.chunkCount,
        lastChunkId: view.lastChunkId ?? -1,
        bytes: view.bytes,
        status: 'streaming',
      });
    }
    const stored = await storeBreaker.execute(() => store.get(messageId));
    if (!stored) {
      throw new SpoolError(
        'MESSAGE_NOT_FOUND',
        `No message ${messageId}: it is neither streaming nor in the store.`,
      );
    }
    await ctx.authorize('subscribe', channelTopic(stored.channelType, stored.channelId));
    return jsonResponse({
      meta: stored.meta,
      text: stored.text,
      chunks: stored.lastChunkId + 1,
      lastChunkId: stored.lastChunkId,
      bytes: utf8ByteLength(stored.text),
      status: 'ended',
      reason: stored.reason,
    });
  });

  router.get('/v1/messages', async (_req, _params, ctx) => {
    const q = checkInput(listQuery, queryOf(ctx.url), 'query of GET /v1/messages');
    const cluster = deps.cluster();
    if (cluster) return clusterList(ctx, cluster, q);
    let metas: StreamMeta[] | undefined;
    if (q.channelId !== undefined || q.channelType !== undefined) {
      if (q.channelId === undefined || q.channelType === undefined) {
        throw new SpoolError('BAD_REQUEST', 'Query by channel with both `channelId` and `channelType`.');
      }
      const type = channelTypeParam(q.channelType);
      await ctx.authorize('subscribe', channelTopic(type, q.channelId));
      metas = cache.getStreamsByChannel(q.channelId, type);
    } else if (q.fromUid !== undefined) {
      metas = cache.getStreamsByUser(q.fromUid);
    } else if (q.field !== undefined || q.value !== undefined) {
      if (q.field === undefined || q.value === undefined) {
        throw new SpoolError('BAD_REQUEST', 'Query by custom field with both `field` and `value`.');
      }
      metas = byCustomField(cache, q.field, q.value);
    }
    const views: StreamView[] = [];
    if (metas) {
      for (const m of metas) {
        const view = cache.getStream(m.messageId);
        if (view) views.push(view);
      }
    } else views.push(...cache.listStreams());
    const readable = await readableBy(ctx, views, (view) => topicOf(view.meta));
    const page = listPage(readable, (view) => view.meta.messageId, compareDecimal, ctx.url);
    return jsonResponse({ items: page.items.map(activeStreamSnapshot), next: page.next });
  });

  router.post('/v1/channels/:type/:id/end', async (_req, params, ctx) => {
    const type = channelTypeParam(params.type!);
    const channelId = params.id!;
    const body = await readBody(ctx, endBody, 'POST /v1/channels/:type/:id/end');
    await ctx.authorize('produce', channelTopic(type, channelId));
    const reason = body.reason ?? 'force';
    const cluster = deps.cluster();
    const ended = cluster
      ? await cluster.endChannel(channelId, type, reason, ctx.principal)
      : cache.endStreamInChannel(channelId, type, reason).ended.map(String);
    audit.record('channel.ended', ctx.principal, { channelType: type, channelId, reason, ended });
    return jsonResponse({ ended: ended.length });
  });

  router.get('/v1/channels/:type/:id/active', async (_req, params, ctx) => {
    const type = channelTypeParam(params.type!);
    const channelId = params.id!;
    const topic = channelTopic(type, channelId);
    await ctx.authorize('subscribe', topic);
    const cluster = deps.cluster();
    if (cluster) {
      const open = await cluster.listOpen();
      return jsonResponse({ active: open.some((r) => r.topic === topic) });
    }
    return jsonResponse({ active: cache.hasStreamInChannel(channelId, type) });
  });
}

function topicOf(meta: StreamMeta): string {
  return channelTopic(meta.channelType, meta.channelId);
}

function openStream(cache: StreamCache, messageId: string): StreamView {
  const view = cache.getStream(messageId);
  if (!view) throw notOpen(messageId);
  return view;
}

function notOpen(messageId: string): SpoolError {
  return new SpoolError(
    'STREAM_NOT_FOUND',
    `No open message ${messageId}; only streaming messages can be updated.`,
  );
}

/**
 * Cluster mode: the list from the shared records (docs/architecture.md, "Messages across
 * instances"), the same on every instance, with the filters of the cache's indexes.
 */
async function clusterList(
  ctx: RouteContext,
  cluster: MessageDirectory,
  q: v.InferOutput<typeof listQuery>,
): Promise<Response> {
  let match: (r: OpenMessageRecord) => boolean = () => true;
  if (q.channelId !== undefined || q.channelType !== undefined) {
    if (q.channelId === undefined || q.channelType === undefined) {
      throw new SpoolError('BAD_REQUEST', 'Query by channel with both `channelId` and `channelType`.');
    }
    const topic = channelTopic(channelTypeParam(q.channelType), q.channelId);
    await ctx.authorize('subscribe', topic);
    match = (r) => r.topic === topic;
  } else if (q.fromUid !== undefined) {
    match = (r) => r.meta.fromUid === q.fromUid;
  } else if (q.field !== undefined || q.value !== undefined) {
    if (q.field === undefined || q.value === undefined) {
      throw new SpoolError('BAD_REQUEST', 'Query by custom field with both `field` and `value`.');
    }
    const wanted = fieldValues(q.value);
    const field = q.field;
    match = (r) => {
      const fields = r.meta.customFields ?? {};
      return Object.hasOwn(fields, field) && wanted.some((w) => Object.is(w, fields[field]));
    };
  }
  const open = (await cluster.listOpen()).filter(match);
  const readable = await readableBy(ctx, open, (r) => r.topic);
  const page = listPage(readable, (r) => r.messageId, compareDecimal, ctx.url);
  return jsonResponse({ items: page.items.map(recordSnapshot), next: page.next });
}

/** As {@link byCustomField}: the text, and the JSON number, boolean or null it spells. */
function fieldValues(value: string): unknown[] {
  try {
    const parsed: unknown = JSON.parse(value);
    if (parsed === null || typeof parsed === 'number' || typeof parsed === 'boolean') return [value, parsed];
  } catch {
    // plain text
  }
  return [value];
}

function recordSnapshot(r: OpenMessageRecord): ActiveStreamSnapshot {
  return {
    messageId: r.messageId,
    channelId: r.meta.channelId,
    channelType: r.meta.channelType,
    fromUid: r.meta.fromUid ?? '',
    clientMsgNo: r.meta.clientMsgNo ?? '',
    chunks: r.chunks,
    bytes: r.bytes,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    customFields: r.meta.customFields ?? {},
  };
}

/**
 * A query string value matches the custom field as text, and also as the JSON number,
 * boolean or null it spells (`?field=retryCount&value=3` finds the number 3).
 */
function byCustomField(cache: StreamCache, field: string, value: string): StreamMeta[] {
  const found = new Map(cache.getStreamsByCustomField(field, value).map((m) => [m.messageId, m]));
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  if (parsed === null || typeof parsed === 'number' || typeof parsed === 'boolean') {
    for (const m of cache.getStreamsByCustomField(field, parsed)) found.set(m.messageId, m);
  }
  return [...found.values()];
}

/** Admins see every message; others only those of channels they may subscribe to. */
async function readableBy<T>(ctx: RouteContext, views: T[], topicOfItem: (item: T) => string): Promise<T[]> {
  if (ctx.principal.role === 'admin') return views;
  const allowed = new Map<string, boolean>();
  const out: T[] = [];
  for (const view of views) {
    const topic = topicOfItem(view);
    let ok = allowed.get(topic);
    if (ok === undefined) {
      ok = await ctx.authorize('subscribe', topic).then(
        () => true,
        () => false,
      );
      allowed.set(topic, ok);
    }
    if (ok) out.push(view);
  }
  return out;
}
