import {
  type ChannelHistoryItem,
  type ChannelHistoryPage,
  type CircuitBreaker,
  channelTopic,
  compareEventIds,
  type EventId,
  type MessageStore,
  parseEventId,
  type StoredMessage,
  type WireStreamMeta,
} from '@spool/core';
import type { ChatProducer } from '@spool/core/internal';
import { jsonResponse } from '../errors';
import type { RouteContext } from '../route-context';
import type { Router } from '../router';
import { channelTypeParam, intParam } from './request-input';

/** Bounds of the `limit` of `GET /v1/channels/:type/:id/messages`. */
export const channelHistoryDefaults = Object.freeze({ limit: 50, maxLimit: 1000 });

/** What the channel history reads of the server. */
export interface ChannelHistoryDeps {
  /** The store of finished messages. */
  readonly store: MessageStore;
  /** The store's circuit breaker, which every read goes through. */
  readonly storeBreaker: CircuitBreaker;
  /** The chat pipeline: messages still streaming, and those whose save failed. */
  readonly messages: Pick<ChatProducer, 'deadLetters' | 'openMessages'>;
}

/**
 * `GET /v1/channels/:type/:id/messages?before=<eventId>&limit=50`: what a chat UI loads on
 * scroll-up (docs/http-api.md, "Channel history"). Needs `subscribe` on the channel.
 *
 * @example registerChannelHistoryRoutes(router, { store, storeBreaker: breakers.store, messages });
 */
export function registerChannelHistoryRoutes(router: Router<RouteContext>, deps: ChannelHistoryDeps): void {
  router.get('/v1/channels/:type/:id/messages', async (_req, params, ctx) => {
    const channelType = channelTypeParam(params.type!);
    const channelId = params.id!;
    const raw = ctx.url.searchParams.get('before');
    const before = raw === null || raw === '' ? undefined : raw;
    // Parsed before anything else, so a bad cursor is INVALID_EVENT_ID whatever the store.
    if (before !== undefined) parseEventId(before);
    const limit = intParam(
      ctx.url,
      'limit',
      { min: 1, max: channelHistoryDefaults.maxLimit },
      channelHistoryDefaults.limit,
    );
    await ctx.authorize('subscribe', channelTopic(channelType, channelId));
    return jsonResponse(await channelHistory(deps, { channelType, channelId }, before, limit));
  });
}

/**
 * A channel's messages whose first event ID is below `before`, newest first: the store's
 * page, merged with the messages still streaming and those whose save failed (dead
 * letters), which the store does not hold, so the UI shows every message it was sent.
 *
 * @throws SpoolError `INVALID_EVENT_ID`, and the store's (`STORE_UNAVAILABLE`, `CIRCUIT_OPEN`)
 */
export async function channelHistory(
  deps: ChannelHistoryDeps,
  channel: { channelType: number; channelId: string },
  before: EventId | undefined,
  limit: number,
): Promise<ChannelHistoryPage> {
  const topic = channelTopic(channel.channelType, channel.channelId);
  const below = (id: EventId) => id !== '' && (before === undefined || compareEventIds(id, before) < 0);
  const page = await deps.storeBreaker.execute(() => deps.store.listBefore(channel, before, { limit }));
  const byId = new Map<string, ChannelHistoryItem>();
  for (const letter of deps.messages.deadLetters) {
    const m = letter.message;
    if (letter.topic !== topic || !below(m.firstEventId)) continue;
    byId.set(m.messageId, { ...fromStored(m), persisted: false });
  }
  for (const open of await deps.messages.openMessages(topic)) {
    const first = open.firstEventId;
    if (first === undefined || !below(first)) continue;
    byId.set(open.snapshot.messageId, {
      ...open.snapshot,
      firstEventId: first,
      lastEventId: open.lastEventId,
      persisted: false,
    });
  }
  // The store last: a message that finished while this ran is in both, and the store's copy is final.
  for (const m of page.items) byId.set(m.messageId, { ...fromStored(m), persisted: true });
  const all = [...byId.values()].sort(
    (a, b) =>
      compareEventIds(b.firstEventId, a.firstEventId) ||
      b.messageId.length - a.messageId.length ||
      (b.messageId > a.messageId ? 1 : b.messageId < a.messageId ? -1 : 0),
  );
  let items = all.slice(0, limit);
  const edge = items.at(-1);
  // Never split messages that share the cursor: the next page starts strictly below it.
  if (edge) items = all.filter((m, i) => i < limit || m.firstEventId === edge.firstEventId);
  const more = all.length > items.length || page.next !== null;
  return { items, next: more && edge ? edge.firstEventId : null };
}

function fromStored(
  m: Pick<
    StoredMessage,
    'messageId' | 'meta' | 'text' | 'lastChunkId' | 'reason' | 'firstEventId' | 'lastEventId'
  >,
): Omit<ChannelHistoryItem, 'persisted'> {
  return {
    messageId: m.messageId,
    meta: m.meta as WireStreamMeta,
    text: m.text,
    lastChunkId: m.lastChunkId,
    status: 'ended',
    reason: m.reason,
    firstEventId: m.firstEventId,
    lastEventId: m.lastEventId,
  };
}
