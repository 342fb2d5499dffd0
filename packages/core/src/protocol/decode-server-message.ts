import type { ServerMessage } from './messages';
import {
  decodeWith,
  fields as f,
  type WireDecodeOptions,
  type WireDecodeResult,
  type WireFrame,
  type WireShape,
} from './wire-frame';

// Server → client. Kept to a table so the client bundles only this small decode path.
const serverShapes: Record<string, WireShape> = {
  ev: [
    ['topic', f.text],
    ['id', f.eventId],
    ['event', f.text],
    ['data', f.any],
  ],
  subok: [
    ['topic', f.text],
    ['from', f.eventId],
  ],
  reset: [
    ['topic', f.text],
    ['earliest', f.eventId],
  ],
  lag: [['topic', f.text]],
  ack: [
    ['ref', f.ref],
    ['id', f.eventId, 1],
    ['messageId', f.messageId, 1],
  ],
  err: [
    ['ref', f.ref, 1],
    ['topic', f.text, 1],
    ['code', f.text],
    ['message', f.string],
    // A non-negative integer, the same rule as a ref.
    ['retryAfterMs', f.ref, 1],
  ],
  pong: [['ref', f.ref]],
  hb: [],
};

/**
 * Decodes and validates one frame the server sent. Never throws on bad input: a frame
 * that is not JSON or not an object is `BAD_FRAME`, an unknown `op` is `UNKNOWN_OP`, a
 * bad field is `INVALID_MESSAGE` and a frame past `maxBytes` is `FRAME_TOO_LARGE`.
 * Unknown fields are dropped.
 *
 * @example
 * const res = decodeServerMessage(event.data);
 * if (res.ok && res.value.op === 'ev') render(res.value.topic, res.value.id, res.value.data);
 * else if (!res.ok) console.warn(res.error.code, res.error.message);
 */
export function decodeServerMessage(
  frame: WireFrame,
  options?: WireDecodeOptions,
): WireDecodeResult<ServerMessage> {
  return decodeWith<ServerMessage>(frame, options, serverShapes, 'server');
}
