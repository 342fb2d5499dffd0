import type { Topic, TopicEvent } from '@spool/core';

/**
 * The wire bytes of a topic's events for one transport, built once per event and shared
 * by every subscriber. A topic fans an event out to all its live subscribers in one
 * synchronous loop, so a one-entry memo per topic is enough for the broadcast to cost one
 * serialisation and one framing, whatever the subscriber count; catchup events (one
 * reader each) simply miss it. Each transport keeps its own memos (SSE here, the
 * WebSocket frames in the Node entry), so this module needs no runtime of its own.
 *
 * @example
 * const memos = frameMemos((topic) => (ev) => encoder.encode(topic.frame(ev)));
 * socket.write(memos.of(topic).frame(ev)); // the same bytes for every socket
 */
export class FrameMemo<T> {
  private event: TopicEvent | undefined;
  private bytes: T | undefined;

  private readonly build: (ev: TopicEvent) => T;

  constructor(
    private readonly topic: Topic,
    encoderOf: (topic: Topic) => (ev: TopicEvent) => T,
  ) {
    this.build = encoderOf(topic);
  }

  get name(): string {
    return this.topic.name;
  }

  /** The bytes of `ev`, built on the first call for it. */
  frame(ev: TopicEvent): T {
    if (ev !== this.event) {
      this.bytes = this.build(ev);
      this.event = ev;
    }
    return this.bytes!;
  }
}

/**
 * One transport's memos: `of(topic)` is shared by all that topic's subscribers.
 * `encoderOf(topic)` is called once per topic, so an encoder can prepare what all the
 * topic's events share.
 */
export function frameMemos<T>(encoderOf: (topic: Topic) => (ev: TopicEvent) => T): {
  of(topic: Topic): FrameMemo<T>;
} {
  const memos = new WeakMap<Topic, FrameMemo<T>>();
  return {
    of(topic) {
      let memo = memos.get(topic);
      if (!memo) {
        memo = new FrameMemo(topic, encoderOf);
        memos.set(topic, memo);
      }
      return memo;
    },
  };
}
