import { type Clock, type ErrorCode, realClock, SpoolError, SseParser } from '@spool/core';
import { isEventIdAfter } from '@spool/core/protocol';
import { firstUrl, nextTry } from '../failover';
import { checkNumber, type ReconnectBackoff, spoolClientDefaults } from '../options';
import { type SubscribeOptions, Subscription } from '../subscription';

/**
 * The state of an SSE subscription: `connecting` before the first response, `open` while a response streams,
 * `reconnecting` between requests, `closed` once over (unsubscribed, failed, or out of attempts).
 */
export type SseState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/**
 * Options of an SSE subscription (`subscribeSse`): those of a WebSocket subscription, plus how the requests
 * are made and retried.
 */
export interface SseSubscribeOptions extends SubscribeOptions {
  /** A token, sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Called before every request, so a reconnect carries a fresh token. Wins over `token`. */
  getToken?: () => string | Promise<string>;
  /** The fetch function. @default globalThis.fetch */
  fetch?: typeof fetch;
  /**
   * Delays after a failed request: full jitter up to `min(maxMs, base * 2^attempt)`, where
   * `base` is the server's `retry:` once it sent one, else `baseMs`. After a stream the
   * server ended cleanly, the client waits the `retry:` time. With several base URLs, a
   * failed request moves to the next one at once, an attempt is a round (one try of each
   * URL), and the backoff waits between rounds.
   */
  backoff?: ReconnectBackoff;
  /**
   * With no bytes at all (the server sends a `: hb` comment every 15 s) for this long, the
   * request is aborted and made again.
   * @default 45000
   */
  livenessTimeoutMs?: number;
  /**
   * Events an iterator may leave unread before the client stops reading the response, so
   * that TCP pushes back on the server instead of memory growing here.
   * @default 1024
   */
  highWaterMark?: number;
  /** Called on every state change, with the base URL streaming (`open`) or tried next. */
  onState?(state: SseState, url: string): void;
  /** Timers, for tests. @default realClock */
  clock?: Clock;
  /** Uniform random numbers in [0, 1) for jitter. @default Math.random */
  random?: () => number;
}

/**
 * The defaults of {@link SseSubscribeOptions}.
 *
 * @example
 * subscribeSse(base, topic, { backoff: { ...sseDefaults.backoff, maxMs: 5000 } });
 */
export const sseDefaults = {
  backoff: spoolClientDefaults.backoff,
  livenessTimeoutMs: 45_000,
  highWaterMark: 1024,
};

const PERMANENT =
  /^(BAD_REQUEST|INVALID_|UNAUTHENTICATED|FORBIDDEN|ORIGIN_NOT_ALLOWED|NOT_FOUND|TOPIC_NOT_FOUND)/;

/**
 * A topic over Server-Sent Events, for where WebSockets are blocked: fetch-based, so it
 * can send `Authorization` and `Last-Event-ID` headers. Same resume semantics as the
 * WebSocket client: each reconnect sends the last event ID, events arrive once and in
 * order, and a `reset` is surfaced (`onReset`, and a `RESET_EVENT` item). Given several
 * base URLs (instances behind one shared log), a failed or dropped request moves to
 * another one and resumes there (docs/protocol.md, "Several server URLs"); a stream the
 * server ended cleanly comes back to the same one.
 *
 * @example
 * const sub = subscribeSse('http://127.0.0.1:8080', 'chan:1:general', { after: '0-0', compact: true });
 * for await (const ev of sub) console.log(ev.id, ev.event, ev.data);
 */
export class SseSubscription extends Subscription {
  #state: SseState = 'connecting';
  #abort: AbortController | undefined;
  #wake: (() => void) | undefined;
  /** Failed requests in a row; a response that delivers bytes starts the count over. */
  #attempt = 0;
  /** The base URL in use: `urls[#at]`. */
  #at = 0;
  /** The base URLs, in the order they are tried. */
  readonly urls: readonly string[];
  readonly #o: SseSubscribeOptions &
    typeof sseDefaults & {
      backoff: Required<ReconnectBackoff>;
      clock: Clock;
      random: () => number;
      fetch: typeof fetch;
    };
  /** The request path, after the base URL. */
  readonly #path: string;

  /**
   * @param baseUrls the HTTP base of one server (`http://host:8080`) or of several (starting on a random one).
   * @throws SpoolError `INVALID_OPTION` for a base that is not http(s):// (or none), or a bad option.
   */
  constructor(baseUrls: string | readonly string[], topic: string, options: SseSubscribeOptions = {}) {
    super(topic, options, {
      drop: () => this.#stop(),
      consumed: () => this.#wake?.(),
    });
    const o = { ...sseDefaults, clock: realClock, random: Math.random, fetch: globalThis.fetch, ...options };
    const backoff = { ...sseDefaults.backoff, ...options.backoff };
    this.urls = [baseUrls].flat().map((u) => u.replace(/\/+$/, ''));
    if (!this.urls.length || this.urls.some((u) => !/^https?:\/\//.test(u))) {
      throw new SpoolError(
        'INVALID_OPTION',
        `\`baseUrl\` must be an http(s) URL such as http://localhost:8080, or a list of them, got ${String(baseUrls)}`,
      );
    }
    if (typeof o.fetch !== 'function') {
      throw new SpoolError(
        'INVALID_OPTION',
        '`fetch` must be a function: this runtime has no global fetch, so pass one.',
      );
    }
    checkNumber('backoff.baseMs', backoff.baseMs, 0);
    checkNumber('backoff.maxMs', backoff.maxMs, 0);
    checkNumber('backoff.attempts', backoff.attempts, 0, true);
    checkNumber('livenessTimeoutMs', o.livenessTimeoutMs, 1);
    checkNumber('highWaterMark', o.highWaterMark, 1, true);
    this.#o = { ...o, backoff };
    this.#at = firstUrl(this.urls.length, o.random);
    this.#path = `/v1/topics/${encodeURIComponent(topic)}/events${options.compact ? '?compact=1' : ''}`;
    void this.#run();
  }

  /** `open` while a response streams; `reconnecting` between requests; `closed` at the end. */
  get state(): SseState {
    return this.#state;
  }

  /** The base URL streaming now, or tried next (one of {@link urls}), for diagnostics. */
  get url(): string {
    return this.urls[this.#at]!;
  }

  #setState(state: SseState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#o.onState?.(state, this.url);
  }

  #stop(): void {
    this.#abort?.abort();
    this.#wake?.();
    this.#setState('closed');
  }

  async #run(): Promise<void> {
    const { clock, backoff, random } = this.#o;
    let retryMs: number | undefined;
    while (this.active) {
      let failed = false;
      try {
        await this.#stream((ms) => (retryMs = ms));
      } catch (err) {
        if (!this.active) break;
        const code = (err as SpoolError).code;
        if (code && PERMANENT.test(code)) {
          this.end(err as SpoolError);
          break;
        }
        failed = true;
      }
      if (!this.active) break;
      const n = this.urls.length;
      // `attempts` counts rounds: give up once attempts + 1 rounds failed in a row.
      if (failed && this.#attempt + 1 >= (backoff.attempts + 1) * n) {
        this.end(
          new SpoolError(
            'RETRY_EXHAUSTED',
            `Gave up on ${this.#path} at ${this.urls} after ${this.#attempt + 1} failed attempts.`,
          ),
        );
        break;
      }
      const base = retryMs ?? backoff.baseMs;
      // A clean end waits the server's retry: time on the URL that works; a failure moves
      // to another URL, after a short jitter within a round and the backoff between rounds.
      let delay = base;
      if (failed) {
        const next = nextTry(this.#at, ++this.#attempt, n, { baseMs: base, maxMs: backoff.maxMs }, random);
        this.#at = next.at;
        delay = next.delay;
      }
      this.#setState('reconnecting');
      await new Promise<void>((resolve) => {
        const timer = clock.setTimeout(resolve, delay);
        this.#wake = () => {
          if (this.active) return;
          clock.clearTimeout(timer);
          resolve();
        };
      });
    }
    this.#setState('closed');
  }

  /** One request, read to its end. */
  async #stream(onRetry: (ms: number) => void): Promise<void> {
    const { clock, livenessTimeoutMs, highWaterMark } = this.#o;
    const abort = new AbortController();
    this.#abort = abort;
    let seen = clock.now();
    let timer: unknown;
    const check = () => {
      const left = livenessTimeoutMs - (clock.now() - seen);
      if (left <= 0) abort.abort();
      else timer = clock.setTimeout(check, left);
    };
    timer = clock.setTimeout(check, livenessTimeoutMs);
    try {
      const token = this.#o.getToken ? await this.#o.getToken() : this.#o.token;
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (token) headers.authorization = `Bearer ${token}`;
      if (this.lastEventId) headers['last-event-id'] = this.lastEventId;
      const res = await this.#o.fetch(this.url + this.#path, {
        headers,
        signal: abort.signal,
        cache: 'no-store',
      });
      if (!res.ok || !res.body) throw await errorOf(res);
      this.#setState('open');
      let ended: SpoolError | undefined;
      const parser = new SseParser({
        onRetry,
        onEvent: (ev) => {
          const data = parse(ev.data);
          // `reset` carries no id of its own: it names the earliest ID still available.
          if (ev.event === 'reset') this.reset((data as { earliest: string }).earliest);
          // The server's `event: error` ends the stream and brings no new ID (a topic event
          // named `error` does): say why after the end, so a permanent code stops here and
          // TOKEN_EXPIRED reconnects with a fresh token (docs/protocol.md, "Server-Sent Events").
          else if (
            ev.event === 'error' &&
            (ev.id === '' || (this.lastEventId !== undefined && !isEventIdAfter(ev.id, this.lastEventId)))
          )
            ended = streamErrorOf(data);
          else this.deliver({ topic: this.topic, id: ev.id, event: ev.event, data });
        },
      });
      const reader = res.body.pipeThrough(new TextDecoderStream('utf-8', { ignoreBOM: true })).getReader();
      abort.signal.addEventListener('abort', () => void reader.cancel().catch(() => {}));
      for (;;) {
        // An iterator that lags holds the reading: TCP then pushes back on the server.
        while (this.active && this.buffer.length >= highWaterMark) {
          await new Promise<void>((resolve) => {
            this.#wake = resolve;
          });
          seen = clock.now();
        }
        const { value, done } = await reader.read();
        if (ended && this.active) throw ended;
        if (done || !this.active) return;
        seen = clock.now();
        this.#attempt = 0;
        parser.feed(value);
        // A live start names its position with an id-only frame (no event is dispatched):
        // adopt it so a cut before the first event resumes from there.
        if (this.lastEventId === undefined && parser.lastEventId) this.lastEventId = parser.lastEventId;
      }
    } finally {
      clock.clearTimeout(timer);
      abort.abort();
    }
  }
}

function streamErrorOf(data: unknown): SpoolError {
  const e = (typeof data === 'object' && data !== null ? data : {}) as { code?: ErrorCode; message?: string };
  return new SpoolError(e.code ?? 'UNAVAILABLE', e.message ?? 'The server ended the stream.');
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function errorOf(res: Response): Promise<SpoolError> {
  const body = (await res.json().catch(() => ({}))) as { error?: { code?: ErrorCode; message?: string } };
  return new SpoolError(
    body.error?.code ?? (res.status >= 500 ? 'UNAVAILABLE' : 'BAD_REQUEST'),
    body.error?.message ?? `GET events answered ${res.status} ${res.statusText}`,
  );
}

/**
 * Subscribes to a topic over SSE, on one server or several (failover). See {@link SseSubscription}.
 *
 * @example
 * const sub = subscribeSse('http://127.0.0.1:8080', 'chan:1:general', { fetch, onEvent: console.log });
 * sub.unsubscribe();
 * const multi = subscribeSse(['https://a.example', 'https://b.example'], 'chan:1:general');
 */
export function subscribeSse(
  baseUrls: string | readonly string[],
  topic: string,
  options?: SseSubscribeOptions,
): SseSubscription {
  return new SseSubscription(baseUrls, topic, options);
}
