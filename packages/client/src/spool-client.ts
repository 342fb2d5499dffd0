import { type ChannelHistoryPage, SpoolError } from '@spool/core';
import {
  type ClientMessage,
  channelTopic,
  eventIdJustBefore,
  isEventIdAfter,
  readServerFrame,
} from '@spool/core/protocol';
import { fetchHistory, type HistoryChannel, type HistoryOptions } from './channel-history';
import { type AssembledMessage, type ChannelStore, ChatAssembler } from './chat-assembler';
import { type Connection, type ConnectionState, connect } from './connection';
import { lookupMessage } from './message-lookup';
import { type ResolvedClientOptions, resolveClientOptions, type SpoolClientOptions } from './options';
import { type ProducerLink, producerLink, type Reopenable } from './producer-link';
import type { ExternalStore, SpoolEvent } from './spool-event';
import { type SubscribeOptions, Subscription, type SubscriptionLink } from './subscription';

export type { ConnectionState } from './connection';

interface Pending {
  frame: ClientMessage & { ref: number };
  ok(ack: { id?: string; messageId?: string }): void;
  ko(err: SpoolError): void;
  sent?: boolean;
  again?: boolean;
  /** When the server first refused this request for rate (it is sent again after each `retryAfterMs`). */
  pacedSince?: number;
}

/** One subscription on the wire per topic, shared by the local subscriptions to it. */
interface Wire {
  subs: Set<Subscription>;
  /** Events received since the last `sub`, credit given in it, and credit granted since. */
  recv: number;
  base: number;
  granted: number;
  /** The newest position seen, where a live subscription that joins later starts. */
  pos?: string;
}

// When an operation is sent again after a reconnect, the server may already have applied
// the first copy: these answers then mean "done", not failure. (A re-sent `msg.open` needs
// none: the server answers its own principal's retry with the first open's ack.)
/**
 * Requests the client sends again by itself when the server refuses them for rate
 * (`RATE_LIMITED` with `retryAfterMs`), after that wait: a `pub` (its idempotency key makes
 * a double send apply once) and a `msg.open` (the server answers its own principal's retry
 * with the first open). A writer paces its own appends. Many requests refused together
 * take turns over the server's rate, so the budget is a time, not a count: a request still
 * refused this long after its first refusal rejects with the `RATE_LIMITED` error.
 */
const RATE_PACING_BUDGET_MS = 30_000;
const RESEND_ON_RATE = new Set(['pub', 'msg.open']);

const DONE_ON_RETRY: Record<string, string> = {
  'msg.append': 'DUPLICATE_CHUNK',
  'msg.end': 'STREAM_NOT_FOUND STREAM_CLOSED',
  'msg.cancel': 'STREAM_NOT_FOUND STREAM_CLOSED',
};

/** The most items an iterator of the wire's subscriptions has not pulled yet. */
const backlog = (w: Wire) => Math.max(0, ...[...w.subs].map((s) => s.buffer.length));

/**
 * Spool's WebSocket client: one socket, many topic subscriptions, each resumed from its
 * last event ID after every reconnect, so events arrive exactly once and in order.
 * Publishes and `msg.*` operations wait in a bounded queue while offline and are sent
 * again, applied once (idempotency key, duplicate checks). Credit is granted back as the
 * application consumes, so the server never buffers without bound for a slow UI.
 * Given several server URLs (instances behind one shared log), it moves to another one
 * when a connection fails or drops and resumes there exactly (docs/protocol.md, "Several
 * server URLs").
 *
 * @example
 * import { WebSocket } from 'ws'; // Node 20 only; browsers have their own
 * const client = new SpoolClient('ws://127.0.0.1:8080/v1/ws', { WebSocket, getToken });
 * client.on('state', (s) => console.log(s));
 * const sub = client.subscribe('chan:1:general', { after: '0-0', onEvent: console.log });
 * const id = await client.publish('chan:1:general', { hello: 'world' });
 */
export class SpoolClient {
  // `declare`: set in the constructor, so no class field is emitted for it (size budget, docs/architecture.md).
  /** The options in effect: those given, over `spoolClientDefaults`. */
  declare readonly options: ResolvedClientOptions;
  /** The server URLs, in the order they are tried. */
  declare readonly urls: readonly string[];
  #conn: Connection;
  #closed = false;
  #ref = 0;
  /** Prefix of this client's idempotency keys: unique per client, so `<id>.<ref>` is unique. */
  #id: string;
  #pending = new Map<number, Pending>();
  #wires = new Map<string, Wire>();
  /** Writers whose message may need opening again on a new connection. */
  #writers = new Set<Reopenable>();
  #listeners = {
    state: new Set<(s: ConnectionState, url: string) => void>(),
    error: new Set<(e: SpoolError) => void>(),
  };
  #chat: ChatAssembler;
  /** Messages `message()` asked the server about, so each is fetched once (bounded by maxMessages). */
  #asked = new Set<string>();
  /** Why the connection stopped (4403, HTTP 403/404, retries exhausted), until `reconnect()`. */
  #halt: SpoolError | undefined;
  #link: SubscriptionLink = {
    drop: (sub) => {
      const w = this.#wires.get(sub.topic);
      if (!w?.subs.delete(sub) || w.subs.size) return;
      this.#wires.delete(sub.topic);
      this.#send({ op: 'unsub', topic: sub.topic });
    },
    consumed: (sub) => this.#grant(sub.topic),
  };
  /**
   * @param urls one server URL (`ws://host:8080/v1/ws`) or several (starting on a random one).
   * @throws SpoolError `INVALID_OPTION` for a URL that is not ws(s):// (or none), or a bad option.
   */
  constructor(urls: string | readonly string[], options?: SpoolClientOptions) {
    this.urls = [urls].flat();
    this.options = resolveClientOptions(this.urls, options);
    this.#chat = new ChatAssembler(this.options.maxMessages);
    this.#id = Date.now().toString(36) + Math.random().toString(36).slice(2);
    this.#conn = connect(this.urls, this.options, {
      state: (state, url) => {
        for (const l of this.#listeners.state) l(state, url);
      },
      open: () => {
        for (const topic of this.#wires.keys()) this.#subscribe(topic);
        const resend = [...this.#pending.values()];
        // Writers open their message again first, so the chunks sent again below are paced
        // by this connection's append window.
        this.#pruneWriters(true);
        for (const p of resend) this.#sendRequest(p);
      },
      frame: (data) => this.#onFrame(data),
      error: (err, stop) => {
        if (stop) {
          this.#halt = err;
          this.#rejectAll(err);
        }
        this.#emitError(err);
      },
    });
  }

  /** The connection state now. */
  get state(): ConnectionState {
    return this.#conn.state;
  }

  /** The server URL connected now, or tried next (one of {@link urls}), for diagnostics. */
  get url(): string {
    return this.#conn.url;
  }

  /**
   * Listens to state changes (with the server URL connected, or tried next), or to errors
   * not tied to one request or subscription: a frame that is not protocol v1 (`BAD_FRAME`); a refused connection (close 4401 or HTTP
   * 401: retried with a fresh token from `getToken`; close 4403 or HTTP 403/404: the client
   * stops, `closed`); `CONNECT_FAILED` after attempts that never open (retrying goes on);
   * `RETRY_EXHAUSTED`; a failed `message(id)` lookup. See docs/protocol.md "Close codes".
   * Returns the function that stops listening.
   */
  on(type: 'state', listener: (state: ConnectionState, url: string) => void): () => void;
  on(type: 'error', listener: (err: SpoolError) => void): () => void;
  on(type: 'state' | 'error', listener: (x: never, url: never) => void): () => void {
    const set = this.#listeners[type] as Set<unknown>;
    set.add(listener);
    return () => set.delete(listener);
  }

  #send(frame: object): boolean {
    return this.#conn.send(JSON.stringify(frame));
  }

  #sendRequest(p: Pending): void {
    if (!this.#send(p.frame)) return;
    p.again = p.sent;
    p.sent = true;
  }

  /** Sends `sub` for a topic, resuming from the earliest position of its subscriptions. */
  #subscribe(topic: string): void {
    const w = this.#wires.get(topic)!;
    let after: string | undefined;
    for (const s of w.subs) {
      const id = s.lastEventId;
      if (id && (!after || isEventIdAfter(after, id))) after = id;
    }
    w.recv = w.granted = 0;
    // Items still unread by an iterator count against the window, so a reconnect never doubles it.
    w.base = Math.max(1, this.options.credit - backlog(w));
    const compact = [...w.subs].every((s) => s.options.compact);
    this.#send({ op: 'sub', topic, after, compact, credit: w.base });
  }

  /** Grants credit back once half the window has been consumed. */
  #grant(topic: string): void {
    const w = this.#wires.get(topic);
    if (!w) return;
    const credit = this.options.credit;
    const n = credit - backlog(w) - (w.base + w.granted - w.recv);
    if (n * 2 >= credit && this.#send({ op: 'credit', topic, n })) w.granted += n;
  }

  #onFrame(data: unknown): void {
    const m = readServerFrame(data);
    if (m instanceof SpoolError) {
      this.#emitError(m);
      return;
    }
    // Frames without a topic find no wire (no wire is keyed `undefined`).
    const w = this.#wires.get((m as { topic: string }).topic);
    if (m.op === 'ev') {
      if (!w) return;
      w.recv++;
      if (isEventIdAfter(m.id, w.pos)) w.pos = m.id;
      const ev: SpoolEvent = { topic: m.topic, id: m.id, event: m.event, data: m.data };
      this.#chat.apply(ev);
      for (const s of w.subs) s.deliver(ev);
      this.#grant(m.topic);
    } else if (m.op === 'subok' && w) {
      // Subscriptions that started live resume from just before the first ID that follows.
      w.pos ??= eventIdJustBefore(m.from);
      for (const s of w.subs) s.lastEventId ??= w.pos;
    } else if (m.op === 'reset' && w) {
      // The new history starts at `earliest`, perhaps below what this wire had seen.
      w.pos = eventIdJustBefore(m.earliest);
      this.#chat.interrupt(m.topic);
      for (const s of w.subs) s.reset(m.earliest);
    } else if (m.op === 'ack') {
      const p = this.#pending.get(m.ref);
      this.#pending.delete(m.ref);
      p?.ok(m);
    } else if (m.op === 'err') {
      const after = m.retryAfterMs;
      const timed = typeof after === 'number';
      const err = new SpoolError(
        m.code as SpoolError['code'],
        m.message,
        timed ? { details: { retryAfterMs: after } } : undefined,
      );
      const p = m.ref === undefined ? undefined : this.#pending.get(m.ref);
      const now = this.options.clock.now();
      if (
        p &&
        m.code === 'RATE_LIMITED' &&
        timed &&
        RESEND_ON_RATE.has(p.frame.op) &&
        now + after - (p.pacedSince ?? now) <= RATE_PACING_BUDGET_MS
      ) {
        // Paced, not failed: wait as the server says, then send it again (still pending, so
        // a reconnect meanwhile sends it too; the server applies it once).
        p.pacedSince ??= now;
        this.options.clock.setTimeout(() => {
          if (this.#pending.get(p.frame.ref) === p) this.#sendRequest(p);
        }, after);
      } else if (p) {
        this.#pending.delete(p.frame.ref);
        if (p.again && DONE_ON_RETRY[p.frame.op]?.includes(m.code)) p.ok({});
        else p.ko(err);
      } else if (w && timed) {
        // A `sub` refused for rate: ask again when the server says.
        this.options.clock.setTimeout(
          () => this.#wires.get(m.topic!) === w && this.#subscribe(m.topic!),
          after,
        );
      } else if (w) {
        this.#wires.delete(m.topic!);
        for (const s of w.subs) s.end(err);
      } else this.#emitError(err);
    }
  }

  #emitError(err: SpoolError): void {
    for (const l of this.#listeners.error) l(err);
  }

  /**
   * Subscribes to a topic. Events arrive exactly once and in order, across reconnects;
   * a `reset` is surfaced to `onReset` and as a `RESET_EVENT` item.
   *
   * @throws SpoolError `CONNECTION_CLOSED` after `close()`.
   * @example
   * const sub = client.subscribe('chan:1:general', { after: '0-0', compact: true });
   * for await (const ev of sub) render(ev);
   */
  subscribe(topic: string, options: SubscribeOptions = {}): Subscription {
    this.#assertOpen();
    const sub = new Subscription(topic, options, this.#link);
    let w = this.#wires.get(topic);
    if (!w) {
      w = { subs: new Set([sub]), recv: 0, base: 0, granted: 0 };
      this.#wires.set(topic, w);
      this.#subscribe(topic);
      return sub;
    }
    // The topic is already on the wire: a live joiner starts at its newest position; one
    // that wants older events makes the wire subscription start over from there (the
    // others drop the repeats, since each dedupes by its own last event ID).
    const earlier =
      options.after !== undefined &&
      [...w.subs].some((s) => !s.lastEventId || isEventIdAfter(s.lastEventId, options.after!));
    if (options.after === undefined) sub.lastEventId = w.pos;
    w.subs.add(sub);
    if (earlier && this.#send({ op: 'unsub', topic })) this.#subscribe(topic);
    return sub;
  }

  /**
   * Publishes an event; resolves with its event ID once the server acknowledges it.
   * Offline, it waits in the bounded queue and goes out on reconnect with an idempotency
   * key, so it is applied once.
   *
   * @throws SpoolError `QUEUE_FULL`, `CONNECTION_CLOSED`, `RETRY_EXHAUSTED`, or the server's code.
   * @example
   * const id = await client.publish('chan:1:general', { text: 'hi' }, { event: 'note' });
   */
  async publish(
    topic: string,
    data: unknown,
    options: {
      /** The event's type. @default 'message' */
      event?: string;
      /** The idempotency key: a retry with the same key is applied once. @default one per call */
      key?: string;
    } = {},
  ): Promise<string> {
    const key = options.key ?? `${this.#id}.${this.#ref}`;
    const ack = await this.#request({ op: 'pub', ref: 0, topic, event: options.event, data, key });
    return ack.id!;
  }

  /** `paced`: the caller bounds its own requests (a writer's window), so `offlineQueueMax` does not apply. */
  #request(frame: ClientMessage, paced?: boolean): Promise<{ id?: string; messageId?: string }> {
    return new Promise((ok, ko) => {
      this.#assertOpen();
      if (this.state === 'closed')
        throw this.#halt ?? new SpoolError('RETRY_EXHAUSTED', 'Gave up; call reconnect()');
      if (!paced && this.state !== 'open' && this.#pending.size >= this.options.offlineQueueMax) {
        throw new SpoolError('QUEUE_FULL', `${this.#pending.size} requests wait (offlineQueueMax)`);
      }
      const ref = ++this.#ref;
      const p: Pending = { frame: { ...frame, ref } as Pending['frame'], ok, ko };
      this.#pending.set(ref, p);
      this.#sendRequest(p);
    });
  }

  /**
   * The writer path, for {@link SpoolProducer} (`@spool/client/producer`), kept out of this
   * class so that a subscriber's bundle carries no pacing code (docs/architecture.md, "The
   * client's entries"): checks the client is open, and returns the function a writer's
   * frames go through (paced by the writer, so not bounded by `offlineQueueMax`), the
   * client's assembly for the writer's own messages (the producer entry's `showOwnWrites`
   * applies them, so `message(id)` follows them), and where the writer registers to open
   * its message again after a reconnect.
   * @internal
   */
  [producerLink](): ProducerLink {
    this.#assertOpen();
    this.#pruneWriters();
    return {
      request: (f) => this.#request(f, true),
      apply: (ev) => this.#chat.apply(ev),
      add: (w) => this.#writers.add(w),
    };
  }

  /** Drops finished writers; with `reopen`, the others open their message again. */
  #pruneWriters(reopen?: boolean): void {
    for (const w of this.#writers) if (!(reopen ? w.reopen() : w.live)) this.#writers.delete(w);
  }

  /**
   * One chat message as a store (text so far, status, reason), assembled from the
   * `msg.*` events of every subscription of this client and from the messages it writes.
   * A message it knows nothing of reads `status: 'unknown'` and is fetched once over
   * HTTP (`GET /v1/messages/:id`); a failed fetch is reported on `on('error')`. To follow
   * a message of another producer live, subscribe to its channel (`channel()`).
   *
   * @example
   * const store = client.message(messageId);
   * store.subscribe(() => console.log(store.getSnapshot().text));
   */
  message(messageId: string): ExternalStore<AssembledMessage> {
    const store = this.#chat.message(messageId);
    const asked = this.#asked;
    if (store.getSnapshot().status === 'unknown' && !asked.has(messageId) && this.options.fetch) {
      asked.add(messageId);
      if (asked.size > this.options.maxMessages) asked.delete(asked.values().next().value!);
      lookupMessage(this, messageId).then(
        (ev) => this.#chat.apply(ev),
        (err) =>
          this.#emitError(err instanceof SpoolError ? err : new SpoolError('UNAVAILABLE', String(err))),
      );
    }
    return store;
  }

  /**
   * One page of a channel's history, newest first, over HTTP (docs/http-api.md, "Channel
   * history"): finished messages from the server's store, plus those still streaming.
   * What a chat UI loads on scroll-up; pass the page's `next` as `before` for older ones.
   *
   * @throws SpoolError the server's code (`INVALID_EVENT_ID`, `FORBIDDEN`, `STORE_UNAVAILABLE`...),
   *   `UNAVAILABLE` when the request fails, `INVALID_OPTION` without a `fetch`
   * @example
   * let page = await client.history({ channelType: 1, channelId: 'general' }, { limit: 50 });
   * if (page.next) page = await client.history({ channelType: 1, channelId: 'general' }, { before: page.next });
   */
  async history(channel: HistoryChannel, options: HistoryOptions = {}): Promise<ChannelHistoryPage> {
    this.#assertOpen();
    return fetchHistory(this, channel, options);
  }

  /**
   * Subscribes to a channel's topic (by default everything retained, compacted to
   * snapshots) and returns its assembled messages as a store.
   *
   * @example
   * const ch = client.channel(1, 'general');
   * ch.subscribe(() => render(ch.getSnapshot()));
   * ch.subscription.unsubscribe();
   */
  channel(
    channelType: number,
    channelId: string,
    options: SubscribeOptions = { after: '0-0', compact: true },
  ): ChannelStore & {
    /** The subscription that feeds the store: `unsubscribe()` it when done. */
    subscription: Subscription;
  } {
    const subscription = this.subscribe(channelTopic(channelType, channelId), options);
    return { ...this.#chat.channel(subscription.topic), subscription };
  }

  /** Drops the connection and resumes at once (tests, the dashboard's playground). */
  reconnect(): void {
    this.#assertOpen();
    this.#halt = undefined;
    this.#conn.reconnect();
  }

  /** Closes for good: pending requests reject with `CONNECTION_CLOSED`, iterators finish. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#conn.close();
    this.#rejectAll(new SpoolError('CONNECTION_CLOSED', 'SpoolClient closed'));
    for (const w of this.#wires.values()) for (const s of w.subs) s.end();
    this.#wires.clear();
  }

  #rejectAll(err: SpoolError): void {
    for (const p of this.#pending.values()) p.ko(err);
    this.#pending.clear();
  }

  #assertOpen(): void {
    if (this.#closed) throw new SpoolError('CONNECTION_CLOSED', 'SpoolClient closed');
  }
}
