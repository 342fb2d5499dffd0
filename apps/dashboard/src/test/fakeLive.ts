import { type ConnectionState, SpoolClient } from '@spool/client';

/** A `sub` frame the client sent: the topic and where it resumes. */
export interface SubFrame {
  topic: string;
  after?: string;
  compact?: boolean;
}

/**
 * A WebSocket the fake server drives: it records what the client sends, and opens at
 * once while the server is up.
 */
export class FakeSocket {
  readyState = 0;
  sent: Array<Record<string, unknown> & { op: string }> = [];
  onopen: ((e: unknown) => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: ((e: unknown) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;
  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {}
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  receive(frame: object) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
}

export interface FakeLive {
  /**
   * For `DashboardEnv.createClient`: a real `SpoolClient` over {@link FakeSocket}s, with
   * the options `createLiveClient` gives it (the token read at every connect).
   */
  createClient(getToken: () => string | null | undefined): SpoolClient;
  /** Every socket the clients made, oldest first. */
  readonly sockets: FakeSocket[];
  /** Topics the current socket is subscribed to, with the `sub` frames sent for each. */
  readonly subscriptions: Map<string, SubFrame[]>;
  reconnects: number;
  closes: number;
  /**
   * `open`: the server is up (sockets open at once); `reconnecting`: it went away (the
   * socket drops and new ones never open); `closed`: the current client is closed.
   */
  setState(state: ConnectionState): void;
  /** Delivers an event to the subscription of `topic`; returns how many received it (0 or 1). */
  emit(topic: string, event: string, data: unknown, id?: string): number;
  /** Sends a `reset` for `topic`; returns how many subscriptions received it (0 or 1). */
  reset(topic: string, earliest: string): number;
}

/**
 * A fake Spool server behind real `@spool/client` clients: the dashboard runs on
 * `@spool/client/react` exactly as in the browser, and the test drives the frames.
 */
export function createFakeLive(initial: 'open' | 'reconnecting' = 'open'): FakeLive {
  let up = initial === 'open';
  let seq = 0;
  let client: SpoolClient | undefined;
  const sockets: FakeSocket[] = [];
  const current = () => {
    const ws = sockets.at(-1);
    return ws && ws.readyState === 1 ? ws : undefined;
  };
  const subscriptions = () => {
    const subs = new Map<string, SubFrame[]>();
    for (const f of current()?.sent ?? []) {
      const topic = String(f.topic);
      if (f.op === 'sub') subs.set(topic, [...(subs.get(topic) ?? []), f as unknown as SubFrame]);
      if (f.op === 'unsub') subs.delete(topic);
    }
    return subs;
  };
  const fake: FakeLive = {
    sockets,
    get subscriptions() {
      return subscriptions();
    },
    reconnects: 0,
    closes: 0,
    createClient(getToken) {
      class Socket extends FakeSocket {
        constructor(url: string, protocols?: string | string[]) {
          super(url, protocols);
          sockets.push(this);
          // The server answers the upgrade right after the constructor returns.
          queueMicrotask(() => {
            if (up && this.readyState === 0) this.open();
          });
        }
      }
      class CountingClient extends SpoolClient {
        override reconnect(): void {
          fake.reconnects++;
          super.reconnect();
        }
        override close(): void {
          fake.closes++;
          super.close();
        }
      }
      client = new CountingClient('ws://spool.test/v1/ws', {
        getToken: () => getToken() ?? '',
        WebSocket: Socket,
        backoff: { baseMs: 1, maxMs: 5 },
      });
      return client;
    },
    setState(state) {
      if (state === 'closed') {
        client?.close();
        return;
      }
      up = state === 'open';
      const ws = sockets.at(-1);
      if (up) {
        if (ws?.readyState === 0) ws.open();
      } else if (ws && ws.readyState !== 3) {
        ws.readyState = 3;
        ws.onclose?.({ code: 1006, reason: '' });
      }
    },
    emit(topic, event, data, id = `${Date.now()}-${seq++}`) {
      const ws = current();
      if (!ws || !subscriptions().has(topic)) return 0;
      ws.receive({ op: 'ev', topic, id, event, data });
      return 1;
    },
    reset(topic, earliest) {
      const ws = current();
      if (!ws || !subscriptions().has(topic)) return 0;
      ws.receive({ op: 'reset', topic, earliest });
      return 1;
    },
  };
  return fake;
}
