import type { APIRequestContext, APIResponse } from '@playwright/test';
import type { SpoolStats } from '@spool/core';

/** `GET /v1/messages/:id` (docs/http-api.md, "Messages"). */
export interface MessageDetail {
  text: string;
  chunks: number;
  bytes: number;
  status: 'streaming' | 'ended';
  reason?: string;
}

/** A broker entry as the read route returns it. */
export interface StreamEntry {
  id: string;
  fields: Record<string, string>;
}

/**
 * The real HTTP API of the `spool serve` under test, through Playwright's `request`
 * fixture: the specs drive the server's state with it and watch the dashboard follow.
 * Every call fails the test with the server's `{ error }` body when the status is not 2xx.
 *
 * @example
 * const id = await api.openMessage({ channelId: 'e2e', channelType: 1 });
 * await api.appendChunk(id, 0, 'Hello');
 */
export class SpoolApi {
  constructor(private readonly request: APIRequestContext) {}

  /** `POST /v1/messages`; the message ID stays a decimal string (64-bit). */
  async openMessage(meta: {
    channelId: string;
    channelType: number;
    fromUid?: string;
    customFields?: Record<string, string | number | boolean>;
  }): Promise<string> {
    const body = await json<{ messageId: string }>(await this.request.post('/v1/messages', { data: meta }));
    return body.messageId;
  }

  /** `POST /v1/messages/:id/chunks` → the event ID of the `msg.delta`. */
  async appendChunk(messageId: string, chunkId: number, text: string): Promise<string> {
    const res = await this.request.post(`/v1/messages/${messageId}/chunks`, { data: { chunkId, text } });
    return (await json<{ id: string }>(res)).id;
  }

  /** `POST /v1/messages/:id/end`. */
  async endMessage(messageId: string, reason = 'success'): Promise<void> {
    await json(await this.request.post(`/v1/messages/${messageId}/end`, { data: { reason } }));
  }

  /** `GET /v1/messages/:id`: open ones from the cache, ended ones from the store. */
  async message(messageId: string): Promise<MessageDetail> {
    return json<MessageDetail>(await this.request.get(`/v1/messages/${messageId}`));
  }

  /** `POST /v1/topics/:topic/events` → the event ID. */
  async publish(topic: string, data: unknown, event?: string): Promise<string> {
    const res = await this.request.post(`/v1/topics/${encodeURIComponent(topic)}/events`, {
      data: event === undefined ? { data } : { event, data },
    });
    return (await json<{ id: string }>(res)).id;
  }

  /** `POST /v1/streams/:key/groups` (XGROUP CREATE ... MKSTREAM). */
  async createGroup(key: string, group: string, id = '$'): Promise<void> {
    await json(
      await this.request.post(`/v1/streams/${encodeURIComponent(key)}/groups`, {
        data: { group, id, mkStream: true },
      }),
    );
  }

  /** `POST /v1/streams/:key/entries` (XADD) → the entry ID. */
  async addEntry(key: string, fields: Record<string, string>): Promise<string> {
    const res = await this.request.post(`/v1/streams/${encodeURIComponent(key)}/entries`, {
      data: { fields },
    });
    return (await json<{ id: string }>(res)).id;
  }

  /** `GET /v1/streams/:key/groups/:group/consumers/:consumer` (XREADGROUP ... `>`), without blocking. */
  async readGroup(key: string, group: string, consumer: string, count: number): Promise<StreamEntry[]> {
    const path = `/v1/streams/${encodeURIComponent(key)}/groups/${encodeURIComponent(group)}/consumers/${encodeURIComponent(consumer)}`;
    const res = await this.request.get(path, { params: { count } });
    return (await json<{ entries: StreamEntry[] }>(res)).entries;
  }

  /** `POST /v1/streams/:key/groups/:group/ack` (XACK) → how many were acknowledged. */
  async ack(key: string, group: string, ids: string[]): Promise<number> {
    const path = `/v1/streams/${encodeURIComponent(key)}/groups/${encodeURIComponent(group)}/ack`;
    return (await json<{ acked: number }>(await this.request.post(path, { data: { ids } }))).acked;
  }

  /** `GET /v1/streams/:key/groups/:group/pending`, summary form (XPENDING). */
  async pendingCount(key: string, group: string): Promise<number> {
    const path = `/v1/streams/${encodeURIComponent(key)}/groups/${encodeURIComponent(group)}/pending`;
    return (await json<{ count: number }>(await this.request.get(path))).count;
  }

  /** `GET /v1/stats`. */
  async stats(): Promise<SpoolStats> {
    return json<SpoolStats>(await this.request.get('/v1/stats'));
  }
}

async function json<T = unknown>(res: APIResponse): Promise<T> {
  if (!res.ok()) {
    throw new Error(`${res.url()} answered ${res.status()}: ${await res.text()}`);
  }
  return (await res.json()) as T;
}

/** A suffix unique to this run, so names never collide with the demo's or an earlier run's. */
export const runId = Date.now().toString(36);
