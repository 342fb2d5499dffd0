/**
 * The dashboard's only door to `@spool/client`. Views and stores depend on the small
 * {@link LiveConnection} interface below, never on the SDK itself, so tests inject a fake
 * (src/test/fakeLive.ts) and an SDK change is absorbed here.
 */
import { type ConnectionState, SpoolClient, type WebSocketConstructor } from '@spool/client';

/** The SDK's connection states: `connecting` (first time), `open`, `reconnecting`, `closed`. */
export type LiveState = ConnectionState;

/** One event of a topic, as delivered (in order, deduplicated) by the client. */
export interface LiveEvent {
  topic: string;
  id: string;
  event: string;
  data: unknown;
}

export interface LiveHandlers {
  /** Resume after this event ID; `'0-0'` replays everything retained; absent starts live. */
  after?: string;
  /** Catch up with one `msg.snapshot` per message instead of every delta. */
  compact?: boolean;
  /** Every event, in order, exactly once (`msg.snapshot` included). */
  onEvent?(event: LiveEvent): void;
  /** The server no longer holds the missed range; `earliest` is the first ID it still has. */
  onReset?(earliest: string): void;
  /** The subscription failed for good (e.g. `FORBIDDEN`); `code` is the server's error code. */
  onError?(error: { code: string; message: string }): void;
}

/** What the dashboard needs from a live connection. */
export interface LiveConnection {
  readonly state: LiveState;
  /** Calls `listener` on every state change; returns the unsubscribe function. */
  onState(listener: (state: LiveState) => void): () => void;
  /** Subscribes to `topic`; returns the function that ends the subscription. */
  subscribe(topic: string, handlers: LiveHandlers): () => void;
  /** Drops the socket and connects again; subscriptions resume from their last event ID. */
  reconnect(): void;
  close(): void;
}

export interface LiveConnectionOptions {
  /** `ws(s)://host/v1/ws`. @default derived from `location` */
  url?: string;
  /** Read at every (re)connect, so a sign-in applies on the next `reconnect()`. */
  getToken?: () => string | null | undefined;
  /** @default globalThis.WebSocket */
  WebSocket?: WebSocketConstructor;
}

/** The WebSocket endpoint of the server that served this page. */
export function defaultLiveUrl(loc: Pick<Location, 'protocol' | 'host'> = globalThis.location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/v1/ws`;
}

/**
 * Creates the live connection over `SpoolClient`. The socket is opened lazily, at the
 * first `subscribe`, so nothing connects before the operator is signed in.
 *
 * @example
 * const live = createLiveConnection({ getToken: () => sessionStorage.getItem('spool.adminToken') });
 * const stop = live.subscribe('$sys', { onEvent: (ev) => console.log(ev.data) });
 */
export function createLiveConnection(options: LiveConnectionOptions = {}): LiveConnection {
  let client: SpoolClient | undefined;
  // The state while no client exists: before the first subscribe, or after close().
  let idle: LiveState = 'connecting';
  const listeners = new Set<(state: LiveState) => void>();
  const notify = (state: LiveState) => {
    for (const listener of listeners) listener(state);
  };

  const ensureClient = (): SpoolClient => {
    if (client) return client;
    client = new SpoolClient(options.url ?? defaultLiveUrl(), {
      // An empty token means "none": the client then adds no `access_token`.
      getToken: () => options.getToken?.() ?? '',
      ...(options.WebSocket ? { WebSocket: options.WebSocket } : {}),
    });
    client.on('state', notify);
    if (idle !== client.state) notify(client.state);
    return client;
  };

  return {
    get state(): LiveState {
      return client ? client.state : idle;
    },
    onState(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    subscribe(topic, handlers) {
      const sub = ensureClient().subscribe(topic, {
        after: handlers.after,
        compact: handlers.compact,
        onEvent: (ev) => handlers.onEvent?.(ev),
        onReset: (earliest) => handlers.onReset?.(earliest),
        onError: (err) => handlers.onError?.({ code: err.code, message: err.message }),
      });
      return () => sub.unsubscribe();
    },
    reconnect() {
      client?.reconnect();
    },
    close() {
      const closing = client;
      client = undefined;
      idle = 'closed';
      if (closing) closing.close();
      else notify('closed');
    },
  };
}
