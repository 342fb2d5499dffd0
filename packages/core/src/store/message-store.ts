import type { EventId } from '../protocol/event-id';
import type { MessageId } from '../protocol/message-id';
import type { WireEndReason, WireStreamMeta } from '../protocol/messages';

/** A channel, named as in a message's metadata. Its topic is `chan:<channelType>:<channelId>`. */
export interface StoreChannel {
  /** The channel's ID. */
  channelId: string;
  /** The channel's type: an integer from 0 to 255. */
  channelType: number;
}

/**
 * A finished message as the store keeps it: what a resume needs to rebuild a
 * `msg.snapshot`, and the event IDs that place it in its channel's topic.
 */
export interface StoredMessage extends StoreChannel {
  /** Decimal string (64-bit), never a JS number. */
  messageId: MessageId;
  /** The message's metadata, as on the wire. */
  meta: WireStreamMeta;
  /** The whole text, chunks 0..lastChunkId joined in order. */
  text: string;
  /** The last chunk the text holds; -1 when the message had no chunk. */
  lastChunkId: number;
  /** Why the message ended. */
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
export type StoredMessageInput = Omit<StoredMessage, 'persistedAt'> & {
  /** When the message was saved (ms since the epoch). @default the store's clock */
  persistedAt?: number;
};

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

/** Options of the paged history queries: {@link MessageStore.listBefore}, `listBySender`, `listByField`. */
export interface StorePageOptions {
  /**
   * At most this many messages per page (a page may hold more only to keep messages that
   * share the cursor together, see {@link StoredMessagePage}).
   * @default 50
   */
  limit?: number;
}

/** Defaults of {@link StorePageOptions}. */
export const storePageDefaults = { limit: 50 } as const;

/**
 * One page of a history query, newest first. Pass `next` as the `before` of the next call
 * to get the page of older messages; `next` is `null` on the last page. A page never
 * splits messages that share the cursor value, so paging visits each message exactly once.
 */
export interface StoredMessagePage<Cursor extends string = string> {
  /** The messages of the page, newest first. */
  items: StoredMessage[];
  /** The cursor of the next (older) page: pass it as `before`; `null` on the last page. */
  next: Cursor | null;
}

/**
 * A custom-field value that {@link MessageStore.listByField} matches: JSON primitives,
 * compared by value (a `bigint` custom field is stored as its decimal string, as on the
 * wire, so match it with that string).
 */
export type StoreFieldValue = string | number | boolean | null;

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
  /** The backend, as `/readyz` reports it (`memory`, `postgres`, `pglite`). */
  readonly kind?: string;
  /**
   * Counts for operators (`GET /v1/stats`, the dashboard): messages held, and completion
   * records committed but not yet written to the broker (0 without an outbox).
   */
  stats?(): Promise<{
    /** Messages saved. */
    messages: number;
    /** Completion records saved and not yet written to the broker (0 without an outbox). */
    outboxBacklog: number;
  }>;
  /**
   * True when each save also records the message's `spool:completed` record in the same
   * transaction (an outbox that a relay writes to the broker once). The chat pipeline then
   * leaves the record to the store instead of writing it itself, so a message saved late
   * (after an outage) still has exactly one record. Absent or false: the pipeline writes it.
   */
  readonly recordsCompletions?: boolean;
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
  /**
   * History for a chat UI that scrolls up: the channel's messages whose `firstEventId` is
   * less than `before` (all of them when `before` is absent), newest first, ordered by
   * `firstEventId` compared as event IDs. `next` is the `firstEventId` of the page's
   * oldest message, to pass as the next `before`.
   *
   * @throws SpoolError `INVALID_EVENT_ID` for a malformed `before`; `INVALID_OPTION` for a
   *   bad `limit`.
   * @example
   * let page = await store.listBefore(channel, undefined, { limit: 50 });
   * while (page.next) page = await store.listBefore(channel, page.next, { limit: 50 });
   */
  listBefore(
    channel: StoreChannel,
    before?: EventId,
    options?: StorePageOptions,
  ): Promise<StoredMessagePage<EventId>>;
  /**
   * Messages whose `meta.fromUid` is `fromUid`, in every channel, newest first by message
   * ID (generated message IDs grow with time), with messages whose ID is less than
   * `before` only. `next` is the last item's message ID.
   *
   * @throws SpoolError `INVALID_MESSAGE_ID` for a malformed `before`; `INVALID_OPTION` for a
   *   non-string `fromUid` or a bad `limit`.
   */
  listBySender(
    fromUid: string,
    before?: MessageId,
    options?: StorePageOptions,
  ): Promise<StoredMessagePage<MessageId>>;
  /**
   * Messages whose custom field `field` equals `value`, in every channel, paged as
   * {@link listBySender}. Only JSON primitives match; a field holding an object or array
   * never does (a SQL store matches with `jsonb` containment, where `{"k":"a"}` does not
   * match `{"k":["a"]}`).
   *
   * @throws SpoolError `INVALID_OPTION` for an empty `field`, a `value` that is not a JSON
   *   primitive (or a non-finite number), or a bad `limit`; `INVALID_MESSAGE_ID` for a
   *   malformed `before`.
   */
  listByField(
    field: string,
    value: StoreFieldValue,
    before?: MessageId,
    options?: StorePageOptions,
  ): Promise<StoredMessagePage<MessageId>>;
  /** Releases the backend's resources. Later calls fail with `STORE_UNAVAILABLE`. */
  close(): Promise<void>;
}
