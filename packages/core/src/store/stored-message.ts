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
  if (!Number.isInteger(input.channelType) || input.channelType < 0)
    invalid(`\`channelType\` must be a non-negative integer, got ${String(input.channelType)}`);
  if (typeof input.text !== 'string') invalid('`text` must be a string (the whole message text)');
  if (!Number.isInteger(input.lastChunkId) || input.lastChunkId < -1)
    invalid(`\`lastChunkId\` must be an integer >= -1 (-1 for no chunk), got ${String(input.lastChunkId)}`);
  if (!REASONS.has(input.reason))
    invalid(
      `\`reason\` must be one of success, timeout, error, cancelled, force; got ${JSON.stringify(input.reason)}`,
    );
  const first = parseEventId(input.firstEventId);
  const last = parseEventId(input.lastEventId);
  if (compareParsedEventIds(first, last) > 0)
    invalid(`\`firstEventId\` ${input.firstEventId} is after \`lastEventId\` ${input.lastEventId}`);
  const persistedAt = input.persistedAt ?? now;
  if (!Number.isFinite(persistedAt)) invalid('`persistedAt` must be a finite number of ms since the epoch');
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
  try {
    return JSON.parse(JSON.stringify(meta)) as WireStreamMeta;
  } catch (cause) {
    throw new SpoolError('INVALID_MESSAGE', '`meta` must be JSON-serialisable (no BigInt, no cycles).', {
      cause,
    });
  }
}

function invalid(why: string): never {
  throw new SpoolError('INVALID_MESSAGE', `Cannot store the message: ${why}.`);
}
