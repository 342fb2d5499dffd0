/**
 * What both decoders share: reading one WebSocket frame into a JSON object with an `op`
 * (size limit, UTF-8, JSON, object), and validating its fields against a small table.
 * Hand-written rather than valibot so that the client's decode path stays a few hundred
 * bytes (the client's budget is 5 KB min+gzip).
 */
import { type ErrorCode, SpoolError } from '../errors';
import { isEventId } from './event-id';

/**
 * The outcome of decoding a frame: never an exception. A failure keeps the `ref` (and the
 * `topic`) when they could be read, so the server can answer with `err` for that request.
 */
export type WireDecodeResult<T> =
  | {
      /** The frame was valid. */
      ok: true;
      /** The decoded frame. */
      value: T;
    }
  | {
      /** The frame was refused. */
      ok: false;
      /** Why, with its stable code. */
      error: SpoolError;
      /** The frame's `ref`, when it could be read: the `err` answer carries it. */
      ref?: number;
      /** The frame's `topic`, when it could be read: the `err` answer carries it. */
      topic?: string;
    };

/** A frame as WebSocket implementations hand it over: text, or bytes of UTF-8 text. */
export type WireFrame = string | ArrayBuffer | ArrayBufferView;

/** Options of `decodeClientMessage`. */
export interface WireDecodeOptions {
  /**
   * The largest frame accepted, in UTF-8 bytes; larger ones decode to `FRAME_TOO_LARGE`.
   * @default 1_048_576
   */
  maxBytes?: number;
}

/** Defaults of {@link WireDecodeOptions}. */
export const wireDecodeDefaults = { maxBytes: 1024 * 1024 } as const;

type Fail = { ok: false; error: SpoolError; ref?: number; topic?: string };

/** @internal */
export function wireFail(code: ErrorCode, message: string, m?: Record<string, unknown>): Fail {
  const out: Fail = { ok: false, error: new SpoolError(code, message) };
  if (m) {
    if (isRef(m.ref)) out.ref = m.ref;
    if (isText(m.topic)) out.topic = m.topic;
  }
  return out;
}

/**
 * Returned by a field check for an invalid value; any other return value is the value to keep.
 * @internal
 */
export const BAD: unique symbol = Symbol('bad');

/**
 * Returned by a field check for a nested object whose own field failed: carries that
 * field's message (e.g. about `msg.open.meta.channelType`).
 * @internal
 */
export class FieldError {
  constructor(readonly message: string) {}
}

/** A field's check: returns the value to keep (possibly normalised) or `BAD`, and says what it expects. */
export type WireField = readonly [check: (v: unknown) => unknown, expected: string];

/** A message's fields: name, check, and `1` when the field is optional. */
export type WireShape = ReadonlyArray<readonly [name: string, field: WireField, optional?: 1]>;

const isRef = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isText = (v: unknown): v is string => typeof v === 'string' && v !== '';

/** @internal */
export const fields = {
  any: [(v) => v, 'any JSON value'],
  text: [(v) => (isText(v) ? v : BAD), 'a non-empty string'],
  string: [(v) => (typeof v === 'string' ? v : BAD), 'a string'],
  ref: [(v) => (isRef(v) ? v : BAD), 'a non-negative integer'],
  eventId: [(v) => (isEventId(v) ? v : BAD), 'an event ID "<ms>-<seq>"'],
  // Not toMessageId, to keep its error text out of the client bundle: same rule, canonical result.
  messageId: [
    (v) => {
      if (typeof v !== 'string' || !/^[0-9]{1,19}$/.test(v)) return BAD;
      const n = BigInt(v);
      return n > 0n && n < 2n ** 63n ? n.toString() : BAD;
    },
    'a message ID as a decimal string (1 to 2^63-1)',
  ],
} satisfies Record<string, WireField>;

/**
 * Checks `m` against `shape` and returns a clean object holding only the known fields, or
 * the message of the first field that fails. Unknown fields are dropped, so newer peers
 * can add fields without breaking older ones.
 * @internal
 */
export function readShape(
  m: Record<string, unknown>,
  shape: WireShape,
  path: string,
  out: Record<string, unknown> = {},
): Record<string, unknown> | string {
  for (const [name, [check, expected], optional] of shape) {
    const v = m[name];
    if (v === undefined && optional) continue;
    const kept = v === undefined ? BAD : check(v);
    if (kept === BAD) return `\`${path}.${name}\` must be ${expected}, got ${show(v)}.`;
    if (kept instanceof FieldError) return kept.message;
    out[name] = kept;
  }
  return out;
}

/** A short description of a bad value for an error message. */
function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (v === null || typeof v !== 'object') return String(v);
  return Array.isArray(v) ? 'an array' : 'an object';
}

let utf8: TextDecoder | undefined;

/**
 * Reads a frame into a JSON object whose `op` is a string, or a failure: `FRAME_TOO_LARGE`
 * past `maxBytes`, `BAD_FRAME` for invalid UTF-8, non-JSON or a non-object, `UNKNOWN_OP`
 * when `op` is missing.
 * @internal
 */
export function readFrame(
  frame: unknown,
  options: WireDecodeOptions | undefined,
): WireDecodeResult<Record<string, unknown> & { op: string }> {
  const max = options?.maxBytes ?? wireDecodeDefaults.maxBytes;
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new SpoolError('INVALID_OPTION', `\`maxBytes\` must be a positive integer, got ${String(max)}.`);
  }
  let text: string;
  if (typeof frame === 'string') {
    // A UTF-16 unit is 1 to 3 UTF-8 bytes, so the exact count is only needed near the limit.
    if (frame.length > max || (frame.length * 3 > max && utf8Length(frame, max) > max)) return tooLarge(max);
    text = frame;
  } else if (frame instanceof ArrayBuffer || ArrayBuffer.isView(frame)) {
    if (frame.byteLength > max) return tooLarge(max);
    try {
      utf8 ??= new TextDecoder('utf-8', { fatal: true });
      text = utf8.decode(frame);
    } catch {
      return wireFail('BAD_FRAME', 'Frame is not valid UTF-8 text.');
    }
  } else {
    return wireFail('BAD_FRAME', `Frame must be text or bytes, got ${typeof frame}.`);
  }
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return wireFail('BAD_FRAME', 'Frame is not valid JSON: every frame is one JSON object with an `op`.');
  }
  if (typeof m !== 'object' || m === null || Array.isArray(m)) {
    return wireFail('BAD_FRAME', `Frame must be a JSON object with an \`op\`, got ${show(m)}.`);
  }
  const obj = m as Record<string, unknown>;
  if (typeof obj.op !== 'string') return wireFail('UNKNOWN_OP', 'Frame has no string `op`.', obj);
  return { ok: true, value: obj as Record<string, unknown> & { op: string } };
}

function tooLarge(max: number): Fail {
  return wireFail('FRAME_TOO_LARGE', `Frame is larger than the limit of ${max} bytes (maxBytes).`);
}

/** The UTF-8 length of `s`, counting no further than just past `limit`. */
function utf8Length(s: string, limit: number): number {
  let n = 0;
  for (let i = 0; i < s.length && n <= limit; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * Decodes a frame with a table of shapes by `op`: the common path of both directions.
 * @internal
 */
export function decodeWith<T>(
  frame: unknown,
  options: WireDecodeOptions | undefined,
  shapes: Record<string, WireShape>,
  direction: string,
): WireDecodeResult<T> {
  const read = readFrame(frame, options);
  if (!read.ok) return read;
  const m = read.value;
  const shape = Object.hasOwn(shapes, m.op) ? shapes[m.op] : undefined;
  if (!shape) {
    return wireFail(
      'UNKNOWN_OP',
      `Unknown ${direction} op ${show(m.op)}: expected one of ${Object.keys(shapes).join(', ')}.`,
      m,
    );
  }
  const value = readShape(m, shape, m.op, { op: m.op });
  return typeof value === 'string' ? wireFail('INVALID_MESSAGE', value, m) : { ok: true, value: value as T };
}
