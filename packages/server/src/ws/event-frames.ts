import type { TopicEvent } from '@spool/core';
import { topicEventFrame, topicEventFrameHead, topicEventFrameMiddle } from '@spool/core/internal';
import { allocTextFrame, frameText } from './frame';

/** Event names whose frame middle is kept; past this many, a new name's is built per frame. */
const MAX_KEPT_MIDDLES = 256;
const middles = new Map<string, Buffer>();

function middleOf(event: string): Buffer {
  let middle = middles.get(event);
  if (middle === undefined) {
    middle = Buffer.from(topicEventFrameMiddle(event), 'utf8');
    if (middles.size < MAX_KEPT_MIDDLES) middles.set(event, middle);
  }
  return middle;
}

const CLOSE_BRACE = 0x7d;

/**
 * The WebSocket frames of one topic's `ev` messages: core's frame (`topicEventFrame`)
 * written part by part into the frame's one buffer, its length known beforehand from the
 * event's cached `json` and `size`. A catch-up frames every event it reads, so this is the
 * resume's hot path (frames are not kept on retained events: docs/protocol.md, "Rules",
 * catch-up memory): no frame string is built, flattened and encoded on the way. Should the bytes written differ from the length
 * counted, the frame is rebuilt from the string, so a wrong `size` costs time, never a
 * corrupt frame.
 *
 * @example
 * const frame = eventFrames('room');
 * socket.write(frame(ev)); // the bytes of frameText(topicEventFrame('room', ev))
 */
export function eventFrames(topic: string): (ev: TopicEvent) => Buffer {
  const head = Buffer.from(topicEventFrameHead(topic), 'utf8');
  return (ev) => {
    const middle = middleOf(ev.event);
    // The ID is ASCII (`<ms>-<seq>`), so its length is its byte count.
    const length = head.length + ev.id.length + middle.length + ev.size + 1;
    const frame = allocTextFrame(length);
    let at = frame.length - length;
    at += head.copy(frame, at);
    at += frame.write(ev.id, at, 'latin1');
    at += middle.copy(frame, at);
    at += frame.write(ev.json, at, 'utf8');
    if (at !== frame.length - 1) return frameText(topicEventFrame(topic, ev));
    frame[at] = CLOSE_BRACE;
    return frame;
  };
}
