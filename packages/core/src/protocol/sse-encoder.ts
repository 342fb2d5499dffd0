import { SpoolError } from '../errors';

/**
 * One frame of a `text/event-stream`, as the server writes it. Every field is optional:
 * a frame with only `comment` is a heartbeat, one with only `retry` sets the client's
 * reconnection time.
 */
export interface SseEventInit {
  /** `id:` line: becomes the client's last event ID. No CR, LF or NUL. */
  id?: string;
  /** `event:` line. Leave it out for the default type `message`. No CR or LF. */
  event?: string;
  /**
   * `data:` lines. A multi-line value is split on CR, LF and CRLF into one `data:` line
   * each; the client joins them back with LF. `''` sends one empty `data:` line (an event
   * with empty data); leaving it out sends no event, only the other fields.
   */
  data?: string;
  /** `retry:` line: the reconnection time in milliseconds, a non-negative integer. */
  retry?: number;
  /** Comment lines (`: ...`), which clients ignore; used for heartbeats and padding. */
  comment?: string;
}

const LINE_BREAK_RE = /\r\n|\r|\n/;

/**
 * Frames one event as `text/event-stream` text, ending with the blank line that
 * dispatches it. The server frames an event once and writes the same bytes to every
 * client. See https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 *
 * @throws SpoolError `INVALID_SSE_FIELD` when `id` or `event` holds CR or LF (which would
 *   split the field and let the value inject fields of its own), `id` holds NUL (clients
 *   ignore such an ID), or `retry` is not a non-negative integer.
 * @example
 * encodeSseEvent({ id: '1731900000000-4', event: 'msg.delta', data: '{"text":"Hi"}' })
 * // 'id: 1731900000000-4\nevent: msg.delta\ndata: {"text":"Hi"}\n\n'
 */
export function encodeSseEvent(ev: SseEventInit): string {
  let out = '';
  if (ev.comment !== undefined) {
    if (typeof ev.comment !== 'string')
      throw invalid(`\`comment\` must be a string, got ${typeof ev.comment}`);
    out += prefixLines(': ', ev.comment);
  }
  if (ev.retry !== undefined) {
    if (!Number.isSafeInteger(ev.retry) || ev.retry < 0) {
      throw invalid(`\`retry\` must be a non-negative integer of milliseconds, got ${String(ev.retry)}`);
    }
    out += `retry: ${ev.retry}\n`;
  }
  if (ev.id !== undefined) {
    if (typeof ev.id !== 'string' || /[\r\n\0]/.test(ev.id)) {
      throw invalid(`\`id\` must be a string without CR, LF or NUL, got ${JSON.stringify(ev.id)}`);
    }
    out += `id: ${ev.id}\n`;
  }
  if (ev.event !== undefined) {
    if (typeof ev.event !== 'string' || /[\r\n]/.test(ev.event)) {
      throw invalid(`\`event\` must be a string without CR or LF, got ${JSON.stringify(ev.event)}`);
    }
    out += `event: ${ev.event}\n`;
  }
  if (ev.data !== undefined) {
    if (typeof ev.data !== 'string') {
      throw invalid(`\`data\` must be a string (JSON.stringify objects first), got ${typeof ev.data}`);
    }
    out += prefixLines('data: ', ev.data);
  }
  return out + '\n';
}

function prefixLines(prefix: string, text: string): string {
  // Fast path: most payloads (JSON) are one line.
  if (text.indexOf('\n') === -1 && text.indexOf('\r') === -1) return `${prefix}${text}\n`;
  let out = '';
  for (const line of text.split(LINE_BREAK_RE)) out += `${prefix}${line}\n`;
  return out;
}

function invalid(message: string): SpoolError {
  return new SpoolError('INVALID_SSE_FIELD', `Cannot encode SSE event: ${message}.`);
}

/**
 * A `TransformStream` that frames {@link SseEventInit}s as UTF-8 `text/event-stream` bytes.
 * A field that cannot be framed errors the stream with `INVALID_SSE_FIELD`.
 *
 * @example
 * const body = events.pipeThrough(createSseEncoderStream());
 * return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
 */
export function createSseEncoderStream(): TransformStream<SseEventInit, Uint8Array> {
  const encoder = new TextEncoder();
  return new TransformStream({
    transform(ev, controller) {
      controller.enqueue(encoder.encode(encodeSseEvent(ev)));
    },
  });
}
