import { SpoolError } from '../errors';

/** One dispatched event, as `EventSource` would deliver it. */
export interface ParsedSseEvent {
  /**
   * The stream's last event ID when the event was dispatched (`MessageEvent.lastEventId`):
   * this event's `id:` field or, when it had none, the most recent one before it.
   * `''` when the stream has set none.
   */
  id: string;
  /** The `event:` field, or `message` when the event had none or an empty one. */
  event: string;
  /** The `data:` lines joined with LF. */
  data: string;
}

/** Options of {@link SseParser}. */
export interface SseParserOptions {
  /** Called for each dispatched event. */
  onEvent?: (event: ParsedSseEvent) => void;
  /** Called with the new reconnection time in ms for each valid `retry:` field. */
  onRetry?: (ms: number) => void;
  /** Called with each comment line's text (after `:` and one optional space). */
  onComment?: (text: string) => void;
  /**
   * The most characters held at once: one line, and the data of one event. Past it the
   * parser throws `SSE_LINE_TOO_LONG`, so a server that never ends a line cannot grow
   * memory without bound.
   * @default 1_048_576
   */
  maxBufferSize?: number;
  /**
   * The last event ID known before this stream (for example from the previous connection);
   * {@link SseParser.lastEventId} reports it until the stream dispatches an event.
   * @default ''
   */
  lastEventId?: string;
}

/** Defaults of {@link SseParserOptions}. */
export const sseParserDefaults = {
  maxBufferSize: 1024 * 1024,
  lastEventId: '',
} as const;

const LF = 10;
const CR = 13;
const SPACE = 32;
const COLON = 58;
const BOM = 0xfeff;
const noop = () => {};

/**
 * An incremental `text/event-stream` parser that follows the WHATWG rules
 * (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):
 * feed it text in chunks split anywhere, and it calls back for each event, `retry` and
 * comment. It needs no streams; {@link createSseParserStream} wraps it for bytes.
 *
 * Lines end with CR, LF or CRLF, also when the CR ends one chunk and the LF starts the
 * next. One leading BOM is skipped. An event without `data:` lines is not dispatched, but
 * its `id:` still moves the last event ID. A `retry:` with anything but ASCII digits and
 * an `id:` holding NUL are ignored, as are unknown fields. A line or event left
 * unfinished when the input ends is never dispatched.
 *
 * @example
 * const parser = new SseParser({ onEvent: (ev) => console.log(ev.id, ev.event, ev.data) });
 * parser.feed('id: 1-0\nevent: msg.delta\nda');
 * parser.feed('ta: {"text":"Hi"}\n\n'); // logs: 1-0 msg.delta {"text":"Hi"}
 */
export class SseParser {
  readonly #onEvent: (event: ParsedSseEvent) => void;
  readonly #onRetry: (ms: number) => void;
  readonly #onComment: ((text: string) => void) | undefined;
  readonly #max: number;
  /** The start of a line whose end has not arrived yet. */
  #pending = '';
  /** No text seen yet, so a BOM may come. */
  #atStart = true;
  /** The last chunk ended with CR: an LF starting the next chunk belongs to it. */
  #afterCr = false;
  #data = '';
  #dataLines = 0;
  #type = '';
  /** The spec's "last event ID buffer": set by `id:`, read at dispatch. */
  #idBuffer = '';
  /** The spec's "last event ID string" of the source. */
  #lastEventId: string;
  #failure: SpoolError | undefined;

  constructor(options: SseParserOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new SpoolError(
        'INVALID_OPTION',
        `SseParser options must be an object, got ${typeof options}. Did you mean \`new SseParser({ onEvent })\`?`,
      );
    }
    const max = options.maxBufferSize ?? sseParserDefaults.maxBufferSize;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new SpoolError(
        'INVALID_OPTION',
        `\`maxBufferSize\` must be a positive integer (characters), got ${String(max)}.`,
      );
    }
    for (const name of ['onEvent', 'onRetry', 'onComment'] as const) {
      if (options[name] !== undefined && typeof options[name] !== 'function') {
        throw new SpoolError(
          'INVALID_OPTION',
          `\`${name}\` must be a function, got ${typeof options[name]}.`,
        );
      }
    }
    const lastEventId = options.lastEventId ?? sseParserDefaults.lastEventId;
    if (typeof lastEventId !== 'string') {
      throw new SpoolError('INVALID_OPTION', `\`lastEventId\` must be a string, got ${typeof lastEventId}.`);
    }
    this.#onEvent = options.onEvent ?? noop;
    this.#onRetry = options.onRetry ?? noop;
    this.#onComment = options.onComment;
    this.#max = max;
    this.#lastEventId = lastEventId;
  }

  /** The stream's last event ID: what to send as `Last-Event-ID` when reconnecting. */
  get lastEventId(): string {
    return this.#lastEventId;
  }

  /**
   * Parses the next piece of the stream. Callbacks run synchronously, in stream order.
   * If a callback throws, the error propagates and the rest of this chunk is lost: call
   * {@link reset} before feeding more.
   *
   * @throws SpoolError `SSE_LINE_TOO_LONG` when a line or an event's data passes
   *   `maxBufferSize`; every later call throws it again until {@link reset}.
   */
  feed(chunk: string): void {
    if (this.#failure) throw this.#failure;
    const len = chunk.length;
    if (len === 0) return;
    let pos = 0;
    if (this.#atStart) {
      this.#atStart = false;
      if (chunk.charCodeAt(0) === BOM) pos = 1;
    } else if (this.#afterCr) {
      this.#afterCr = false;
      if (chunk.charCodeAt(0) === LF) pos = 1;
    }
    let cr = chunk.indexOf('\r', pos);
    let lf = chunk.indexOf('\n', pos);
    // The end of the first line, which may continue a line carried over from before.
    let end = cr === -1 ? lf : lf === -1 || cr < lf ? cr : lf;
    if (end === -1) {
      this.#carry(chunk, pos);
      return;
    }
    if (this.#pending !== '') {
      const line = this.#pending + chunk.slice(pos, end);
      this.#pending = '';
      if (line.length > this.#max) this.#fail('line');
      this.#line(line, 0, line.length);
      pos = this.#next(chunk, end, len);
      if (pos === len) return;
      lf = chunk.indexOf('\n', pos);
      if (cr !== -1) cr = chunk.indexOf('\r', pos);
    }
    const max = this.#max;
    // Hot path: LF-only text, one indexOf per line.
    if (cr === -1) {
      while (lf !== -1) {
        if (lf - pos > max) this.#fail('line');
        this.#line(chunk, pos, lf);
        // A blank line right after (the end of an event) needs no search of its own.
        if (chunk.charCodeAt(lf + 1) === LF && lf !== pos) {
          this.#dispatch();
          lf++;
        }
        pos = lf + 1;
        lf = chunk.indexOf('\n', pos);
      }
      this.#carry(chunk, pos);
      return;
    }
    // CR somewhere in the chunk: a line ends at whichever of CR and LF comes first.
    for (;;) {
      if (cr !== -1 && cr < pos) cr = chunk.indexOf('\r', pos);
      if (lf !== -1 && lf < pos) lf = chunk.indexOf('\n', pos);
      end = cr === -1 ? lf : lf === -1 || cr < lf ? cr : lf;
      if (end === -1) break;
      if (end - pos > max) this.#fail('line');
      this.#line(chunk, pos, end);
      pos = this.#next(chunk, end, len);
    }
    this.#carry(chunk, pos);
  }

  /**
   * Forgets any partial line and event, and a failure, so that a new stream (a new
   * connection) can be fed. Like `EventSource`, it keeps {@link lastEventId}, but the new
   * stream's events carry only IDs the new stream sets.
   */
  reset(): void {
    this.#pending = '';
    this.#atStart = true;
    this.#afterCr = false;
    this.#data = '';
    this.#dataLines = 0;
    this.#type = '';
    this.#idBuffer = '';
    this.#failure = undefined;
  }

  /** The position after the line ending at `end`; CRLF counts as one ending. */
  #next(chunk: string, end: number, len: number): number {
    if (chunk.charCodeAt(end) === CR) {
      if (end + 1 === len) {
        this.#afterCr = true;
        return len;
      }
      if (chunk.charCodeAt(end + 1) === LF) return end + 2;
    }
    return end + 1;
  }

  #carry(chunk: string, pos: number): void {
    if (pos >= chunk.length) return;
    // String concatenation builds a rope, so a long line in many small chunks stays linear.
    this.#pending += pos === 0 ? chunk : chunk.slice(pos);
    if (this.#pending.length > this.#max) this.#fail('line');
  }

  #fail(what: 'line' | 'event'): never {
    this.reset();
    this.#failure = new SpoolError(
      'SSE_LINE_TOO_LONG',
      `An SSE ${what} passed maxBufferSize (${this.#max} characters). Raise \`maxBufferSize\` if the server really sends ${what}s this large.`,
    );
    throw this.#failure;
  }

  /** Processes the line `s[start, end)`, without its line ending. */
  #line(s: string, start: number, end: number): void {
    if (start === end) {
      this.#dispatch();
      return;
    }
    const c = s.charCodeAt(start);
    // The three fields of every Spool event get a check on fixed char codes; the rest go
    // through the general field split below.
    if (
      c === 100 && // data:
      s.charCodeAt(start + 1) === 97 &&
      s.charCodeAt(start + 2) === 116 &&
      s.charCodeAt(start + 3) === 97 &&
      s.charCodeAt(start + 4) === COLON
    ) {
      this.#appendData(s.slice(s.charCodeAt(start + 5) === SPACE ? start + 6 : start + 5, end));
      return;
    }
    if (c === 105 && s.charCodeAt(start + 1) === 100 && s.charCodeAt(start + 2) === COLON) {
      // id:
      this.#setId(s.slice(s.charCodeAt(start + 3) === SPACE ? start + 4 : start + 3, end));
      return;
    }
    if (
      c === 101 && // event:
      s.charCodeAt(start + 1) === 118 &&
      s.charCodeAt(start + 2) === 101 &&
      s.charCodeAt(start + 3) === 110 &&
      s.charCodeAt(start + 4) === 116 &&
      s.charCodeAt(start + 5) === COLON
    ) {
      this.#type = s.slice(s.charCodeAt(start + 6) === SPACE ? start + 7 : start + 6, end);
      return;
    }
    if (c === COLON) {
      if (this.#onComment)
        this.#onComment(s.slice(s.charCodeAt(start + 1) === SPACE ? start + 2 : start + 1, end));
      return;
    }
    const line = s.slice(start, end);
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value =
      colon === -1 ? '' : line.slice(line.charCodeAt(colon + 1) === SPACE ? colon + 2 : colon + 1);
    // Field names compare case-sensitively; unknown fields are ignored.
    switch (field) {
      case 'data':
        this.#appendData(value);
        break;
      case 'event':
        this.#type = value;
        break;
      case 'id':
        this.#setId(value);
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) this.#onRetry(Number(value));
        break;
    }
  }

  #appendData(value: string): void {
    if (this.#dataLines++ === 0) {
      this.#data = value;
      return;
    }
    this.#data += '\n' + value;
    if (this.#data.length > this.#max) this.#fail('event');
  }

  #setId(value: string): void {
    if (value.indexOf('\0') === -1) this.#idBuffer = value;
  }

  #dispatch(): void {
    this.#lastEventId = this.#idBuffer;
    const type = this.#type;
    this.#type = '';
    if (this.#dataLines === 0) return;
    const data = this.#data;
    this.#data = '';
    this.#dataLines = 0;
    this.#onEvent({ id: this.#lastEventId, event: type === '' ? 'message' : type, data });
  }
}
