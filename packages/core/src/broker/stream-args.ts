import { SpoolError } from '../errors';
import type { StreamFieldsInput } from './stream-broker';
import { parseStreamId, type StreamIdParts } from './stream-id';

/**
 * Argument checks shared by every `StreamBroker` backend, so that `MemoryBroker` and
 * `RedisBroker` reject the same malformed calls with the same codes, before anything is
 * looked up (a typed API has no "syntax" beyond these).
 */

/** Redis's default LIMIT for approximate trimming: 100 nodes of `stream-node-max-entries` (100). */
export const APPROX_TRIM_DEFAULT_LIMIT = 10_000;

/**
 * Checks that `value` is an integer Redis would parse (a signed 64-bit value that is also
 * exact in a JS number).
 *
 * @throws SpoolError `SYNTAX_ERROR`
 * @example assertStreamInteger('count', 1.5) // throws SYNTAX_ERROR
 */
export function assertStreamInteger(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new SpoolError(
      'SYNTAX_ERROR',
      `\`${name}\` must be an integer (value is not an integer or out of range), got ${String(value)}.`,
    );
  }
}

/** Checks a key, group or consumer name. @throws SpoolError `SYNTAX_ERROR` @example assertStreamName('group', 'workers') */
export function assertStreamName(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') {
    throw new SpoolError('SYNTAX_ERROR', `\`${name}\` must be a string, got ${typeof value}.`);
  }
}

/** Checks an ID list (XACK, XDEL, XCLAIM): a non-empty array of strings. @example assertStreamIdList('ids', ['1-0']) */
export function assertStreamIdList(name: string, ids: unknown): asserts ids is readonly string[] {
  if (!Array.isArray(ids) || ids.length === 0 || ids.some((id) => typeof id !== 'string')) {
    throw new SpoolError(
      'SYNTAX_ERROR',
      `\`${name}\` must be a non-empty array of stream IDs (wrong number of arguments).`,
    );
  }
}

/** IDs whose parts have at most 15 digits are always valid: checked without parsing. */
const SHORT_ID = /^\d{1,15}(?:-\d{1,15})?$/;

/** True when `id` parses as a strict stream ID (`<ms>-<seq>` or `<ms>`). @example isValidStreamId('5') // true */
export function isValidStreamId(id: string): boolean {
  if (SHORT_ID.test(id)) return true;
  try {
    parseStreamId(id);
    return true;
  } catch {
    return false;
  }
}

/**
 * Flattens entry fields into `[field, value, field, value, ...]`, keeping their order.
 *
 * @throws SpoolError `SYNTAX_ERROR` when there is no field or a field or value is not a string
 * @example flattenStreamFields({ a: '1', b: '2' }) // ['a', '1', 'b', '2']
 */
export function flattenStreamFields(fields: StreamFieldsInput): string[] {
  const flat: string[] = [];
  if (Array.isArray(fields)) {
    for (const pair of fields as ReadonlyArray<readonly [string, string]>) {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new SpoolError('SYNTAX_ERROR', 'Each field must be a [field, value] pair of strings.');
      }
      flat.push(pair[0], pair[1]);
    }
  } else if (fields !== null && typeof fields === 'object') {
    const record = fields as Record<string, string>;
    for (const name of Object.keys(record)) flat.push(name, record[name]!);
  }
  if (flat.length === 0) throw noFieldsError();
  for (const s of flat) if (typeof s !== 'string') throw notStringError(s);
  return flat;
}

function noFieldsError(): SpoolError {
  return new SpoolError(
    'SYNTAX_ERROR',
    "wrong number of arguments for 'xadd' command: an entry needs at least one field.",
  );
}

function notStringError(value: unknown): SpoolError {
  return new SpoolError('SYNTAX_ERROR', `Fields and values must be strings, got ${typeof value}.`);
}

/**
 * A new entry's fields as the frozen record that replies share, checked as
 * {@link flattenStreamFields} checks them. A record input is copied in one pass, without the
 * flat pairs in between: XADD is the hot path.
 *
 * @throws SpoolError `SYNTAX_ERROR` when there is no field or a field or value is not a string
 */
export function frozenStreamFields(fields: StreamFieldsInput): Readonly<Record<string, string>> {
  if (Array.isArray(fields) || fields === null || typeof fields !== 'object') {
    return Object.freeze(streamFieldsToRecord(flattenStreamFields(fields)));
  }
  const record = fields as Readonly<Record<string, string>>;
  const names = Object.keys(record);
  if (names.length === 0) throw noFieldsError();
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = record[name];
    if (typeof value !== 'string') throw notStringError(value);
    if (name === '__proto__') defineData(out, name, value);
    else out[name] = value;
  }
  return Object.freeze(out);
}

function defineData(out: Record<string, string>, name: string, value: string): void {
  Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Builds an entry's `fields` record from flat pairs. A later duplicate field wins, and a
 * field named `__proto__` is kept as a plain property.
 *
 * @example streamFieldsToRecord(['a', '1', 'a', '2']) // { a: '2' }
 */
export function streamFieldsToRecord(flat: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = flat[i]!;
    if (name === '__proto__') defineData(out, name, flat[i + 1]!);
    else out[name] = flat[i + 1]!;
  }
  return out;
}

/** A checked trimming request. `limit` 0 means unlimited. */
export type TrimArgs =
  | {
      /** Trim by length (`MAXLEN`). */
      kind: 'maxlen';
      /** The number of entries to keep. */
      maxLen: number;
      /** `~`: trim only whole nodes, so possibly fewer than asked. */
      approx: boolean;
      /** `LIMIT`: at most this many entries removed per call (0: no limit). */
      limit: number;
    }
  | {
      /** Trim by ID (`MINID`). */
      kind: 'minid';
      /** Entries below this ID are removed. */
      minId: StreamIdParts;
      /** `minId` as it was given, passed on to Redis as it is. */
      minIdText: string;
      /** `~`: trim only whole nodes, so possibly fewer than asked. */
      approx: boolean;
      /** `LIMIT`: at most this many entries removed per call (0: no limit). */
      limit: number;
    };

/**
 * Checks XADD / XTRIM trimming options the way Redis's `streamParseAddOrTrimArgsOrReply` does.
 * Returns undefined when no trimming is asked for.
 *
 * @throws SpoolError `SYNTAX_ERROR`, `INVALID_STREAM_ID`
 * @example checkTrimArgs({ maxLen: 1000 }, true, undefined) // { kind: 'maxlen', maxLen: 1000, approx: true, limit: 10000 }
 */
export function checkTrimArgs(
  strategy:
    | {
        /** Keep at most this many entries (`MAXLEN`). */
        maxLen?: number | undefined;
        /** Remove the entries below this ID (`MINID`). */
        minId?: string | undefined;
      }
    | undefined,
  approx: boolean | undefined,
  limit: number | undefined,
): TrimArgs | undefined {
  const maxLen = strategy?.maxLen;
  const minId = strategy?.minId;
  if (maxLen !== undefined && minId !== undefined) {
    throw new SpoolError(
      'SYNTAX_ERROR',
      'syntax error, MAXLEN and MINID options at the same time are not compatible',
    );
  }
  if (limit !== undefined) {
    assertStreamInteger('limit', limit);
    if (limit < 0) throw new SpoolError('SYNTAX_ERROR', 'The LIMIT argument must be >= 0.');
  }
  if (maxLen === undefined && minId === undefined) {
    if (limit !== undefined) {
      throw new SpoolError(
        'SYNTAX_ERROR',
        'syntax error, LIMIT cannot be used without specifying a trimming strategy',
      );
    }
    return undefined;
  }
  if (limit !== undefined && !approx) {
    throw new SpoolError('SYNTAX_ERROR', 'syntax error, LIMIT cannot be used without the special ~ option');
  }
  const effectiveLimit = approx ? (limit ?? APPROX_TRIM_DEFAULT_LIMIT) : 0;
  if (maxLen !== undefined) {
    assertStreamInteger('maxLen', maxLen);
    if (maxLen < 0) throw new SpoolError('SYNTAX_ERROR', 'The MAXLEN argument must be >= 0.');
    return { kind: 'maxlen', maxLen, approx: approx === true, limit: effectiveLimit };
  }
  if (typeof minId !== 'string') throw new SpoolError('SYNTAX_ERROR', '`minId` must be a string.');
  return {
    kind: 'minid',
    minId: parseStreamId(minId),
    minIdText: minId,
    approx: approx === true,
    limit: effectiveLimit,
  };
}

/** Checks the streams argument of XREAD / XREADGROUP. @example assertStreamKeyIds([['jobs', '>']]) */
export function assertStreamKeyIds(
  streams: unknown,
): asserts streams is ReadonlyArray<readonly [string, string]> {
  if (
    !Array.isArray(streams) ||
    streams.length === 0 ||
    streams.some(
      (p) => !Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'string' || typeof p[1] !== 'string',
    )
  ) {
    throw new SpoolError(
      'SYNTAX_ERROR',
      '`streams` must be a non-empty array of [key, id] pairs of strings (as after STREAMS in XREAD).',
    );
  }
}

/** Checks `block`: absent, or a non-negative integer (0 = forever). @example checkBlock(5000) // 5000 */
export function checkBlock(block: number | undefined): number | undefined {
  if (block === undefined) return undefined;
  assertStreamInteger('block', block);
  if (block < 0) throw new SpoolError('SYNTAX_ERROR', 'timeout is negative: `block` must be >= 0.');
  return block;
}

/** Checks `entriesRead`: absent (-1, unknown), -1, or a non-negative integer. @example checkEntriesRead(undefined) // -1 */
export function checkEntriesRead(entriesRead: number | undefined): number {
  if (entriesRead === undefined) return -1;
  assertStreamInteger('entriesRead', entriesRead);
  if (entriesRead < -1) throw new SpoolError('SYNTAX_ERROR', 'value for ENTRIESREAD must be positive or -1');
  return entriesRead;
}

/** Checks XAUTOCLAIM's COUNT (Redis: 1 .. LONG_MAX / 16). @example checkAutoclaimCount(undefined) // 100 */
export function checkAutoclaimCount(count: number | undefined): number {
  if (count === undefined) return 100;
  assertStreamInteger('count', count);
  if (count < 1) throw new SpoolError('SYNTAX_ERROR', 'COUNT must be > 0');
  return count;
}
