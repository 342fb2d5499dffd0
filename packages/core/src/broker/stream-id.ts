import { SpoolError } from '../errors';

/**
 * One half of a stream ID: an unsigned 64-bit integer. It is a `number` up to
 * `Number.MAX_SAFE_INTEGER` and a `bigint` above it (never otherwise), so the common case
 * stays on fast number arithmetic while IDs up to `18446744073709551615-18446744073709551615`
 * stay exact, as in Redis. JS compares number and bigint exactly with `<` and `>`.
 */
export type U64 = number | bigint;

/** A parsed stream ID `<ms>-<seq>`. */
export interface StreamIdParts {
  /** The milliseconds part. */
  ms: U64;
  /** The sequence number within the millisecond. */
  seq: U64;
}

const MAX_U64 = 18446744073709551615n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
export const MIN_STREAM_ID: StreamIdParts = { ms: 0, seq: 0 };
export const MAX_STREAM_ID: StreamIdParts = { ms: MAX_U64, seq: MAX_U64 };
const DIGITS = /^[0-9]+$/;

/** Redis rejects ID arguments longer than this (its parse buffer is 128 bytes). */
const MAX_ID_TEXT = 127;

function parseU64(text: string): U64 | undefined {
  if (!DIGITS.test(text)) return undefined;
  if (text.length <= 15) return Number(text);
  const big = BigInt(text);
  if (big > MAX_U64) return undefined;
  return big > MAX_SAFE ? big : Number(big);
}

function invalid(): SpoolError {
  return new SpoolError(
    'INVALID_STREAM_ID',
    'Invalid stream ID specified as stream command argument: expected "<ms>-<seq>" or "<ms>" in decimal digits, each part at most 18446744073709551615.',
  );
}

/**
 * Parses `<ms>-<seq>` or `<ms>` (the missing sequence becomes `missingSeq`), as Redis's
 * `streamParseStrictIDOrReply`: `-` and `+` are not accepted.
 *
 * @throws SpoolError `INVALID_STREAM_ID`
 * @example parseStreamId('1731900000000-3') // { ms: 1731900000000, seq: 3 }
 */
export function parseStreamId(text: string, missingSeq: U64 = 0): StreamIdParts {
  return parseShortStreamId(text, missingSeq) ?? parseLongStreamId(text, missingSeq);
}

/**
 * The common case without allocating: each part at most 15 digits, so plain numbers hold it
 * exactly. Undefined for anything else, which {@link parseLongStreamId} then decides.
 */
function parseShortStreamId(text: string, missingSeq: U64): StreamIdParts | undefined {
  if (typeof text !== 'string') return undefined;
  const n = text.length;
  let i = 0;
  let ms = 0;
  for (; i < n; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    ms = ms * 10 + d;
  }
  if (i === 0 || i > 15) return undefined;
  if (i === n) return { ms, seq: missingSeq };
  if (text.charCodeAt(i) !== 45 /* '-' */) return undefined;
  const seqStart = ++i;
  let seq = 0;
  for (; i < n; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    seq = seq * 10 + d;
  }
  if (i === seqStart || i - seqStart > 15) return undefined;
  return { ms, seq };
}

function parseLongStreamId(text: string, missingSeq: U64): StreamIdParts {
  if (typeof text !== 'string' || text.length > MAX_ID_TEXT) throw invalid();
  const dash = text.indexOf('-');
  const ms = parseU64(dash === -1 ? text : text.slice(0, dash));
  const seq = dash === -1 ? missingSeq : parseU64(text.slice(dash + 1));
  if (ms === undefined || seq === undefined) throw invalid();
  return { ms, seq };
}

const AUTO_ID = Object.freeze({ ms: undefined, seq: undefined });

/**
 * Parses an XADD ID: `*`, `<ms>-*` or an explicit ID. `seq` is undefined when it is to be
 * generated; `ms` too for `*`.
 *
 * @throws SpoolError `INVALID_STREAM_ID`
 * @example parseXaddId('1731900000000-*') // { ms: 1731900000000, seq: undefined }
 */
export function parseXaddId(text: string): {
  /** The milliseconds part; undefined for `*`. */
  ms: U64 | undefined;
  /** The sequence part; undefined for `*` and `<ms>-*`. */
  seq: U64 | undefined;
} {
  if (text === '*') return AUTO_ID;
  if (typeof text === 'string' && text.endsWith('-*') && text.length <= MAX_ID_TEXT) {
    const ms = parseU64(text.slice(0, -2));
    if (ms === undefined) throw invalid();
    return { ms, seq: undefined };
  }
  return parseStreamId(text);
}

/** Parses an ID that may also be `-` (0-0) or `+` (the largest ID), as XGROUP SETID accepts. */
export function parseStreamIdOrSpecial(text: string, missingSeq: U64 = 0): StreamIdParts {
  if (text === '-') return MIN_STREAM_ID;
  if (text === '+') return MAX_STREAM_ID;
  return parseStreamId(text, missingSeq);
}

/**
 * Parses one bound of a range (XRANGE, XPENDING, XAUTOCLAIM): `-`, `+`, an incomplete ID
 * (`<ms>` gets seq 0 as a start and the largest seq as an end) and `(` for an exclusive
 * bound, which is turned into the inclusive neighbour.
 *
 * @throws SpoolError `INVALID_STREAM_ID`
 * @example parseRangeBound('(5-0', 'start') // { ms: 5, seq: 1 }
 */
export function parseRangeBound(text: string, side: 'start' | 'end'): StreamIdParts {
  const missingSeq = side === 'start' ? 0 : MAX_U64;
  if (typeof text === 'string' && text.length > 1 && text[0] === '(') {
    const id = parseStreamId(text.slice(1), missingSeq);
    const moved = side === 'start' ? nextStreamId(id) : prevStreamId(id);
    if (!moved) {
      throw new SpoolError(
        'INVALID_STREAM_ID',
        `invalid ${side} ID for the interval: ${JSON.stringify(text)}`,
      );
    }
    return moved;
  }
  return parseStreamIdOrSpecial(text, missingSeq);
}

/** Formats a parsed ID as `<ms>-<seq>`. @example formatStreamId({ ms: 5, seq: 1 }) // '5-1' */
export function formatStreamId(id: StreamIdParts): string {
  return `${id.ms}-${id.seq}`;
}

/** Compares two parsed IDs: -1, 0 or 1. */
export function compareStreamIdParts(a: StreamIdParts, b: StreamIdParts): number {
  if (a.ms < b.ms) return -1;
  if (a.ms > b.ms) return 1;
  if (a.seq < b.seq) return -1;
  if (a.seq > b.seq) return 1;
  return 0;
}

/**
 * Compares two stream IDs as pairs of unsigned 64-bit integers (`"10-0" > "9-0"`).
 *
 * @throws SpoolError `INVALID_STREAM_ID`
 * @example ['10-0', '9-5'].sort(compareStreamIds) // ['9-5', '10-0']
 */
export function compareStreamIds(a: string, b: string): number {
  return compareStreamIdParts(parseStreamId(a), parseStreamId(b));
}

export function isZeroStreamId(id: StreamIdParts): boolean {
  return id.ms === 0 && id.seq === 0;
}

function incU64(x: U64): U64 {
  if (typeof x === 'number') return x < Number.MAX_SAFE_INTEGER ? x + 1 : BigInt(x) + 1n;
  return x + 1n;
}

function decU64(x: U64): U64 {
  if (typeof x === 'number') return x - 1;
  const d = x - 1n;
  return d > MAX_SAFE ? d : Number(d);
}

/** The ID right after `id` (Redis's `streamIncrID`), or undefined after the largest ID. */
export function nextStreamId(id: StreamIdParts): StreamIdParts | undefined {
  if (id.seq === MAX_U64) {
    if (id.ms === MAX_U64) return undefined;
    return { ms: incU64(id.ms), seq: 0 };
  }
  return { ms: id.ms, seq: incU64(id.seq) };
}

/** The ID right before `id` (Redis's `streamDecrID`), or undefined before 0-0. */
export function prevStreamId(id: StreamIdParts): StreamIdParts | undefined {
  if (id.seq === 0) {
    if (id.ms === 0) return undefined;
    return { ms: decU64(id.ms), seq: MAX_U64 };
  }
  return { ms: id.ms, seq: decU64(id.seq) };
}

/** True for the largest possible ID, after which no entry can be added. @example isMaxStreamId(parseStreamId('18446744073709551615-18446744073709551615')) // true */
export function isMaxStreamId(id: StreamIdParts): boolean {
  return id.ms === MAX_U64 && id.seq === MAX_U64;
}

/**
 * The ID for an entry added at `nowMs` after `last`, by Redis's rule (`streamNextID`): a
 * later clock starts a new millisecond at seq 0; a clock that stands still or goes back
 * keeps the last `ms` and adds 1 to `seq`. Undefined when the stream is exhausted.
 */
export function autoStreamId(last: StreamIdParts, nowMs: number): StreamIdParts | undefined {
  const ms = Math.floor(nowMs);
  if (ms > last.ms) return { ms, seq: 0 };
  return nextStreamId(last);
}
