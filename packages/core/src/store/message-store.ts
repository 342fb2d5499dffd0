import type { EventId } from '../protocol/event-id';
import type { MessageId } from '../protocol/message-id';
import type { WireEndReason, WireStreamMeta } from '../protocol/messages';

/** A channel, named as in a message's metadata. Its topic is `chan:<channelType>:<channelId>`. */
export interface StoreChannel {
  channelId: string;
  channelType: number;
}

/**
 * A finished message as the store keeps it: what a resume needs to rebuild a
 * `msg.snapshot`, and the event IDs that place it in its channel's topic.
 */
export interface StoredMessage extends StoreChannel {
  /** Decimal string (64-bit), never a JS number. */
  messageId: MessageId;
  meta: WireStreamMeta;
  /** The whole text, chunks 0..lastChunkId joined in order. */
  text: string;
  /** The last chunk the text holds; -1 when the message had no chunk. */
  lastChunkId: number;
  reason: WireEndReason;
  /** ID of the message's first event on the channel topic (its `msg.open`). */
  firstEventId: EventId;
  /**
   * ID of the last event the stored text covers (the last `msg.delta`, or `msg.open` when
   * there was none). A snapshot built from this message carries this ID, so a resuming
   * client's last event ID advances exactly.
   */
  lastEventId: EventId;
  /** When the store accepted it (ms since the epoch). */
  persistedAt: number;
}

/** What {@link MessageStore.save} takes: `persistedAt` defaults to the store's clock. */
export type StoredMessageInput = Omit<StoredMessage, 'persistedAt'> & { persistedAt?: number };

/** Options of {@link MessageStore.listAfter}. */
export interface ListAfterOptions {
  /**
   * At most this many messages.
   * @default 100
   */
  limit?: number;
}

/** Defaults of {@link ListAfterOptions}. */
export const listAfterDefaults = { limit: 100 } as const;

/** The most a single {@link MessageStore.listAfter} call returns. */
export const MAX_LIST_AFTER_LIMIT = 10_000;

/**
 * Where finished messages live, and the catchup fallback once a channel's log no longer
 * holds them (ARCHITECTURE, "The life of one chat message", step 5). Every method is
 * async, so a PostgreSQL store can stand in for {@link MemoryMessageStore}; both pass
 * `storeContract` from `@spool/core/testing`.
 *
 * Stores hand out copies: mutating a returned message never changes what is stored.
 *
 * @example
 * const store: MessageStore = new MemoryMessageStore();
 * await store.save({ messageId: '1843563473929170944', channelId: 'general', channelType: 1,
 *   meta, text: 'Hello', lastChunkId: 0, reason: 'success',
 *   firstEventId: '1731900000000-0', lastEventId: '1731900000000-1' });
 * const missed = await store.listAfter({ channelId: 'general', channelType: 1 }, '1731900000000-0');
 */
export interface MessageStore {
  /**
   * Saves a finished message. Saving the same `messageId` again replaces it (completion
   * callbacks are retried, so a save must be idempotent).
   *
   * @throws SpoolError `INVALID_MESSAGE_ID`, `INVALID_EVENT_ID` or `INVALID_MESSAGE` for a
   *   malformed message; `STORE_UNAVAILABLE` when the backend cannot be reached.
   */
  save(message: StoredMessageInput): Promise<StoredMessage>;
  /** Reads one message; `undefined` when the store does not hold it. */
  get(messageId: MessageId): Promise<StoredMessage | undefined>;
  /**
   * The channel's messages whose `lastEventId` is greater than `after`, ordered by
   * `lastEventId` (compared as event IDs, not as strings). Page by passing the last
   * returned `lastEventId` as the next `after`.
   *
   * @throws SpoolError `INVALID_EVENT_ID` for a malformed `after`; `INVALID_OPTION` for a
   *   bad `limit`.
   */
  listAfter(channel: StoreChannel, after: EventId, options?: ListAfterOptions): Promise<StoredMessage[]>;
  /** Releases the backend's resources. Later calls fail with `STORE_UNAVAILABLE`. */
  close(): Promise<void>;
}
