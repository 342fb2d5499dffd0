import {
  encodeSseEvent,
  eventIdBefore,
  type Topic,
  type TopicEvent,
  type TopicSubscription,
} from '@spool/core';
import { type FrameMemo, frameMemos } from '../fanout/frame-memo';
import { toSpoolError } from '../http/errors';

const encoder = new TextEncoder();

/**
 * The `text/event-stream` bytes of a topic's events, shared by its SSE readers. The default
 * event name `message` has no `event:` line (docs/http-api.md, "Topics"), so `onmessage`
 * receives it.
 */
const sseFrames = frameMemos(
  () => (ev) =>
    encoder.encode(
      encodeSseEvent(
        ev.event === 'message' ? { id: ev.id, data: ev.json } : { id: ev.id, event: ev.event, data: ev.json },
      ),
    ),
);

/** The minimal view of a ReadableStream controller an SSE subscription writes to. */
export interface SseSink {
  readonly desiredSize: number | null;
  enqueue(chunk: Uint8Array): void;
  close(): void;
}

/**
 * An SSE subscription: core's `TopicSubscription` streamed into a `ReadableStream` whose
 * queue is bounded in bytes (its high-water mark). SSE has no credit: the stream's
 * backpressure plays that role. When the queue passes its bound the subscription pauses
 * after that event and resumes from its last event on the next `pull` with room, so a
 * slow reader never grows server memory and misses nothing.
 */
export class SseSubscription {
  readonly sub: TopicSubscription;
  private readonly memo: FrameMemo<Uint8Array>;
  bytesOut = 0;
  delivered = 0;
  lagging = false;
  /** Times this stream was cut from live back to catchup (its reader was too slow). */
  lagCuts = 0;
  private closed = false;

  constructor(
    topic: Topic,
    private readonly sink: SseSink,
    private readonly maxQueuedBytes: number,
    options: { after: string | undefined; compact: boolean; onFatal: () => void },
  ) {
    this.memo = sseFrames.of(topic);
    this.sub = topic.subscribe({
      after: options.after,
      compact: options.compact,
      onEvent: (ev) => this.onEvent(ev),
      // A live start names its position with an `id:` and no data: by the WHATWG rules that
      // sets the last event ID without dispatching, so a reader cut before its first event
      // resumes from there instead of live again, missing what came between.
      onReady: (from) => {
        if (options.after === undefined)
          this.write(encoder.encode(encodeSseEvent({ id: eventIdBefore(from) })));
      },
      // Resets on SSE: an `event: reset` with `{ earliest }`, whose `id:` is the position
      // just below `earliest`, so that an EventSource resumes from there and never takes the
      // new history for events it already has (docs/protocol.md, "The resume rule").
      onReset: (earliest) =>
        this.write(
          encoder.encode(
            encodeSseEvent({
              id: eventIdBefore(earliest),
              event: 'reset',
              data: JSON.stringify({ earliest }),
            }),
          ),
        ),
      onLive: () => {
        this.lagging = false;
      },
      onError: (err) => {
        // The store or log is unavailable: say why and end the stream. EventSource then
        // reconnects with its Last-Event-ID, so nothing is lost.
        const e = toSpoolError(err);
        this.write(
          encoder.encode(
            encodeSseEvent({ event: 'error', data: JSON.stringify({ code: e.code, message: e.message }) }),
          ),
        );
        options.onFatal();
      },
    });
  }

  private onEvent(ev: TopicEvent): void {
    this.write(this.memo.frame(ev));
    this.delivered++;
    if ((this.sink.desiredSize ?? 0) <= 0) {
      if (this.sub.state === 'live') {
        this.lagging = true;
        this.lagCuts++;
      }
      this.sub.pause();
    }
  }

  /** The reader pulled: resume once the queue has drained to half. */
  pulled(): void {
    if (this.sub.state === 'paused' && (this.sink.desiredSize ?? 0) >= this.maxQueuedBytes / 2)
      this.sub.resume();
  }

  /** True when `bytes` more fit in the stream's queue. */
  hasRoomFor(bytes: number): boolean {
    return (this.sink.desiredSize ?? 0) >= bytes;
  }

  write(bytes: Uint8Array): void {
    if (this.closed) return;
    this.sink.enqueue(bytes);
    this.bytesOut += bytes.byteLength;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sub.close();
  }

  /** Ends the response body (server shutdown). */
  endStream(): void {
    this.close();
    try {
      this.sink.close();
    } catch {
      // already closed or cancelled by the reader
    }
  }
}
