import { encodeSseEvent } from '../protocol/sse-encoder';
import type { PipelineEncoder, PipelineErrorBody } from './encoder';

/** One Server-Sent Event as the pipeline's SSE encoder takes it. */
export interface SsePipelineEvent {
  /** Becomes the client's `lastEventId`; must not contain CR, LF or NUL. */
  id?: string;
  /** The event type; left out means `message`. Must not contain CR or LF. */
  event?: string;
  /** A string is sent as is; anything else as JSON. */
  data: unknown;
  /** Reconnection time in ms, for the client's EventSource. */
  retry?: number;
}

/** Options of {@link ssePipelineEncoder}: how an item becomes an event. */
export interface SsePipelineEncoderOptions<T> {
  /**
   * Maps an item to an event.
   * @default the item itself, which must then be an {@link SsePipelineEvent}
   */
  toEvent?: (item: T) => SsePipelineEvent;
}

/**
 * Frames one pipeline event with the protocol's one SSE framer, `encodeSseEvent`
 * (docs/protocol.md, "Server-Sent Events"): data that is not a string goes as JSON.
 * @throws SpoolError `INVALID_SSE_FIELD` (CR/LF in `id` or `event`, NUL in `id`, a bad `retry`)
 */
function frame({ id, event, data, retry }: SsePipelineEvent): string {
  return encodeSseEvent({
    id,
    event,
    retry,
    data: typeof data === 'string' ? data : (JSON.stringify(data) ?? 'null'),
  });
}

/**
 * Server-Sent Events (`text/event-stream`). An in-band error is a last event named `error`
 * whose data is `{"error":{"code","message"}}`; an `EventSource` client gets it through
 * `addEventListener('error', …)` on a MessageEvent with `data`.
 *
 * @example
 * const body = createPipeline({
 *   fetcher: topic.catchupAfter(lastId),
 *   encoder: ssePipelineEncoder({ toEvent: (e) => ({ id: e.id, event: e.event, data: e.data }) }),
 * });
 */
export function ssePipelineEncoder<T = SsePipelineEvent>(
  options: SsePipelineEncoderOptions<T> = {},
): PipelineEncoder<T> {
  const toEvent = options.toEvent ?? ((item: T) => item as unknown as SsePipelineEvent);
  return {
    contentType: 'text/event-stream; charset=utf-8',
    start: () => '',
    item: (value) => frame(toEvent(value)),
    end: () => '',
    error: (error: PipelineErrorBody) =>
      frame({ event: 'error', data: { error: { code: error.code, message: error.message } } }),
  };
}
