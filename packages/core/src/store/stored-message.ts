import { SpoolError } from '../errors';
import { compareParsedEventIds, parseEventId } from '../protocol/event-id';
import { toMessageId } from '../protocol/message-id';
import type { WireEndReason, WireStreamMeta } from '../protocol/messages';
import type { StoredMessage, StoredMessageInput } from './message-store';

const REASONS: ReadonlySet<string> = new Set<WireEndReason>([
  'success',
  'timeout',
  'error',
  'cancelled',
  'force',
]);

/**
 * Checks a message before a store saves it and returns the canonical, detached copy the
 * store keeps (message ID as its canonical decimal string, metadata copied through JSON
 * so that it is also what a SQL store's JSON column returns). Every store calls this, so
 * all of them reject the same input with the same code.
 *
 * @throws SpoolError `INVALID_MESSAGE_ID`, `INVALID_EVENT_ID` or `INVALID_MESSAGE`.
 * @example const row = toStoredMessage(input, Date.now());
 */
export function toStoredMessage(input: StoredMessageInput, now: number): StoredMessage {
  if (typeof input !== 'object' || input === null) invalid('the message must be an object');
  const messageId = toMessageId(input.messageId);
  if (typeof input.channelId !== 'string' || input.channelId.length === 0)
    invalid(`\`channelId\` must be a non-empty string, got ${JSON.stringify(input.channelId)}`);
  if (!isStorableText(input.channelId))
    invalid('`channelId` holds a NUL character or an unpaired surrogate, which no SQL store can hold');
  if (!Number.isSafeInteger(input.channelType) || input.channelType < 0)
    invalid(`\`channelType\` must be a non-negative integer, got ${String(input.channelType)}`);
  if (typeof input.text !== 'string') invalid('`text` must be a string (the whole message text)');
  if (!isStorableText(input.text))
    invalid(
      '`text` holds a NUL character or an unpaired surrogate: PostgreSQL text cannot hold the first, and UTF-8 would silently replace the second',
    );
  if (!Number.isSafeInteger(input.lastChunkId) || input.lastChunkId < -1)
    invalid(`\`lastChunkId\` must be an integer >= -1 (-1 for no chunk), got ${String(input.lastChunkId)}`);
  if (!REASONS.has(input.reason))
    invalid(
      `\`reason\` must be one of success, timeout, error, cancelled, force; got ${JSON.stringify(input.reason)}`,
    );
  const first = parseEventId(input.firstEventId);
  const last = parseEventId(input.lastEventId);
  if (compareParsedEventIds(first, last) > 0)
    invalid(`\`firstEventId\` ${input.firstEventId} is after \`lastEventId\` ${input.lastEventId}`);
  // Whole milliseconds within years 1970..9999, so that a SQL `timestamptz` (microseconds)
  // holds it exactly and every store hands back the very number it was given.
  const persistedAt = input.persistedAt ?? Math.floor(now);
  if (!Number.isInteger(persistedAt) || persistedAt < 0 || persistedAt > MAX_PERSISTED_AT)
    invalid(
      `\`persistedAt\` must be whole milliseconds since the epoch, from 0 to ${MAX_PERSISTED_AT} (year 9999), got ${String(persistedAt)}`,
    );
  return {
    messageId,
    channelId: input.channelId,
    channelType: input.channelType,
    meta: copyMeta(input.meta),
    text: input.text,
    lastChunkId: input.lastChunkId,
    reason: input.reason,
    firstEventId: input.firstEventId,
    lastEventId: input.lastEventId,
    persistedAt,
  };
}

/** A detached copy of a stored message, so callers can never mutate the store. */
export function copyStoredMessage(message: StoredMessage): StoredMessage {
  return { ...message, meta: copyMeta(message.meta) };
}

function copyMeta(meta: WireStreamMeta): WireStreamMeta {
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta))
    invalid('`meta` must be the message metadata object');
  let json: string;
  try {
    json = JSON.stringify(meta);
  } catch (cause) {
    throw new SpoolError('INVALID_MESSAGE', '`meta` must be JSON-serialisable (no BigInt, no cycles).', {
      cause,
    });
  }
  // JSON.stringify escapes exactly these as \u0000 and \udXXX (a valid surrogate pair stays
  // raw), so one scan of the JSON text covers every key and every string value.
  if (UNSTORABLE_JSON_RE.test(json))
    invalid(
      '`meta` holds a NUL character or an unpaired surrogate in a key or a string, which `jsonb` rejects',
    );
  return JSON.parse(json) as WireStreamMeta;
}

// A \u0000 or \ud800..\udfff escape whose backslash is not itself escaped (an even run of
// backslashes, possibly none, before it).
const UNSTORABLE_JSON_RE = /(?:^|[^\\])(?:\\\\)*\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})/;

/** The latest `persistedAt` a store accepts: 9999-12-31T23:59:59.999Z. */
export const MAX_PERSISTED_AT = 253_402_300_799_999;

// A NUL, a high surrogate not followed by a low one, or a low one not preceded by a high one.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching NUL is the point
const UNSTORABLE_RE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Whether every store can hold `s` exactly: PostgreSQL `text` and `jsonb` refuse U+0000,
 * and UTF-8 has no encoding for an unpaired surrogate (drivers replace it with U+FFFD, a
 * silent change), so stores refuse both up front, alike.
 */
function isStorableText(s: string): boolean {
  return !UNSTORABLE_RE.test(s);
}

function invalid(why: string): never {
  throw new SpoolError('INVALID_MESSAGE', `Cannot store the message: ${why}.`);
}
