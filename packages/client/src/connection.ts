import { PROTOCOL_V1, type TimerHandle } from '@spool/core';
import type { ResolvedClientOptions, WebSocketLike } from './options';

/** `connecting` only before the first connection; `reconnecting` while waiting or retrying after one. */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** What a {@link Connection} tells its owner. */
export interface ConnectionEvents {
  state(state: ConnectionState): void;
  /** A socket opened: resubscribe and resend. */
  open(): void;
  frame(data: unknown): void;
  /** `backoff.attempts` failed attempts in a row: the connection is `closed` until `reconnect()`. */
  giveUp(attempts: number): void;
  /** The server closed the socket naming an error code (e.g. `UNAUTHENTICATED` with 1008). */
  refused(code: string): void;
}

const OPEN = 1;
const noop = () => {};

/**
 * The socket under a SpoolClient, kept alive: reconnect with exponential backoff and full
 * jitter, retry at once when the browser comes back online or the tab becomes visible, a
 * liveness timeout when nothing (not even the server's `hb`) arrives, and a fresh token
 * from `getToken` for every attempt.
 *
 * @example
 * const conn = new Connection(url, resolveClientOptions(url, { WebSocket }), { state, open, frame, giveUp });
 * conn.send('{"op":"ping","ref":1}');
 */
export class Connection {
  state: ConnectionState = 'connecting';
  #ws: WebSocketLike | undefined;
  /** Bumped whenever the current attempt is abandoned, so its late callbacks do nothing. */
  #gen = 0;
  #attempt = 0;
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
          // The server accepts the upgrade and then closes with the code as the reason,
          // since a browser cannot read the status of a refused upgrade.
          const reason = (e as { reason?: string }).reason;
          if (reason && /^[A-Z_]+$/.test(reason)) this.on.refused(reason);
          this.#drop();
        }),
        onerror: mine(() => this.#drop()),
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
      this.#setState('closed');
      this.on.giveUp(this.#attempt);
      return;
    }
    this.#setState('reconnecting');
    // Full jitter: uniform in [0, min(maxMs, baseMs * 2^attempt)], as core's backoffDelay
    // computes it; inlined because its per-call validation (options are checked once, in
    // the constructor) would cost the bundle more than the whole formula.
    const ceiling = Math.min(backoff.maxMs, backoff.baseMs * 2 ** this.#attempt++);
    this.#retryTimer = clock.setTimeout(() => this.#connect(), random() * ceiling);
  }

  /** Drops the socket and connects again at once, with the backoff started over. */
  reconnect(): void {
    this.#drop(false);
    this.#attempt = 0;
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
