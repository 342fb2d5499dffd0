import type { ClientMessage, WireEndReason } from './messages';
import {
  BAD,
  decodeWith,
  FieldError,
  fields as f,
  readShape,
  type WireDecodeOptions,
  type WireDecodeResult,
  type WireField,
  type WireFrame,
  type WireShape,
  wireFail,
} from './wire-frame';

/** Bounds on client-sent strings that the server keeps in memory or frames again as SSE. */
export const wireLimits = {
  /** Longest `pub.event` name. */
  maxEventNameLength: 256,
  /** Longest idempotency `key`: the server remembers keys per principal. */
  maxIdempotencyKeyLength: 256,
  /** Largest `credit` a client may ask for at once (2^31-1). */
  maxCredit: 2 ** 31 - 1,
} as const;

/** The end reasons allowed on the wire. */
export const WIRE_END_REASONS: readonly WireEndReason[] = [
  'success',
  'timeout',
  'error',
  'cancelled',
  'force',
];

// Standard base64 with padding (RFC 4648 section 4), as `btoa` produces it.
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const int = (min: number, max: number): WireField => [
  (v) => (Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max ? v : BAD),
  max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`,
];

const bool: WireField = [(v) => (typeof v === 'boolean' ? v : BAD), 'a boolean'];

const plainObject: WireField = [
  (v) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v : BAD),
  'a JSON object',
];

const reason: WireField = [
  (v) => (WIRE_END_REASONS.includes(v as WireEndReason) ? v : BAD),
  `one of ${WIRE_END_REASONS.join(', ')}`,
];

const boundedText = (max: number, extra?: RegExp): WireField => [
  (v) => (typeof v === 'string' && v !== '' && v.length <= max && !extra?.test(v) ? v : BAD),
  `a non-empty string of at most ${max} characters${extra ? ' without CR or LF' : ''}`,
];

const base64: WireField = [(v) => (typeof v === 'string' && BASE64_RE.test(v) ? v : BAD), 'a base64 string'];

// An event name must frame as one SSE `event:` line, so CR and LF are refused here, at the edge.
const eventName = boundedText(wireLimits.maxEventNameLength, /[\r\n]/);

const metaShape: WireShape = [
  ['messageId', f.messageId, 1],
  ['channelId', f.text],
  // A uint8, as in the StreamCache's metadata.
  ['channelType', int(0, 255)],
  ['fromUid', f.string, 1],
  ['clientMsgNo', f.string, 1],
  ['timestamp', int(0, Number.MAX_SAFE_INTEGER), 1],
  ['customFields', plainObject, 1],
];

const meta: WireField = [
  (v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return BAD;
    const clean = readShape(v as Record<string, unknown>, metaShape, 'msg.open.meta');
    return typeof clean === 'string' ? new FieldError(clean) : clean;
  },
  'a JSON object (the message metadata)',
];

const clientShapes: Record<string, WireShape> = {
  sub: [
    ['topic', f.text],
    ['after', f.eventId, 1],
    ['compact', bool, 1],
    ['credit', int(1, wireLimits.maxCredit), 1],
  ],
  unsub: [['topic', f.text]],
  pub: [
    ['ref', f.ref],
    ['topic', f.text],
    ['event', eventName, 1],
    ['data', f.any],
    ['key', boundedText(wireLimits.maxIdempotencyKeyLength), 1],
  ],
  credit: [
    ['topic', f.text],
    ['n', int(1, wireLimits.maxCredit)],
  ],
  ping: [['ref', f.ref]],
  'msg.open': [
    ['ref', f.ref],
    ['meta', meta],
  ],
  'msg.append': [
    ['ref', f.ref],
    ['messageId', f.messageId],
    ['chunkId', int(0, Number.MAX_SAFE_INTEGER)],
    ['text', f.string, 1],
    ['b64', base64, 1],
  ],
  'msg.end': [
    ['ref', f.ref],
    ['messageId', f.messageId],
    ['reason', reason, 1],
  ],
  'msg.cancel': [
    ['ref', f.ref],
    ['messageId', f.messageId],
  ],
};

/**
 * Decodes and validates one frame a client sent: the server's side of the codec. Never
 * throws on bad input: non-JSON or a non-object is `BAD_FRAME`, an unknown `op` is
 * `UNKNOWN_OP`, a bad field is `INVALID_MESSAGE` (nested fields named by path, e.g.
 * `msg.open.meta.channelType`), and a frame past `maxBytes` is `FRAME_TOO_LARGE`. The
 * failure keeps `ref` and `topic` when they could be read, for the `err` reply. Message
 * IDs come back in canonical decimal form; unknown fields are dropped.
 *
 * @example
 * const res = decodeClientMessage(data, { maxBytes: 64 * 1024 });
 * if (!res.ok) {
 *   socket.send(encodeServerMessage({ op: 'err', ref: res.ref, code: res.error.code, message: res.error.message }));
 * } else if (res.value.op === 'sub') subscribe(res.value.topic, res.value.after);
 */
export function decodeClientMessage(
  frame: WireFrame,
  options?: WireDecodeOptions,
): WireDecodeResult<ClientMessage> {
  const res = decodeWith<ClientMessage>(frame, options, clientShapes, 'client');
  if (!res.ok) return res;
  const msg = res.value;
  if (msg.op === 'msg.append' && (msg.text === undefined) === (msg.b64 === undefined)) {
    return wireFail(
      'INVALID_MESSAGE',
      '`msg.append` needs exactly one of `text` (a string) and `b64` (base64 bytes).',
      msg as unknown as Record<string, unknown>,
    );
  }
  return res;
}
