import type { ChannelHistoryPage } from '@spool/core';
import { getJson, type HttpClient } from './http-get';

/** Which channel {@link SpoolClient.history} reads. */
export interface HistoryChannel {
  /** The channel's type, as in its topic `chan:<type>:<id>`. */
  channelType: number;
  /** The channel's ID, as in its topic `chan:<type>:<id>`. */
  channelId: string;
}

/** Options of {@link SpoolClient.history}. */
export interface HistoryOptions {
  /** Messages whose `msg.open` event ID is below this (a page's `next`); absent: the newest. */
  before?: string;
  /**
   * Messages per page (1 to 1000).
   * @default 50 (the server's)
   */
  limit?: number;
  /** Aborts the request. */
  signal?: AbortSignal;
}

/**
 * Reads one page of a channel's history over HTTP (`GET /v1/channels/:type/:id/messages`,
 * docs/http-api.md "Channel history"). Rejects as {@link getJson}: the server's code
 * (`INVALID_EVENT_ID`, `FORBIDDEN`, `STORE_UNAVAILABLE`, ...) with `details.status`.
 *
 * @example
 * const { items, next } = await fetchHistory(client, { channelType: 1, channelId: 'general' });
 */
export async function fetchHistory(
  client: HttpClient,
  channel: HistoryChannel,
  options: HistoryOptions = {},
): Promise<ChannelHistoryPage> {
  const query = new URLSearchParams();
  if (options.before !== undefined) query.set('before', options.before);
  if (options.limit !== undefined) query.set('limit', String(options.limit));
  const q = query.size > 0 ? `?${query}` : '';
  const path = `/v1/channels/${channel.channelType}/${encodeURIComponent(channel.channelId)}/messages${q}`;
  return getJson<ChannelHistoryPage>(client, path, options.signal);
}
