import type { Socket } from 'node:net';
import type { ClientMessage, Clock, ServerMessage, TopicRegistry } from '@spool/core';
import { decodeClientMessage, isEventId, SpoolError, WsCloseCode } from '@spool/core';
import type WebSocket from 'ws';
import type { AccessControl } from '../auth/access-control';
import type { Principal } from '../auth/principal';
import { toSpoolError } from '../http/errors';
import type { ProducerOps } from '../producers/producer-ops';
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
  publish(topic: string, event: string, data: unknown): Promise<string>;
  producer: ProducerOps;
  onClose(connection: Connection): void;
  onInternalError(err: unknown): void;
}

/** Per-connection health, as `spool.stats()` reports it. */
export interface ConnectionHealth {
  id: number;
  principal: string;
  subscriptions: number;
  queuedBytes: number;
  /** Credit left, summed over the subscriptions. */
  credit: number;
  lagging: boolean;
  healthy: boolean;
  delivered: number;
  bytesOut: number;
}

let nextConnectionId = 1;

/**
 * One WebSocket: its subscriptions (at most one per topic), its bounded send queue, its
 * limits (publish rate, malformed frames) and the v1 operations. Frames are handled one
 * at a time in arrival order, so a producer's `msg.append`s land in the order sent even
 * though each one awaits the topic.
 */
export class Connection {
  readonly id = nextConnectionId++;
  readonly queue: SendQueue;
  /** Set by the adapter's liveness sweep; any frame or pong from the peer sets it again. */
  alive = true;
  delivered = 0;
  /** [issue 6] Subscriptions of this connection cut from live back to catchup, ever. */
  lagCuts = 0;
  private subs: Map<string, WsSubscription> | undefined;
  private inbox: ClientMessage[] | undefined;
  private busy = false;
  private bucket: TokenBucket | undefined;
  private badFrames = 0;
  private closed = false;
  private onRoom: (() => void) | undefined;
  private readonly socket: Socket;

  constructor(
    readonly ws: WebSocket,
    readonly principal: Principal,
    private readonly ctx: ConnectionContext,
  ) {
    // ws keeps the net.Socket here. Data frames are written to it directly (see frame.ts):
    // clean because permessage-deflate is off, so ws's Sender never queues, and its own
    // writes (ping, pong, close) are synchronous socket writes that keep their order.
    this.socket = (ws as unknown as { _socket: Socket })._socket;
    this.queue = new SendQueue(this.socket, ctx.options.maxQueuedBytes, ctx.batch);
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
    this.inbox ??= [];
    this.inbox.push(decoded.value);
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
        const event = m.event ?? 'message';
        const publish = () => this.ctx.publish(m.topic, event, m.data);
        const id =
          m.key === undefined
            ? await publish()
            : (await this.ctx.idempotency.run(this.principal.id, `${m.topic}\u0000${m.key}`, publish)).id;
        this.sendControl({ op: 'ack', ref: m.ref, id });
        return;
      }
      case 'msg.open': {
        this.limitRate();
        const { messageId, id } = await this.ctx.producer.open(m.meta, this.principal);
        this.sendControl({ op: 'ack', ref: m.ref, id, messageId });
        return;
      }
      case 'msg.append': {
        this.limitRate();
        const chunk = m.b64 === undefined ? { text: m.text ?? '' } : { b64: m.b64 };
        const id = await this.ctx.producer.append(m.messageId, m.chunkId, chunk, this.principal);
        this.sendControl({ op: 'ack', ref: m.ref, id });
        return;
      }
      case 'msg.end': {
        this.limitRate();
        await this.ctx.producer.end(m.messageId, m.reason ?? 'success', this.principal);
        this.sendControl({ op: 'ack', ref: m.ref, messageId: m.messageId });
        return;
      }
      case 'msg.cancel': {
        this.limitRate();
        await this.ctx.producer.end(m.messageId, 'cancelled', this.principal);
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
      throw new SpoolError(
        'RATE_LIMITED',
        `Publish rate limit: at most ${o.publishRatePerSec} operations per second per connection; retry later.`,
      );
    }
  }
}

function notSubscribed(topic: string): SpoolError {
  return new SpoolError(
    'NOT_SUBSCRIBED',
    `Not subscribed to ${JSON.stringify(topic)}; send {"op":"sub"} first.`,
  );
}
