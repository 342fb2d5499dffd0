import { SpoolError } from '../errors';
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

export interface SsePipelineEncoderOptions<T> {
  /**
   * Maps an item to an event.
   * @default the item itself, which must then be an {@link SsePipelineEvent}
   */
  toEvent?: (item: T) => SsePipelineEvent;
}

// WHATWG: a line ends at CRLF, LF or CR, so a data value is split on all three.
// https://html.spec.whatwg.org/multipage/server-sent-events.html#parsing-an-event-stream
const LINE_BREAK = /\r\n|\r|\n/;

/** Frames one event: `id:`, `event:`, `retry:`, one `data:` line per line of data, and a blank line. */
export function frameSseEvent(event: SsePipelineEvent): string {
  let out = '';
  if (event.id !== undefined) {
    // A NUL makes the WHATWG parser ignore the id; a line break would forge a new field.
    if (/[\r\n\0]/.test(event.id)) {
      throw new SpoolError(
        'INVALID_SSE_FIELD',
        `SSE \`id\` must not contain CR, LF or NUL, got ${JSON.stringify(event.id)}`,
      );
    }
    out += `id: ${event.id}\n`;
  }
  if (event.event !== undefined) {
    if (/[\r\n]/.test(event.event)) {
      throw new SpoolError(
        'INVALID_SSE_FIELD',
        `SSE \`event\` must not contain CR or LF, got ${JSON.stringify(event.event)}`,
      );
    }
    out += `event: ${event.event}\n`;
  }
  if (event.retry !== undefined) {
    if (!Number.isInteger(event.retry) || event.retry < 0) {
      throw new SpoolError(
        'INVALID_SSE_FIELD',
        `SSE \`retry\` must be a non-negative integer, got ${event.retry}`,
      );
    }
    out += `retry: ${event.retry}\n`;
  }
  const data = typeof event.data === 'string' ? event.data : (JSON.stringify(event.data) ?? 'null');
  for (const line of data.split(LINE_BREAK)) out += `data: ${line}\n`;
  return out + '\n';
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
    item: (value) => frameSseEvent(toEvent(value)),
    end: () => '',
    error: (error: PipelineErrorBody) =>
      frameSseEvent({ event: 'error', data: { error: { code: error.code, message: error.message } } }),
  };
}
