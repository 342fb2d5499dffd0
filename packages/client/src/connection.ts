import { type ErrorCode, SpoolError, type TimerHandle } from '@spool/core';
import { PROTOCOL_V1 } from '@spool/core/protocol';
import { firstUrl, nextTry } from './failover';
import type { ResolvedClientOptions, WebSocketLike } from './options';

/** `connecting` only before the first connection; `reconnecting` while waiting or retrying after one. */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** What a {@link Connection} tells its owner. */
export interface ConnectionEvents {
  /** `url`: the server URL connected (`open`) or tried next. */
  state(state: ConnectionState, url: string): void;
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

/**
 * The code of a refusal: by the HTTP status answering the upgrade (only Node's `ws` shows
 * it), or by a close code less 4000 (4401, 4403; docs/protocol.md "Close codes").
 */
const REFUSED: Record<number, ErrorCode> = { 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN', 404: 'NOT_FOUND' };

/** The socket under a SpoolClient, as {@link connect} returns it. */
export interface Connection {
  readonly state: ConnectionState;
  /** The server URL connected, or tried next. */
  readonly url: string;
  /** Sends a text frame if the socket is open; returns whether it went out. */
  send(text: string): boolean;
  /** Drops the socket and connects again at once, with the backoff started over. */
  reconnect(): void;
  /** Closes for good. */
  close(): void;
}

/**
 * Opens the socket under a SpoolClient and keeps it alive: reconnect with exponential
 * backoff and full jitter; drop the socket when the browser goes offline and retry at once
 * when it comes back online or the tab becomes visible; a liveness timeout when nothing (not
 * even the server's `hb`) arrives; and a fresh token from `getToken` for every attempt.
 * With several `urls` (docs/protocol.md, "Several server URLs"), it starts on a random one;
 * a failed attempt or a dropped connection moves to another ({@link nextTry}): a random
 * one after a working connection, then round robin, with a short jitter within a round and
 * the backoff only between rounds, so a URL that works is kept while it works. Refusals are
 * reported, never retried in silence: 4401 and HTTP 401 retry (with a fresh token), 4403
 * and HTTP 403/404 stop, and attempts that never open are reported as `CONNECT_FAILED`
 * every {@link CONNECT_FAILED_AFTER} in a row.
 *
 * (A closure rather than a class: local names minify where `#private` names do not, and
 * the client has a size budget, see docs/architecture.md.)
 *
 * @example
 * const conn = connect(urls, resolveClientOptions(urls, { WebSocket }), { state, open, frame, error });
 * conn.send('{"op":"ping","ref":1}');
 */
export function connect(urls: readonly string[], o: ResolvedClientOptions, on: ConnectionEvents): Connection {
  const { clock, backoff, random, livenessTimeoutMs } = o;
  const n = urls.length;
  /** The URL in use: `urls[at]`. */
  let at = firstUrl(n, random);
  const g = globalThis as { document?: Document } & Partial<typeof globalThis>;
  let state: ConnectionState = 'connecting';
  let ws: WebSocketLike | undefined;
  /** Bumped whenever the current attempt is abandoned, so its late callbacks do nothing. */
  let gen = 0;
  /** Failed attempts since the server last spoke; `attempt / n` rounds. */
  let attempt = 0;
  /** Attempts in a row that never reached `open`. */
  let failed = 0;
  let opened = false;
  let closed = false;
  let retryTimer: TimerHandle | undefined;
  let liveTimer: TimerHandle | undefined;

  const wake = () => {
    // Back online or visible again: retry now instead of waiting out the backoff.
    if (retryTimer !== undefined && g.document?.hidden !== true) {
      clock.clearTimeout(retryTimer);
      open();
    }
  };
  const offline = () => {
    // The browser lost its network: a socket can look open for as long as the liveness
    // timeout while nothing gets through, so drop it now and retry (at once on `online`).
    if (state === 'open') drop();
  };
  const watch = (method: 'addEventListener' | 'removeEventListener') => {
    g[method]?.('online', wake);
    g[method]?.('offline', offline);
    g.document?.[method]('visibilitychange', wake);
  };
  const setState = (next: ConnectionState) => {
    if (state === next) return;
    state = next;
    on.state(next, urls[at]!);
  };

  const open = async (): Promise<void> => {
    const mine = ++gen;
    retryTimer = undefined;
    opened = false;
    if (state !== 'connecting') setState('reconnecting');
    alive();
    try {
      const url = urls[at]!;
      const token = o.getToken ? await o.getToken() : o.token;
      if (mine !== gen) return;
      const socket = new o.WebSocket(
        token ? `${url}${url.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(token)}` : url,
        PROTOCOL_V1,
      );
      const current = (f: (e: { data: unknown }) => void) => (e: { data: unknown }) => socket === ws && f(e);
      ws = Object.assign(socket, {
        onopen: current(() => {
          opened = true;
          failed = 0;
          alive();
          setState('open');
          on.open();
        }),
        onmessage: current((e) => {
          alive();
          // Reset only once the server speaks: one that accepts and hangs up at once still backs off.
          attempt = 0;
          on.frame(e.data);
        }),
        onclose: current((e) => {
          // A refused client is let in and then closed with 4401/4403 and the code as the
          // reason, since a browser cannot read the status of a refused upgrade.
          const { code, reason } = e as { code?: number; reason?: string };
          const named = reason && /^[A-Z_]+$/.test(reason) ? (reason as SpoolError['code']) : undefined;
          if (code === 4401 || code === 4403 || named) {
            // 4401: a fresh token from getToken may get in; 4403: these credentials never will.
            fail(
              new SpoolError(named ?? REFUSED[code! - 4000]!, `Closed ${code} ${reason}`, {
                details: { close: code },
              }),
              code === 4403,
            );
          } else drop();
        }),
        onerror: current(() => drop()),
      });
      // Node's `ws` shows the HTTP status of a refused upgrade (a wrong path answers 404);
      // browsers never do, which is what the never-open count is for.
      (
        socket as {
          on?: (type: string, listener: (req: unknown, res: { statusCode: number }) => void) => void;
        }
      ).on?.('unexpected-response', (_req, res) => {
        const status = res.statusCode;
        if (socket === ws)
          fail(
            new SpoolError(
              REFUSED[status] ?? 'CONNECT_FAILED',
              `HTTP ${status} on upgrade${status === 404 ? ': is the path /v1/ws?' : ''}`,
              { details: { status } },
            ),
            status === 403 || status === 404,
          );
      });
    } catch {
      // getToken failed or the constructor threw: both are just a failed attempt.
      if (mine === gen) drop();
    }
  };

  /** Restarts the liveness timer: a connection that stays silent this long is dropped. */
  const alive = () => {
    clock.clearTimeout(liveTimer);
    liveTimer = clock.setTimeout(drop, livenessTimeoutMs);
  };

  /** Reports `err`; then stops (state `closed`) or retries as after any failed attempt. */
  const fail = (err: SpoolError, stop: boolean) => {
    if (stop) {
      drop(false);
      setState('closed');
    }
    on.error(err, stop);
    // The cause first: the retry that follows may itself give up (RETRY_EXHAUSTED).
    if (!stop) drop();
  };

  /** Abandons the current socket (if any) and, unless told not to, schedules the next attempt. */
  const drop = (retry = true) => {
    gen++;
    const old = ws;
    ws = undefined;
    if (old) {
      // Not null: `ws` throws an 'error' event nobody listens to (close() while connecting emits one).
      old.onopen = old.onmessage = old.onclose = old.onerror = noop;
      try {
        old.close();
      } catch {}
    }
    clock.clearTimeout(liveTimer);
    clock.clearTimeout(retryTimer);
    liveTimer = retryTimer = undefined;
    if (!retry || closed) return;
    // `attempts` counts rounds: give up once attempts + 1 rounds failed in a row.
    if (attempt + 1 >= (backoff.attempts + 1) * n) {
      fail(new SpoolError('RETRY_EXHAUSTED', `Gave up after ${attempt} attempts; call reconnect()`), true);
      return;
    }
    if (!opened && ++failed % CONNECT_FAILED_AFTER === 0) {
      on.error(new SpoolError('CONNECT_FAILED', `${failed} attempts never opened ${urls}`), false);
    }
    const next = nextTry(at, ++attempt, n, backoff, random);
    at = next.at;
    setState('reconnecting');
    retryTimer = clock.setTimeout(open, next.delay);
  };

  watch('addEventListener');
  open();
  return {
    get state() {
      return state;
    },
    get url() {
      return urls[at]!;
    },
    send(text) {
      if (ws?.readyState !== OPEN || state !== 'open') return false;
      ws.send(text);
      return true;
    },
    reconnect() {
      drop(false);
      attempt = failed = 0;
      setState('reconnecting');
      open();
    },
    close() {
      closed = true;
      drop(false);
      watch('removeEventListener');
      setState('closed');
    },
  };
}
