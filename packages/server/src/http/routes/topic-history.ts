import {
  createPipeline,
  isEventId,
  jsonArrayEncoder,
  MIN_EVENT_ID,
  SpoolError,
  type Topic,
  type TopicEvent,
} from '@spool/core';

/** Options of {@link topicHistoryBody}. */
export interface TopicHistoryOptions {
  /** Events after this ID. @default '0-0' (everything retained) */
  after?: string;
  /** At most this many events. @default no limit */
  limit?: number;
  /** Events read from the log per page. @default 256 */
  pageSize?: number;
  /** Bytes buffered before a chunk is written (the pipeline's `chunkThreshold`). @default 32768 */
  chunkBytes?: number;
  /** The request's signal: the log is no longer read once the client leaves. */
  signal?: AbortSignal;
}

/** Defaults of {@link TopicHistoryOptions}. */
export const topicHistoryDefaults = Object.freeze({
  after: MIN_EVENT_ID,
  pageSize: 256,
  chunkBytes: 32 * 1024,
});

/**
 * A topic's retained history as a JSON array of `{ id, event, data }`, streamed through the
 * core pipeline: the log is read a page at a time, only as fast as the client
 * reads, so a large topic is never buffered whole. Each item is written from the event's
 * JSON taken at append time, never serialised again. On a channel topic, messages whose
 * events the log no longer holds come as `msg.snapshot` events, as in any resume.
 *
 * @throws SpoolError `INVALID_EVENT_ID` (a malformed `after`)
 * @example
 * const body = topicHistoryBody(topic, { after: '0-0', signal: request.signal });
 * return new Response(body, { headers: { 'content-type': 'application/json; charset=utf-8' } });
 */
export function topicHistoryBody(
  topic: Topic,
  options: TopicHistoryOptions = {},
): ReadableStream<Uint8Array> {
  const after = options.after ?? topicHistoryDefaults.after;
  if (!isEventId(after)) {
    throw new SpoolError(
      'INVALID_EVENT_ID',
      `\`after\` must be an event ID "<ms>-<seq>" ("0-0" for everything), got ${JSON.stringify(after)}.`,
    );
  }
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const pageSize = options.pageSize ?? topicHistoryDefaults.pageSize;
  return createPipeline<TopicEvent>({
    fetcher: (signal) => historyEvents(topic, after, limit, pageSize, signal),
    encoder: jsonArrayEncoder<TopicEvent>({ stringify: historyItemJson }),
    chunkThreshold: options.chunkBytes ?? topicHistoryDefaults.chunkBytes,
    signal: options.signal,
  });
}

async function* historyEvents(
  topic: Topic,
  after: string,
  limit: number,
  pageSize: number,
  signal: AbortSignal,
): AsyncGenerator<TopicEvent> {
  const reader = topic.catchup(after);
  let left = limit;
  while (left > 0 && !signal.aborted) {
    const page = await reader.next(Math.min(pageSize, left));
    for (const ev of page.events) yield ev;
    left -= page.events.length;
    if (page.done) return;
  }
}

/** One history item; `ev.json` is the data as serialised at append. */
function historyItemJson(ev: TopicEvent): string {
  return `{"id":"${ev.id}","event":${JSON.stringify(ev.event)},"data":${ev.json}}`;
}
