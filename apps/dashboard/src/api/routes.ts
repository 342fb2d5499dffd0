/**
 * The HTTP API routes the dashboard uses, typed after docs/http-api.md. One function per
 * route, so tests and the query hooks share exactly the same paths and bodies.
 */
import type {
  ActiveStreamSnapshot,
  BrokerStreamSnapshot,
  SpoolStats,
  StoredMessage,
  TopicStatsSnapshot,
  WireEndReason,
  WireStreamMeta,
} from '@spool/core';
import type { HttpRequest } from './http';

/** A page of a list route: `{ items, next }`, `next` being the cursor of the following page. */
export interface ListPage<T> {
  items: T[];
  next: string | null;
}

/** One consumer of a group, as `GET /v1/streams/:key` reports it. */
export interface ConsumerInfo {
  name: string;
  pending: number;
  /** Milliseconds since the consumer last read or claimed. */
  idle: number;
}

export interface GroupInfo {
  name: string;
  consumers: ConsumerInfo[];
  pending: number;
  lastDeliveredId: string;
  entriesRead: number | null;
  lag: number | null;
}

/** `GET /v1/streams/:key`. */
export interface StreamInfo {
  key: string;
  length: number;
  firstId: string | null;
  lastId: string | null;
  groups: GroupInfo[];
}

/** One entry of a group's pending entries list (XPENDING extended form). */
export interface PendingEntry {
  id: string;
  consumer: string;
  idle: number;
  deliveries: number;
}

/** A broker stream entry: its ID and its string fields (XRANGE). */
export interface StreamEntry {
  id: string;
  fields: Record<string, string>;
}

/** `POST .../autoclaim` reply (XAUTOCLAIM): the next start ID, the claimed entries, IDs no longer in the stream. */
export interface AutoclaimResult {
  next: string;
  entries: StreamEntry[];
  deleted: string[];
}

/** One audited operator action, as `GET /v1/audit` lists it (docs/security.md, "Audit log"). */
export interface AuditEntry {
  /** Its number on the server instance, from 1. */
  seq: number;
  /** When (ms since the epoch). */
  at: number;
  action: 'group.destroyed' | 'consumer.deleted' | 'claim' | 'stream.ended' | 'channel.ended';
  principal: string;
  role: 'admin' | 'user';
  details: Record<string, unknown>;
}

/** `GET /v1/messages/:id`. */
export interface MessageDetail {
  meta: WireStreamMeta;
  text: string;
  chunks: number;
  bytes: number;
  status: 'streaming' | 'ended';
  reason?: WireEndReason;
}

/** Filters of `GET /v1/messages`: the server applies one (channel, sender or custom field). */
export type MessageQuery =
  | { channelId: string; channelType: number }
  | { fromUid: string }
  | { field: string; value: string }
  | Record<string, never>;

/** Filters of `GET /v1/store/messages`: exactly one (channel, sender or custom field). */
export type StoreQuery =
  | { channelType: number; channelId: string }
  | { fromUid: string }
  | { field: string; value: string; json?: 1 };

const seg = encodeURIComponent;

/**
 * Binds every route to a request function.
 *
 * @example
 * const api = createSpoolApi(createHttp());
 * await api.endChannel(1, 'general', 'force');
 */
export function createSpoolApi(request: HttpRequest) {
  return {
    getStats: () => request<SpoolStats>('GET', '/v1/stats'),
    listAudit: () => request<{ items: AuditEntry[] }>('GET', '/v1/audit'),
    listTopics: (cursor?: string) =>
      request<ListPage<TopicStatsSnapshot>>('GET', '/v1/topics', { query: { limit: 100, cursor } }),
    listMessages: (filter: MessageQuery, cursor?: string) =>
      request<ListPage<ActiveStreamSnapshot>>('GET', '/v1/messages', {
        query: { ...(filter as Record<string, string | number>), limit: 100, cursor },
      }),
    searchStore: (filter: StoreQuery, before?: string) =>
      request<ListPage<StoredMessage>>('GET', '/v1/store/messages', {
        query: { ...(filter as Record<string, string | number>), limit: 50, before },
      }),
    getMessage: (messageId: string) => request<MessageDetail>('GET', `/v1/messages/${seg(messageId)}`),
    endMessage: (messageId: string, reason: WireEndReason) =>
      request<{ messageId: string; reason: WireEndReason }>('POST', `/v1/messages/${seg(messageId)}/end`, {
        body: { reason },
      }),
    endChannel: (channelType: number, channelId: string, reason: WireEndReason = 'force') =>
      request<{ ended: number }>('POST', `/v1/channels/${channelType}/${seg(channelId)}/end`, {
        body: { reason },
      }),
    listStreams: (cursor?: string) =>
      request<ListPage<BrokerStreamSnapshot>>('GET', '/v1/streams', { query: { limit: 100, cursor } }),
    getStream: (key: string) => request<StreamInfo>('GET', `/v1/streams/${seg(key)}`),
    getEntries: (key: string, count = 50) =>
      request<{ entries: StreamEntry[] }>('GET', `/v1/streams/${seg(key)}/entries`, {
        query: { start: '-', end: '+', count, rev: 1 },
      }),
    getPendingEntries: (key: string, group: string, count = 100) =>
      request<{ entries: PendingEntry[] }>('GET', `/v1/streams/${seg(key)}/groups/${seg(group)}/pending`, {
        query: { start: '-', end: '+', count },
      }),
    autoclaim: (key: string, group: string, body: { consumer: string; minIdleMs: number; count?: number }) =>
      request<AutoclaimResult>('POST', `/v1/streams/${seg(key)}/groups/${seg(group)}/autoclaim`, {
        body: { start: '0-0', count: 100, ...body },
      }),
    deleteConsumer: (key: string, group: string, consumer: string) =>
      request<{ pending: number }>(
        'DELETE',
        `/v1/streams/${seg(key)}/groups/${seg(group)}/consumers/${seg(consumer)}`,
      ),
    destroyGroup: (key: string, group: string) =>
      request<{ destroyed: boolean }>('DELETE', `/v1/streams/${seg(key)}/groups/${seg(group)}`),
    startDemoReply: (channel: string) =>
      request<{ messageId: string; topic: string }>('POST', '/v1/demo/replies', { body: { channel } }),
  };
}

/** The dashboard's typed HTTP API. */
export type SpoolApi = ReturnType<typeof createSpoolApi>;
