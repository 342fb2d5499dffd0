import { SpoolError } from '../errors';

/**
 * An event ID `<ms>-<seq>`, as in Redis Streams: strictly increasing within a topic and
 * compared as a pair of integers. Both parts are kept within `Number.MAX_SAFE_INTEGER`
 * so they never lose precision in a JS `number`.
 */
export type EventId = string;

/** An event ID split into its parts. */
export interface ParsedEventId {
  /** The milliseconds part (the append time in ms since the epoch, unless the ID was given). */
  ms: number;
  /** Sequence number among the events of the same millisecond. */
  seq: number;
}

/** The smallest ID; `after: "0-0"` means "everything retained". */
export const MIN_EVENT_ID = '0-0';

const EVENT_ID_RE = /^(0|[1-9][0-9]{0,15})-(0|[1-9][0-9]{0,15})$/;

/**
 * Parses `<ms>-<seq>`; returns undefined when `id` is not one. Only the canonical form is
 * accepted (no leading zeros, no sign, no spaces), so two IDs are equal exactly when their
 * strings are equal.
 *
 * @example tryParseEventId('7-1') // { ms: 7, seq: 1 }; tryParseEventId('07-1') // undefined
 */
export function tryParseEventId(id: string): ParsedEventId | undefined {
  const m = EVENT_ID_RE.exec(id);
  if (!m) return undefined;
  const ms = Number(m[1]);
  const seq = Number(m[2]);
  if (!Number.isSafeInteger(ms) || !Number.isSafeInteger(seq)) return undefined;
  return { ms, seq };
}

/**
 * Parses `<ms>-<seq>`.
 *
 * @throws SpoolError `INVALID_EVENT_ID`
 * @example parseEventId('1731900000000-3') // { ms: 1731900000000, seq: 3 }
 */
export function parseEventId(id: string): ParsedEventId {
  const parsed = typeof id === 'string' ? tryParseEventId(id) : undefined;
  if (!parsed) {
    throw new SpoolError(
      'INVALID_EVENT_ID',
      `Invalid event ID ${JSON.stringify(id)}: expected "<ms>-<seq>" with two non-negative integers, e.g. "1731900000000-0".`,
    );
  }
  return parsed;
}

/** True when `id` is a well-formed event ID. @example isEventId('1-0') // true */
export function isEventId(id: unknown): id is EventId {
  return typeof id === 'string' && tryParseEventId(id) !== undefined;
}

/** Formats a parsed ID. @example formatEventId({ ms: 5, seq: 1 }) // '5-1' */
export function formatEventId(id: ParsedEventId): EventId {
  return `${id.ms}-${id.seq}`;
}

/**
 * Compares two parsed IDs: negative, zero or positive.
 *
 * @example compareParsedEventIds({ ms: 1, seq: 9 }, { ms: 2, seq: 0 }) < 0 // true
 */
export function compareParsedEventIds(a: ParsedEventId, b: ParsedEventId): number {
  return a.ms !== b.ms ? a.ms - b.ms : a.seq - b.seq;
}

/**
 * Compares two event IDs as pairs of integers (not as strings: `"10-0" > "9-0"`).
 *
 * @throws SpoolError `INVALID_EVENT_ID`
 * @example ['10-0', '9-5'].sort(compareEventIds) // ['9-5', '10-0']
 */
export function compareEventIds(a: EventId, b: EventId): number {
  return compareParsedEventIds(parseEventId(a), parseEventId(b));
}

/** The largest value of either part: both stay exact in a JS `number`. */
const MAX_PART = Number.MAX_SAFE_INTEGER;

/**
 * The ID that follows `last` at time `nowMs`, by Redis's rule: a later clock starts a new
 * millisecond at seq 0; a clock that stands still or goes back keeps the last `ms` and
 * adds 1 to `seq` (see the XADD page, "Specifying a Stream ID as an argument", and
 * `streamIncrID` in Redis's t_stream.c). Like Redis, an empty log counts as `0-0`, so the
 * first ID is never `0-0` (XADD refuses it), and a `seq` that would overflow carries
 * into `ms`.
 *
 * A clock reading that is not a finite number, or is negative, counts as 0 (the log then
 * keeps counting from its last ID).
 *
 * @throws SpoolError `INVALID_EVENT_ID` only when `last` is the largest possible ID.
 * @example nextEventId({ ms: 100, seq: 4 }, 90) // { ms: 100, seq: 5 }
 */
export function nextEventId(last: ParsedEventId | undefined, nowMs: number): ParsedEventId {
  const ms = nowMs > 0 ? (nowMs < MAX_PART ? Math.floor(nowMs) : MAX_PART) : 0;
  const lastMs = last ? last.ms : 0;
  const lastSeq = last ? last.seq : 0;
  if (ms > lastMs) return { ms, seq: 0 };
  if (lastSeq < MAX_PART) return { ms: lastMs, seq: lastSeq + 1 };
  if (lastMs < MAX_PART) return { ms: lastMs + 1, seq: 0 };
  throw new SpoolError(
    'INVALID_EVENT_ID',
    `No event ID can follow ${formatEventId({ ms: lastMs, seq: lastSeq })}: the log has used the largest possible ID.`,
  );
}

/**
 * The smallest ID greater than `id`: the lower bound of whatever can follow a position
 * (`subok.from`, a reset's `earliest` when nothing follows yet).
 *
 * @throws SpoolError `INVALID_EVENT_ID` for the largest possible ID, which nothing follows.
 * @example idAfter({ ms: 5, seq: 1 }) // { ms: 5, seq: 2 }
 */
export function idAfter(id: ParsedEventId): ParsedEventId {
  return nextEventId(id, 0);
}

/**
 * The greatest ID smaller than `id`, or `0-0` for `0-0`: the position "just below" an ID,
 * from which a resume gets that ID first (the inverse of {@link idAfter}).
 *
 * @example idBefore({ ms: 5, seq: 0 }) // { ms: 4, seq: 9007199254740991 }
 */
export function idBefore(id: ParsedEventId): ParsedEventId {
  if (id.seq > 0) return { ms: id.ms, seq: id.seq - 1 };
  return id.ms > 0 ? { ms: id.ms - 1, seq: MAX_PART } : { ms: 0, seq: 0 };
}

/**
 * {@link idAfter} on event ID strings.
 *
 * @throws SpoolError `INVALID_EVENT_ID`
 * @example eventIdAfter('1731900000000-3') // '1731900000000-4'
 */
export function eventIdAfter(id: EventId): EventId {
  return formatEventId(idAfter(parseEventId(id)));
}

/**
 * {@link idBefore} on event ID strings.
 *
 * @throws SpoolError `INVALID_EVENT_ID`
 * @example eventIdBefore('1731900000000-0') // '1731899999999-9007199254740991'
 */
export function eventIdBefore(id: EventId): EventId {
  return formatEventId(idBefore(parseEventId(id)));
}

/**
 * Reads an ID that was checked where it entered (a decoded frame, {@link parseEventId}),
 * without checking it again: what a client compares on every event.
 */
const trusted = (id: EventId): ParsedEventId => {
  const [ms, seq] = id.split('-');
  return { ms: Number(ms), seq: Number(seq) };
};

/**
 * True when `a` comes strictly after `b`, an absent `b` being before everything. Unlike
 * {@link compareEventIds} it does not validate: both are IDs already checked (by a
 * decoder, or the caller's own resume point).
 *
 * @example isEventIdAfter('10-0', '9-5') // true; isEventIdAfter('1-0', undefined) // true
 */
export function isEventIdAfter(a: EventId, b: EventId | undefined): boolean {
  return !b || compareParsedEventIds(trusted(a), trusted(b)) > 0;
}

/**
 * {@link eventIdBefore} for an ID already checked (see {@link isEventIdAfter}): the resume
 * point from which `id` is the first event (docs/protocol.md, "The resume rule").
 *
 * @example eventIdJustBefore('5-0') // '4-9007199254740991'
 */
export function eventIdJustBefore(id: EventId): EventId {
  return formatEventId(idBefore(trusted(id)));
}
