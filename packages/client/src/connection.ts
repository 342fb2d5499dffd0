import { PROTOCOL_V1, SpoolError, type TimerHandle } from '@spool/core';
import type { ResolvedClientOptions, WebSocketLike } from './options';

/** `connecting` only before the first connection; `reconnecting` while waiting or retrying after one. */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** What a {@link Connection} tells its owner. */
export interface ConnectionEvents {
  state(state: ConnectionState): void;
  /** A socket opened: resubscribe and resend. */
  open(): void;
  frame(data: unknown): void;
  /**
   * Something the application should hear about (see docs/protocol.md "Close codes"): a
   * refusal (4401, 4403, an HTTP status), attempts that never open, or giving up. With
   * `stop` the connection is `closed` until `reconnect()`; otherwise it keeps retrying.
   */
  error(err: SpoolError, stop: boolean): void;
}

const OPEN = 1;
/** Attempts in a row that never open before `CONNECT_FAILED` is reported (and again every as many). */
export const CONNECT_FAILED_AFTER = 5;
const noop = () => {};

/** The error for an HTTP status answering the upgrade (only Node's `ws` shows it). */
function statusError(status: number): SpoolError {
  return new SpoolError(
    status === 401
      ? 'UNAUTHENTICATED'
      : status === 403
        ? 'FORBIDDEN'
        : status === 404
          ? 'NOT_FOUND'
          : 'CONNECT_FAILED',
    `HTTP ${status} to the WebSocket upgrade${status === 404 ? ': is this the /v1/ws endpoint?' : ''}`,
    { details: { status } },
  );
}

/**
 * The socket under a SpoolClient, kept alive: reconnect with exponential backoff and full
 * jitter, drop the socket when the browser goes offline and retry at once when it comes
 * back online or the tab becomes visible, a
 * liveness timeout when nothing (not even the server's `hb`) arrives, and a fresh token
 * from `getToken` for every attempt. Refusals are reported, never retried in silence:
 * 4401 and HTTP 401 retry (with a fresh token), 4403 and HTTP 403/404 stop, and attempts
 * that never open are reported as `CONNECT_FAILED` every {@link CONNECT_FAILED_AFTER} in a row.
 *
 * @example
 * const conn = new Connection(url, resolveClientOptions(url, { WebSocket }), { state, open, frame, error });
 * conn.send('{"op":"ping","ref":1}');
 */
export class Connection {
  state: ConnectionState = 'connecting';
  #ws: WebSocketLike | undefined;
  /** Bumped whenever the current attempt is abandoned, so its late callbacks do nothing. */
  #gen = 0;
  #attempt = 0;
  /** Attempts in a row that never reached `open`. */
  #failed = 0;
  #opened = false;
  #retryTimer: TimerHandle | undefined;
  #liveTimer: TimerHandle | undefined;
  #seen = 0;
  #closed = false;
  #wake = () => {
    // Back online or visible again: retry now instead of waiting out the backoff.
    if (this.#retryTimer !== undefined && (globalThis as { document?: Document }).document?.hidden !== true) {
      this.o.clock.clearTimeout(this.#retryTimer);
      this.#connect();
    }
  };

  #offline = () => {
    // The browser lost its network: a socket can look open for as long as the liveness
    // timeout while nothing gets through, so drop it now and retry (at once on `online`).
    if (this.state === 'open') this.#drop();
  };

  constructor(
    readonly url: string,
    readonly o: ResolvedClientOptions,
    readonly on: ConnectionEvents,
  ) {
    this.#watch('addEventListener');
    this.#connect();
  }

  #watch(method: 'addEventListener' | 'removeEventListener'): void {
    const g = globalThis as { document?: Document } & Partial<typeof globalThis>;
    g[method]?.('online', this.#wake);
    g[method]?.('offline', this.#offline);
    g.document?.[method]('visibilitychange', this.#wake);
  }

  #setState(state: ConnectionState): void {
    if (this.state === state) return;
    this.state = state;
    this.on.state(state);
  }

  /** Sends a text frame if the socket is open; returns whether it went out. */
  send(text: string): boolean {
    if (this.#ws?.readyState !== OPEN || this.state !== 'open') return false;
    this.#ws.send(text);
    return true;
  }

  async #connect(): Promise<void> {
    const gen = ++this.#gen;
    const o = this.o;
    this.#retryTimer = undefined;
    this.#opened = false;
    if (this.state !== 'connecting') this.#setState('reconnecting');
    this.#alive();
    try {
      const token = o.getToken ? await o.getToken() : o.token;
      if (gen !== this.#gen) return;
      const url = token
        ? `${this.url}${this.url.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(token)}`
        : this.url;
      const ws = new o.WebSocket(url, PROTOCOL_V1);
      const mine = (f: (e: { data: unknown }) => void) => (e: { data: unknown }) => ws === this.#ws && f(e);
      this.#ws = Object.assign(ws, {
        onopen: mine(() => {
          this.#opened = true;
          this.#failed = 0;
          this.#alive();
          this.#setState('open');
          this.on.open();
        }),
        onmessage: mine((e) => {
          this.#alive();
          // Reset only once the server speaks: one that accepts and hangs up at once still backs off.
          this.#attempt = 0;
          this.on.frame(e.data);
        }),
        onclose: mine((e) => {
          // A refused client is let in and then closed with 4401/4403 and the code as the
          // reason, since a browser cannot read the status of a refused upgrade.
          const { code, reason } = e as { code?: number; reason?: string };
          const named = reason && /^[A-Z_]+$/.test(reason) ? (reason as SpoolError['code']) : undefined;
          if (code === 4401 || code === 4403 || named) {
            const err = new SpoolError(
              named ?? (code === 4403 ? 'FORBIDDEN' : 'UNAUTHENTICATED'),
              `Closed by the server: ${code} ${reason}`,
              { details: { close: code } },
            );
            // 4401: a fresh token from getToken may get in; 4403: these credentials never will.
            this.#fail(err, code === 4403);
          } else this.#drop();
        }),
        onerror: mine(() => this.#drop()),
      });
      // Node's `ws` shows the HTTP status of a refused upgrade (a wrong path answers 404);
      // browsers never do, which is what the never-open count is for.
      (
        ws as { on?: (type: string, listener: (req: unknown, res: { statusCode: number }) => void) => void }
      ).on?.('unexpected-response', (_req, res) => {
        if (ws !== this.#ws) return;
        const status = res.statusCode;
        this.#fail(statusError(status), status === 403 || status === 404);
      });
    } catch {
      // getToken failed or the constructor threw: both are just a failed attempt.
      if (gen === this.#gen) this.#drop();
    }
  }

  /** Arms the liveness check: a connection that stays silent this long is dropped. */
  #alive(): void {
    const { clock, livenessTimeoutMs } = this.o;
    this.#seen = clock.now();
    if (this.#liveTimer !== undefined) return;
    const check = () => {
      const left = livenessTimeoutMs - (clock.now() - this.#seen);
      this.#liveTimer = left > 0 ? clock.setTimeout(check, left) : undefined;
      if (left <= 0) this.#drop();
    };
    this.#liveTimer = clock.setTimeout(check, livenessTimeoutMs);
  }

  /** Reports `err`; then stops (state `closed`) or retries as after any failed attempt. */
  #fail(err: SpoolError, stop: boolean): void {
    if (!stop) {
      // The cause first: the retry below may itself give up (RETRY_EXHAUSTED).
      this.on.error(err, false);
      this.#drop();
      return;
    }
    this.#drop(false);
    this.#setState('closed');
    this.on.error(err, true);
  }

  /** Abandons the current socket (if any) and, unless told not to, schedules the next attempt. */
  #drop(retry = true): void {
    const { clock, backoff, random } = this.o;
    this.#gen++;
    const ws = this.#ws;
    this.#ws = undefined;
    if (ws) {
      // Not null: `ws` throws an 'error' event nobody listens to (close() while connecting emits one).
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = noop;
      try {
        ws.close();
      } catch {}
    }
    clock.clearTimeout(this.#liveTimer);
    clock.clearTimeout(this.#retryTimer);
    this.#liveTimer = this.#retryTimer = undefined;
    if (!retry || this.#closed) return;
    if (this.#attempt >= backoff.attempts) {
      this.#fail(
        new SpoolError(
          'RETRY_EXHAUSTED',
          `Gave up after ${this.#attempt} failed connection attempts; call reconnect() to try again.`,
        ),
        true,
      );
      return;
    }
    this.#setState('reconnecting');
    if (!this.#opened && ++this.#failed % CONNECT_FAILED_AFTER === 0) {
      this.on.error(
        new SpoolError(
          'CONNECT_FAILED',
          `${this.#failed} attempts in a row never opened ${this.url}: is the server up, and is this its /v1/ws?`,
        ),
        false,
      );
    }
    // Full jitter: uniform in [0, min(maxMs, baseMs * 2^attempt)], as core's backoffDelay
    // computes it; inlined because its per-call validation (options are checked once, in
    // the constructor) would cost the bundle more than the whole formula.
    const ceiling = Math.min(backoff.maxMs, backoff.baseMs * 2 ** this.#attempt++);
    this.#retryTimer = clock.setTimeout(() => this.#connect(), random() * ceiling);
  }

  /** Drops the socket and connects again at once, with the backoff started over. */
  reconnect(): void {
    this.#drop(false);
    this.#attempt = this.#failed = 0;
    this.#setState('reconnecting');
    this.#connect();
  }

  /** Closes for good. */
  close(): void {
    this.#closed = true;
    this.#drop(false);
    this.#watch('removeEventListener');
    this.#setState('closed');
  }
}
