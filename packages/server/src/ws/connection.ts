import type { Duplex } from 'node:stream';
import type { ClientMessage, Clock, ServerMessage, TopicRegistry } from '@spool/core';
import { decodeClientMessage, isEventId, isSpoolError, SpoolError, WsCloseCode } from '@spool/core';
import type { ProducerOps } from '@spool/core/internal';
import type WebSocket from 'ws';
import type { AccessControl } from '../auth/access-control';
import { watchExpiry } from '../auth/expiry';
import type { Principal } from '../auth/principal';
import type { PrincipalLimiter } from '../auth/principal-limits';
import { retryAfterMsOf, toSpoolError } from '../http/errors';
import type { PublishOptions } from '../publish-options';
import type { ConnectionHealth } from '../transport';
import { frameText } from './frame';
import { type IdempotencyWindow, TokenBucket } from './limits';
import { type FlushBatch, SendQueue } from './send-queue';
import type { ResolvedWsOptions } from './ws-options';
import { WsSubscription } from './ws-subscription';

/** What a connection needs from its adapter. */
export interface ConnectionContext {
  options: ResolvedWsOptions;
  access: AccessControl;
  topics: TopicRegistry;
  batch: FlushBatch;
  clock: Clock;
  idempotency: IdempotencyWindow;
  publish(topic: string, data: unknown, options?: PublishOptions): Promise<string>;
  publishFor(principalId: string, topic: string, data: unknown, options: PublishOptions): Promise<string>;
  producer: ProducerOps;
  principalLimits: PrincipalLimiter;
  onClose(connection: Connection): void;
  onInternalError(err: unknown): void;
}

let nextConnectionId = 1;

/** Messages a connection remembers as its own, at most (the oldest goes first: it then counts against the rate). */
const MAX_OWN_MESSAGES = 10_000;
/**
 * The wait suggested to a client past its append window: the window drains as fast as the
 * topic takes appends, a few ms for a full window on one instance.
 */
const WINDOW_RETRY_MS = 20;

/**
 * One WebSocket: its subscriptions (at most one per topic), its bounded send queue, its
 * limits (operation rate, append window, malformed frames) and the v1 operations. Frames
 * are handled one at a time in arrival order, so a producer's `msg.append`s land in the
 * order sent even though each one awaits the topic.
 *
 * Appends to a message this connection opened are paced by a window, not the rate: a long
 * reply sends tens of thousands of chunks, and the writer already keeps at most
 * `appendWindow` unanswered (docs/protocol.md "Producing a long message").
 */
export class Connection {
  readonly id = nextConnectionId++;
  readonly queue: SendQueue;
  /** Set by the adapter's liveness sweep; any frame or pong from the peer sets it again. */
  alive = true;
  delivered = 0;
  /** Subscriptions of this connection cut from live back to catchup, ever. */
  lagCuts = 0;
  private subs: Map<string, WsSubscription> | undefined;
  private inbox: ClientMessage[] | undefined;
  private busy = false;
  private bucket: TokenBucket | undefined;
  /** Messages opened (or re-opened) on this connection and not ended through it, oldest first. */
  private own: Set<string> | undefined;
  /** Appends to own messages received and not answered yet: the window's fill. */
  private ownPending = 0;
  /** Per received `msg.append` to an own message: true when it counts in the window, false when refused at arrival. */
  private paced: WeakMap<ClientMessage, boolean> | undefined;
  private badFrames = 0;
  private closed = false;
  private onRoom: (() => void) | undefined;
  private cancelExpiry: (() => void) | undefined;

  /**
   * `socket` is the one the HTTP `upgrade` event handed over, which ws then speaks on.
   * Data frames are written to it directly (see frame.ts): clean because
   * permessage-deflate is off, so ws's Sender never queues, and its own writes (ping,
   * pong, close) are whole frames written synchronously, so frames never interleave. The
   * send queue writes only while `ws` is OPEN, so nothing follows ws's Close frame.
   */
  constructor(
    readonly ws: WebSocket,
    private readonly socket: Duplex,
    readonly principal: Principal,
    private readonly ctx: ConnectionContext,
  ) {
    this.queue = new SendQueue(socket, ws, ctx.options.maxQueuedBytes, ctx.batch);
    // Credentials that expire end the socket at their expiry, after what is already queued:
    // the client fetches a fresh token and resumes from its last IDs (docs/security.md).
    if (principal.expiresAt !== undefined) {
      this.cancelExpiry = watchExpiry(ctx.clock, principal.expiresAt, () =>
        this.close(WsCloseCode.Unauthenticated, 'TOKEN_EXPIRED'),
      );
    }
  }

  get subscriptionCount(): number {
    return this.subs?.size ?? 0;
  }

  /** A text or binary message from the peer. */
  receive(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    this.alive = true;
    if (this.closed) return;
    if (isBinary) {
      this.rejectFrame(
        new SpoolError('BAD_FRAME', 'Binary frames are not part of protocol v1: send JSON text frames.'),
      );
      return;
    }
    const decoded = decodeClientMessage(Array.isArray(data) ? Buffer.concat(data) : data, {
      maxBytes: this.ctx.options.maxFrameBytes,
    });
    if (!decoded.ok) {
      this.rejectFrame(decoded.error, decoded.ref, decoded.topic);
      return;
    }
    const m = decoded.value;
    // The window is measured on arrival: what the peer sent and has no answer for yet.
    if (m.op === 'msg.append' && this.own?.has(m.messageId)) {
      this.paced ??= new WeakMap();
      const fits = this.ownPending < this.ctx.options.appendWindow;
      if (fits) this.ownPending++;
      this.paced.set(m, fits);
    }
    this.inbox ??= [];
    this.inbox.push(m);
    if (!this.busy) void this.drainInbox();
  }

  /** Sends a control message (ack, err, subok, reset, lag, pong). Not bound by the queue limit: they are tiny and few. */
  sendControl(message: ServerMessage): void {
    if (this.closed) return;
    this.queue.push(frameText(JSON.stringify(message)));
  }

  sendError(ref: number | undefined, err: unknown, topic?: string): void {
    const e = toSpoolError(err);
    if (e.code === 'INTERNAL') this.ctx.onInternalError(err);
    const message: ServerMessage = { op: 'err', code: e.code, message: e.message };
    if (ref !== undefined) message.ref = ref;
    if (topic !== undefined) message.topic = topic;
    const retryAfterMs = retryAfterMsOf(e);
    if (retryAfterMs !== undefined) message.retryAfterMs = retryAfterMs;
    this.sendControl(message);
  }

  /** Writes a pre-framed message shared by many connections (the heartbeat). */
  sendShared(frame: Buffer): void {
    if (!this.closed) this.queue.push(frame);
  }

  /**
   * A subscription was cut back to catchup: resume lagging ones whenever a flush leaves
   * room, or the socket drains. The callback is created here, not per connection, so idle
   * connections carry no closures.
   */
  noteLagging(): void {
    if (!this.onRoom) {
      this.onRoom = () => this.resumeLagging();
      this.socket.on('drain', this.onRoom);
    }
    this.queue.onFlushed = this.onRoom;
  }

  private resumeLagging(): void {
    if (!this.subs || this.closed || !this.queue.canResume()) return;
    let still = 0;
    for (const sub of this.subs.values()) {
      if (sub.pausedFor === 'room') sub.resume();
      if (sub.pausedFor === 'room') still++;
    }
    if (still === 0) this.queue.onFlushed = undefined;
  }

  /** Closes with a code; ws sends the close frame after what is already written. */
  close(code: number, reason: string): void {
    if (this.closed) return;
    this.queue.flush();
    this.ws.close(code, reason.slice(0, 120));
    this.dispose();
  }

  /** The socket closed: release every subscription. */
  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.cancelExpiry?.();
    this.queue.close();
    if (this.onRoom) this.socket.off('drain', this.onRoom);
    if (this.subs) for (const sub of this.subs.values()) sub.close();
    this.subs = undefined;
    this.inbox = undefined;
    this.ctx.onClose(this);
  }

  health(): ConnectionHealth {
    let credit = 0;
    let lagging = false;
    if (this.subs) {
      for (const sub of this.subs.values()) {
        credit += sub.window.available;
        if (sub.lagging || sub.pausedFor === 'room') lagging = true;
      }
    }
    const queuedBytes = this.closed ? 0 : this.queue.queuedBytes;
    return {
      id: this.id,
      principal: this.principal.id,
      subscriptions: this.subscriptionCount,
      queuedBytes,
      credit,
      lagging,
      healthy: this.alive && !lagging && queuedBytes <= this.queue.maxBytes / 2,
      delivered: this.delivered,
      bytesOut: this.queue.bytesOut,
    };
  }

  private rejectFrame(error: SpoolError, ref?: number, topic?: string): void {
    this.sendError(ref, error, topic);
    // A peer that keeps sending garbage is broken or hostile: answer, then hang up.
    if (++this.badFrames >= this.ctx.options.maxBadFrames) {
      this.close(
        error.code === 'BAD_FRAME' ? WsCloseCode.BadPayload : WsCloseCode.PolicyViolation,
        error.code,
      );
    }
  }

  private async drainInbox(): Promise<void> {
    this.busy = true;
    try {
      while (this.inbox && this.inbox.length > 0) {
        const message = this.inbox.shift()!;
        try {
          await this.handle(message);
        } catch (err) {
          this.sendError(
            'ref' in message ? message.ref : undefined,
            err,
            'topic' in message ? message.topic : undefined,
          );
        }
      }
    } finally {
      this.busy = false;
    }
  }

  private async handle(m: ClientMessage): Promise<void> {
    switch (m.op) {
      case 'ping':
        this.sendControl({ op: 'pong', ref: m.ref });
        return;
      case 'credit': {
        const sub = this.subs?.get(m.topic);
        if (!sub) throw notSubscribed(m.topic);
        sub.window.grant(m.n);
        sub.resume();
        return;
      }
      case 'sub':
        this.limitRate();
        return this.subscribe(m.topic, m.after, m.compact === true, m.credit);
      case 'unsub': {
        const sub = this.subs?.get(m.topic);
        if (!sub) throw notSubscribed(m.topic);
        sub.close();
        this.subs!.delete(m.topic);
        return;
      }
      case 'pub': {
        this.limitRate();
        await this.ctx.access.authorize(this.principal, 'publish', m.topic);
        const id =
          m.key === undefined
            ? await this.ctx.publish(m.topic, m.data, { event: m.event })
            : (
                await this.ctx.idempotency.run(this.principal.id, `${m.topic}\u0000${m.key}`, () =>
                  this.ctx.publishFor(this.principal.id, m.topic, m.data, { event: m.event, key: m.key }),
                )
              ).id;
        this.sendControl({ op: 'ack', ref: m.ref, id });
        return;
      }
      case 'msg.open': {
        this.limitRate();
        const { messageId, id } = await this.ctx.producer.open(m.meta, this.principal);
        this.noteOwn(messageId);
        this.sendControl({ op: 'ack', ref: m.ref, id, messageId });
        return;
      }
      case 'msg.append': {
        const paced = this.paced?.get(m);
        if (paced === false) throw this.windowFull();
        if (paced === undefined) this.limitRate();
        try {
          const chunk = m.b64 === undefined ? { text: m.text ?? '' } : { b64: m.b64 };
          const id = await this.ctx.producer.append(m.messageId, m.chunkId, chunk, this.principal);
          this.sendControl({ op: 'ack', ref: m.ref, id });
        } catch (err) {
          if (isSpoolError(err, 'STREAM_NOT_FOUND')) this.own?.delete(m.messageId);
          throw err;
        } finally {
          if (paced) this.ownPending--;
        }
        return;
      }
      case 'msg.end':
      case 'msg.cancel': {
        if (!this.own?.has(m.messageId)) this.limitRate();
        const reason = m.op === 'msg.cancel' ? 'cancelled' : (m.reason ?? 'success');
        await this.ctx.producer.end(m.messageId, reason, this.principal);
        this.own?.delete(m.messageId);
        this.sendControl({ op: 'ack', ref: m.ref, messageId: m.messageId });
        return;
      }
      default:
        throw new SpoolError('UNKNOWN_OP', `Unknown operation ${JSON.stringify((m as { op: unknown }).op)}.`);
    }
  }

  private async subscribe(
    topic: string,
    after: string | undefined,
    compact: boolean,
    credit: number | undefined,
  ) {
    const o = this.ctx.options;
    if (after !== undefined && !isEventId(after)) {
      throw new SpoolError(
        'INVALID_EVENT_ID',
        `\`after\` must be an event ID "<ms>-<seq>", got ${JSON.stringify(after)}.`,
      );
    }
    // Above the cap a request is not an error: the client just gets the most the server allows.
    const initial = Math.min(credit ?? o.defaultCredit, o.maxCredit);
    if (!Number.isSafeInteger(initial) || initial < 1) {
      throw new SpoolError(
        'INVALID_MESSAGE',
        `\`credit\` must be a positive integer, got ${String(credit)}.`,
      );
    }
    await this.ctx.access.authorize(this.principal, 'subscribe', topic);
    if (this.closed) return;
    this.subs ??= new Map();
    const subs = this.subs;
    if (subs.has(topic)) {
      throw new SpoolError(
        'ALREADY_SUBSCRIBED',
        `Already subscribed to ${JSON.stringify(topic)}: one subscription per topic per socket.`,
      );
    }
    if (subs.size >= o.maxSubscriptions) {
      throw new SpoolError(
        'TOO_MANY_SUBSCRIPTIONS',
        `At most ${o.maxSubscriptions} subscriptions per connection; unsubscribe from one first.`,
      );
    }
    const t = this.ctx.topics.getOrCreate(topic);
    // The subscription sends `subok` itself, once it knows where delivery starts.
    subs.set(topic, new WsSubscription(t, this, { after, compact, credit: initial, maxCredit: o.maxCredit }));
  }

  private limitRate(): void {
    const o = this.ctx.options;
    this.bucket ??= new TokenBucket(o.publishRatePerSec, o.publishBurst, this.ctx.clock);
    if (!this.bucket.take()) {
      const retryAfterMs = this.bucket.retryAfterMs();
      throw new SpoolError(
        'RATE_LIMITED',
        `Rate limit: at most ${o.publishRatePerSec} operations per second per connection; retry in ${retryAfterMs} ms.`,
        { details: { retryAfterMs } },
      );
    }
    // Then the principal's own rate, shared by all its connections and requests.
    this.ctx.principalLimits.take(this.principal);
  }

  private windowFull(): SpoolError {
    const window = this.ctx.options.appendWindow;
    return new SpoolError(
      'RATE_LIMITED',
      `More than ${window} appends await their answer on this connection (ws.appendWindow); send this chunk again once earlier ones are acknowledged.`,
      { details: { retryAfterMs: WINDOW_RETRY_MS } },
    );
  }

  /** A message this connection opened: its appends are paced by the window from now on. */
  private noteOwn(messageId: string): void {
    this.own ??= new Set();
    this.own.delete(messageId);
    this.own.add(messageId);
    if (this.own.size > MAX_OWN_MESSAGES) this.own.delete(this.own.values().next().value!);
  }
}

function notSubscribed(topic: string): SpoolError {
  return new SpoolError(
    'NOT_SUBSCRIBED',
    `Not subscribed to ${JSON.stringify(topic)}; send {"op":"sub"} first.`,
  );
}
