import { type Clock, realClock, SpoolError } from '@spool/core';

/**
 * The part of a WebSocket the client uses. Both the browser's `WebSocket` and the `ws`
 * package's fit it, so either can be passed as the `WebSocket` option.
 */
export interface WebSocketLike {
  /** The WebSocket `readyState`: `1` (OPEN) is the only state in which the client sends. */
  readonly readyState: number;
  /** Sends one text frame (a JSON message of docs/protocol.md). */
  send(data: string): void;
  /** Closes the socket with an optional close code and reason. */
  close(code?: number, reason?: string): void;
  /** Set by the client to its open handler. */
  onopen: unknown;
  /** Set by the client to its handler of incoming frames (`event.data` is the text frame). */
  onmessage: unknown;
  /** Set by the client to its close handler (`event.code` is the close code). */
  onclose: unknown;
  /** Set by the client to its error handler; an error drops the connection. */
  onerror: unknown;
}

/** A WebSocket constructor: `globalThis.WebSocket` in browsers, `ws`'s in Node 20. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/**
 * The reconnect delays of {@link SpoolClientOptions.backoff} and of SSE subscriptions: exponential backoff
 * with full jitter.
 */
export interface ReconnectBackoff {
  /**
   * The ceiling of the first reconnect delay; it doubles each failed attempt, with full jitter.
   * @default 250
   */
  baseMs?: number;
  /**
   * No delay ever exceeds this.
   * @default 10000
   */
  maxMs?: number;
  /**
   * Failed attempts in a row before the client gives up (state `closed`; `reconnect()` starts over).
   * With several URLs, an attempt is a round: one try of each URL.
   * @default Infinity
   */
  attempts?: number;
}

/**
 * Options of the {@link SpoolClient} constructor; each unset one takes its default from
 * `spoolClientDefaults`.
 */
export interface SpoolClientOptions {
  /** A token, sent as the `access_token` query parameter (browsers cannot set WebSocket headers). */
  token?: string;
  /** Called before every connection attempt, so a reconnect carries a fresh token. Wins over `token`. */
  getToken?: () => string | Promise<string>;
  /**
   * The WebSocket constructor. Node 20 has none built in: pass `WebSocket` from the `ws` package.
   * @default globalThis.WebSocket
   */
  WebSocket?: WebSocketConstructor;
  /** Reconnect delays: exponential backoff with full jitter. */
  backoff?: ReconnectBackoff;
  /**
   * With no frame at all (not even the server's `hb` heartbeat) for this long, the
   * connection is taken as dead and replaced. Also bounds a connection attempt.
   * @default 45000
   */
  livenessTimeoutMs?: number;
  /**
   * Credit per subscription, in events: the server sends at most this many events the
   * application has not consumed yet (an iterator that is not pulled holds them).
   * @default 1024
   */
  credit?: number;
  /**
   * Requests (publishes, `msg.*` operations) that may wait while offline; more reject with `QUEUE_FULL`.
   * @default 1000
   */
  offlineQueueMax?: number;
  /**
   * Assembled chat messages kept for `message()` and `channel()`; the oldest one nobody
   * watches is dropped first.
   * @default 1000
   */
  maxMessages?: number;
  /**
   * The HTTP API's base URL, for `message(id)` and `history()`.
   * @default the WebSocket URL in use with http(s) for ws(s), less its `/v1/ws` path and
   * query; with several URLs, the others are tried in turn when a request fails
   */
  httpUrl?: string;
  /** The fetch function, for `message(id)`. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Timers and time, for tests. @default realClock */
  clock?: Clock;
  /** Uniform random numbers in [0, 1) for jitter and message IDs, for tests. @default Math.random */
  random?: () => number;
}

/**
 * The defaults of {@link SpoolClientOptions}.
 *
 * @example
 * new SpoolClient(url, { backoff: { ...spoolClientDefaults.backoff, maxMs: 2000 } });
 */
export const spoolClientDefaults = {
  backoff: { baseMs: 250, maxMs: 10_000, attempts: Infinity },
  livenessTimeoutMs: 45_000,
  credit: 1024,
  offlineQueueMax: 1000,
  maxMessages: 1000,
};

export type ResolvedClientOptions = Omit<
  Required<SpoolClientOptions>,
  'token' | 'getToken' | 'WebSocket' | 'backoff' | 'fetch' | 'httpUrl'
> & {
  fetch?: typeof fetch;
  httpUrl?: string;
  token?: string;
  getToken?: () => string | Promise<string>;
  WebSocket: WebSocketConstructor;
  backoff: Required<ReconnectBackoff>;
};

/** The `INVALID_OPTION` error of an option `name` that breaks `rule`. */
export const bad = (name: string, rule: string, value: unknown) =>
  new SpoolError('INVALID_OPTION', `\`${name}\` must be ${rule}, got ${String(value)}`);

/** Checks a number option eagerly: `min` or more, an integer when `int`. */
export function checkNumber(name: string, value: number, min: number, int?: boolean): number {
  if (typeof value !== 'number' || !(value >= min) || (int && !Number.isInteger(value) && value !== Infinity))
    throw bad(name, `${int ? 'an integer' : 'a number'} >= ${min}`, value);
  return value;
}

/**
 * The HTTP base of a Spool WebSocket URL: `ws://h:8080/v1/ws?x` → `http://h:8080`, and a
 * prefix before `/v1/ws` is kept (`wss://h/spool/v1/ws` → `https://h/spool`).
 */
export function httpBase(url: string): string {
  const u = new URL(url.replace(/^ws/, 'http'));
  return u.origin + (/^(.*)\/v1\/ws\/?$/.exec(u.pathname)?.[1] ?? '');
}

/** Merges options over {@link spoolClientDefaults} and validates them and the server URLs. */
export function resolveClientOptions(
  urls: readonly string[],
  options: SpoolClientOptions = {},
): ResolvedClientOptions {
  if (!urls.length || urls.some((u) => !/^wss?:\/\//.test(u)))
    throw bad('url', 'a ws(s):// URL such as ws://localhost:8080/v1/ws (or a list)', urls);
  const o = {
    ...spoolClientDefaults,
    clock: realClock,
    random: Math.random,
    ...options,
  } as ResolvedClientOptions;
  o.backoff = { ...spoolClientDefaults.backoff, ...options.backoff };
  o.fetch ??= globalThis.fetch;
  o.WebSocket ??= (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket!;
  if (typeof o.WebSocket !== 'function')
    throw bad('WebSocket', "a constructor (in Node: `import { WebSocket } from 'ws'`)", o.WebSocket);
  checkNumber('backoff.baseMs', o.backoff.baseMs, 0);
  checkNumber('backoff.maxMs', o.backoff.maxMs, 0);
  checkNumber('backoff.attempts', o.backoff.attempts, 0, true);
  checkNumber('livenessTimeoutMs', o.livenessTimeoutMs, 1);
  checkNumber('credit', o.credit, 1, true);
  checkNumber('offlineQueueMax', o.offlineQueueMax, 0, true);
  checkNumber('maxMessages', o.maxMessages, 1, true);
  return o;
}
