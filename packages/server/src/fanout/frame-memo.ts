import { encodeSseEvent, type Topic, type TopicEvent } from '@spool/core';
import { frameText } from '../ws/frame';

const encoder = new TextEncoder();

/**
 * The wire bytes of a topic's events, built once per event and shared by every
 * subscriber: the complete WebSocket frame (RFC 6455 header + the `ev` JSON that core
 * caches on the event) and the SSE bytes. A topic fans an event out to all its live
 * subscribers in one synchronous loop, so a one-entry memo per topic is enough for the
 * broadcast to cost one serialisation and one framing, whatever the subscriber count;
 * catchup events (one reader each) simply miss it.
 *
 * @example
 * const memo = frameMemoOf(topic);
 * socket.write(memo.ws(ev)); // the same Buffer for every socket
 */
export class FrameMemo {
  private wsEvent: TopicEvent | undefined;
  private wsFrame: Buffer | undefined;
  private sseEvent: TopicEvent | undefined;
  private sseChunk: Uint8Array | undefined;

  constructor(private readonly topic: Topic) {}

  get name(): string {
    return this.topic.name;
  }

  ws(ev: TopicEvent): Buffer {
    if (ev !== this.wsEvent) {
      this.wsFrame = frameText(this.topic.frame(ev));
      this.wsEvent = ev;
    }
    return this.wsFrame!;
  }

  /**
   * The `text/event-stream` bytes. The default event name `message` has no `event:` line
   * (ARCHITECTURE, "HTTP routes"), so `onmessage` receives it.
   */
  sse(ev: TopicEvent): Uint8Array {
    if (ev !== this.sseEvent) {
      const init =
        ev.event === 'message' ? { id: ev.id, data: ev.json } : { id: ev.id, event: ev.event, data: ev.json };
      this.sseChunk = encoder.encode(encodeSseEvent(init));
      this.sseEvent = ev;
    }
    return this.sseChunk!;
  }
}

const memos = new WeakMap<Topic, FrameMemo>();

/** The memo of `topic`, shared by all its subscribers (looked up once per subscription). */
export function frameMemoOf(topic: Topic): FrameMemo {
  let memo = memos.get(topic);
  if (!memo) {
    memo = new FrameMemo(topic);
    memos.set(topic, memo);
  }
  return memo;
}
