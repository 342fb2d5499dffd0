import type { MessageId, MessageIdInput } from '../protocol/message-id';

/**
 * A chunk's data: text, or bytes. Text is counted by its UTF-8 byte length.
 *
 * @example const payload: ChunkPayload = new TextEncoder().encode('Hel');
 */
export type ChunkPayload = Uint8Array | string;

/**
 * One chunk of a streaming message, as the cache hands it to `onStreamComplete`: the
 * message ID in its canonical decimal form, a non-negative integer `chunkId`, and the
 * payload exactly as appended (a `Uint8Array` is kept by reference, not copied).
 *
 * @example
 * const chunk: MessageChunk = { messageId: '1843563473929170944', chunkId: 0, payload: 'Hel' };
 */
export interface MessageChunk {
  /** Canonical decimal string (see `toMessageId`). */
  messageId: MessageId;
  /** Position within the message: a non-negative safe integer, unique per message. */
  chunkId: number;
  /** The chunk's data, exactly as appended. */
  payload: ChunkPayload;
}

/**
 * What `appendChunk` accepts: like {@link MessageChunk}, but the message ID may be a
 * bigint, a decimal string or a safe-integer number.
 *
 * @example
 * cache.appendChunk({ messageId: 1843563473929170944n, chunkId: 0, payload: 'Hel' });
 */
export interface MessageChunkInput {
  /** The message ID: a bigint, a decimal string or a safe-integer number. */
  messageId: MessageIdInput;
  /** Position within the message: a non-negative safe integer, unique per message. */
  chunkId: number;
  /** The chunk's data: text, or bytes (kept by reference). */
  payload: ChunkPayload;
}
