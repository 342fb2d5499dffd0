import { utf8ByteLength } from '../cache/memory-cost';
import { SpoolError } from '../errors';
import { wireLimits } from '../protocol/decode-client-message';
import { type EventId, formatEventId, type ParsedEventId } from '../protocol/event-id';
import type { MessageId } from '../protocol/message-id';

/**
 * One event of a topic, as the log keeps it and subscribers receive it. The data is
 * serialised once, at append (`json`), so fan-out and the SSE/WebSocket encoders never
 * serialise it again.
 *
 * @example
 * const ev = await topic.append('message', { text: 'hi' });
 * ev.id;   // '1731900000000-0'
 * ev.json; // '{"text":"hi"}'
 * ev.size; // 13 (UTF-8 bytes of json)
 */
export interface TopicEvent {
  /** `<ms>-<seq>`; the same ID names the same event everywhere. */
  readonly id: EventId;
  /** The millisecond part of `id`, for cheap comparisons. */
  readonly ms: number;
  /** The sequence part of `id`. */
  readonly seq: number;
  /** The event name (`message` by default; `msg.delta` and friends on channel topics). */
  readonly event: string;
  /** The data as appended. Treat it as immutable: `json` was taken at append time. */
  readonly data: unknown;
  /** `JSON.stringify(data)`, computed once (`null` for undefined data). Never holds a raw newline. */
  readonly json: string;
  /** UTF-8 bytes of `json`: what retention counts. */
  readonly size: number;
  /** When the log accepted it, on the topic's clock (ms): what `maxAgeMs` counts. */
  readonly time: number;
  /** For chat events (`msg.*`), the message the event belongs to. */
  readonly messageId: MessageId | undefined;
}

/** What a log needs to build a {@link TopicEvent}; the topic computes it once per append. */
export interface TopicEventPayload {
  /** The event's type. */
  event: string;
  /** The event's payload. */
  data: unknown;
  /** `data` serialised as JSON, once. */
  json: string;
  /** UTF-8 bytes of `json`: what retention counts. */
  size: number;
  /** For chat events (`msg.*`), the message the event belongs to. */
  messageId: MessageId | undefined;
}

/**
 * Builds a {@link TopicEvent}. Logs (memory, Redis) and catchup sources use it so every
 * event has the same shape (V8 keeps one hidden class, and fan-out stays monomorphic).
 *
 * @example const ev = createTopicEvent({ ms: 5, seq: 0 }, encodeTopicPayload('message', { a: 1 }), Date.now());
 */
export function createTopicEvent(id: ParsedEventId, payload: TopicEventPayload, time: number): TopicEvent {
  const ev: TopicEvent = {
    id: formatEventId(id),
    ms: id.ms,
    seq: id.seq,
    event: payload.event,
    data: payload.data,
    json: payload.json,
    size: payload.size,
    time,
    messageId: payload.messageId,
  };
  return ev;
}

// One limit for the socket's codec, the HTTP publish route and the log (docs/protocol.md `pub`).
const MAX_EVENT_NAME = wireLimits.maxEventNameLength;

/**
 * Checks an event name and serialises its data, once: the payload of an append.
 *
 * Names are 1 to 256 characters, with no CR/LF (an SSE `event:` line ends at one) and no
 * leading space (the SSE parser strips one). Data must be JSON-serialisable; `undefined`
 * becomes `null`.
 *
 * @throws SpoolError `INVALID_EVENT`
 * @example encodeTopicPayload('msg.delta', { messageId: '7', chunkId: 0, text: 'Hi' }).messageId // '7'
 */
export function encodeTopicPayload(event: string, data: unknown): TopicEventPayload {
  if (
    typeof event !== 'string' ||
    event.length === 0 ||
    event.length > MAX_EVENT_NAME ||
    /[\r\n]|^ /.test(event)
  ) {
    throw new SpoolError(
      'INVALID_EVENT',
      `Invalid event name ${JSON.stringify(event)}: use 1 to ${MAX_EVENT_NAME} characters, no line breaks and no leading space (e.g. "message" or "msg.delta").`,
    );
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(data);
  } catch (cause) {
    throw new SpoolError(
      'INVALID_EVENT',
      `The data of event "${event}" is not JSON-serialisable (a BigInt or a cycle?). Convert 64-bit IDs to decimal strings.`,
      { cause },
    );
  }
  if (json === undefined) json = 'null';
  return {
    event,
    data: json === 'null' ? null : data,
    json,
    size: utf8ByteLength(json),
    messageId: messageIdOf(event, data),
  };
}

/** The `messageId` a chat event (`msg.*`) carries, as a decimal string. */
function messageIdOf(event: string, data: unknown): MessageId | undefined {
  if (!event.startsWith('msg.') || typeof data !== 'object' || data === null) return undefined;
  const id = (data as { messageId?: unknown }).messageId;
  return typeof id === 'string' && id.length > 0 ? id : undefined;
}

/**
 * The wire protocol's `ev` frame for `ev` on `topic`, built from the cached `json`. It is
 * not kept on the event: a retained event would then hold its data twice, and a catch-up
 * of a large range would add a frame to every event it reads (docs/protocol.md, "Rules",
 * catch-up memory). A live broadcast builds it once for all its subscribers (the
 * server's per-topic frame memo). The frame names the topic (not a subscription), so every
 * subscriber gets the same string. It is {@link topicEventFrameHead}, the ID,
 * {@link topicEventFrameMiddle}, the data and `}`: the server writes those parts straight
 * into a WebSocket frame's bytes, without building this string.
 *
 * @example socket.send(topicEventFrame('chan:1:general', ev));
 * // {"op":"ev","topic":"chan:1:general","id":"1731900000000-4","event":"msg.delta","data":{...}}
 */
export function topicEventFrame(topic: string, ev: TopicEvent): string {
  return `${topicEventFrameHead(topic)}${ev.id}${topicEventFrameMiddle(ev.event)}${ev.json}}`;
}

/**
 * The part of a topic's `ev` frames before the event's ID: the same for all its events.
 *
 * @example topicEventFrameHead('room') // '{"op":"ev","topic":"room","id":"'
 */
export function topicEventFrameHead(topic: string): string {
  return `{"op":"ev","topic":${JSON.stringify(topic)},"id":"`;
}

/**
 * The part of an `ev` frame between the event's ID and its data: the same for every event
 * of that name. The frame ends with the data and `}`.
 *
 * @example topicEventFrameMiddle('msg.delta') // '","event":"msg.delta","data":'
 */
export function topicEventFrameMiddle(event: string): string {
  return `","event":${JSON.stringify(event)},"data":`;
}

/** Compares an event with a parsed ID: negative, zero or positive. */
export function compareEventTo(
  ev: {
    /** The milliseconds part of the event's ID. */
    ms: number;
    /** The sequence part of the event's ID. */
    seq: number;
  },
  id: ParsedEventId,
): number {
  return ev.ms !== id.ms ? ev.ms - id.ms : ev.seq - id.seq;
}
