import type { ServerMessage } from '@spool/core';
import { CreditWindow, type Topic, type TopicEvent, type TopicSubscription } from '@spool/core';
import { type FrameMemo, frameMemos } from '../fanout/frame-memo';
import { eventFrames } from './event-frames';
import type { SendQueue } from './send-queue';

/** The complete WebSocket frame of a topic's events (`ev` JSON), shared by its subscribers. */
const wsFrames = frameMemos((topic) => eventFrames(topic.name));

/**
 * What a subscription needs of its WebSocket connection: the send queue it writes to and the
 * counters it keeps. A narrow view, so the connection and its subscriptions do not import each other.
 */
export interface SubscriptionConnection {
  readonly queue: SendQueue;
  delivered: number;
  lagCuts: number;
  noteLagging(): void;
  sendControl(message: ServerMessage): void;
  sendError(ref: number | undefined, err: unknown, topic?: string): void;
}

/** Why a subscription is paused: out of credit, or its connection's send queue is full. */
export type PauseReason = 'credit' | 'room';

/**
 * One topic on one socket: core's `TopicSubscription` (catchup, then live, no gap, no
 * duplicate) plus a credit window counted in events and the connection's byte-bounded
 * send queue. Each event is queued as the topic's shared frame; when the credit runs out
 * or the queue passes its bound, the subscription pauses right after that event, keeping
 * its place. A pause for room from the live path is the slow-consumer case: the client is
 * told `lag`, and the subscription resumes through catchup from its last event once the
 * queue has drained to half, so memory stays bounded and nothing is lost.
 */
export class WsSubscription {
  readonly window: CreditWindow;
  readonly sub: TopicSubscription;
  private readonly memo: FrameMemo<Buffer>;
  pausedFor: PauseReason | undefined;
  /** Cut back from live for lack of room and not live again yet. */
  lagging = false;
  lagCount = 0;

  constructor(
    topic: Topic,
    private readonly connection: SubscriptionConnection,
    options: { after: string | undefined; compact: boolean; credit: number; maxCredit: number },
  ) {
    this.memo = wsFrames.of(topic);
    this.window = new CreditWindow({ initial: options.credit, max: options.maxCredit });
    const name = topic.name;
    this.sub = topic.subscribe({
      after: options.after,
      compact: options.compact,
      onEvent: (ev) => this.onEvent(ev),
      // `subok` waits for the first catchup page, so that after a reset its `from` is the
      // reset's `earliest` (docs/protocol.md, "The resume rule").
      onReady: (from) => connection.sendControl({ op: 'subok', topic: name, from }),
      onReset: (earliest) => connection.sendControl({ op: 'reset', topic: name, earliest }),
      onLive: () => {
        this.lagging = false;
      },
      onError: (err) => connection.sendError(undefined, err, name),
    });
  }

  get topic(): string {
    return this.memo.name;
  }

  /** The hot path: one event, live or from catchup. */
  private onEvent(ev: TopicEvent): void {
    const queue = this.connection.queue;
    queue.push(this.memo.frame(ev));
    this.connection.delivered++;
    this.window.tryConsume(1);
    if (this.window.available === 0) this.pause('credit');
    else if (!queue.hasRoom(0)) {
      const wasLive = this.sub.state === 'live';
      this.pause('room');
      if (wasLive) {
        this.lagging = true;
        this.lagCount++;
        this.connection.lagCuts++; // cumulative, for spool_lag_cuts_total
        this.connection.sendControl({ op: 'lag', topic: this.topic });
      }
      this.connection.noteLagging();
    }
  }

  private pause(reason: PauseReason): void {
    this.pausedFor = reason;
    this.sub.pause();
  }

  /** Credit arrived or the queue drained: continue from the last event if possible. */
  resume(): void {
    if (this.sub.state !== 'paused') return;
    if (this.window.available === 0) {
      this.pausedFor = 'credit';
      return;
    }
    if (!this.connection.queue.canResume()) {
      this.pausedFor = 'room';
      return;
    }
    this.pausedFor = undefined;
    this.sub.resume();
  }

  close(): void {
    this.sub.close();
  }
}
