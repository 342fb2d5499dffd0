import { SpoolError } from '../errors';
import { compareParsedEventIds, type EventId, type ParsedEventId, parseEventId } from '../protocol/event-id';
import { type MessageId, toMessageId } from '../protocol/message-id';
import { type Clock, realClock } from '../time/clock';
import type {
  ListAfterOptions,
  MessageStore,
  StoreChannel,
  StoredMessage,
  StoredMessageInput,
  StoredMessagePage,
  StoreFieldValue,
  StorePageOptions,
} from './message-store';
import { compareMessageIds, SortedEntries } from './sorted-entries';
import {
  beforeEventId,
  beforeMessageId,
  channelQuery,
  fieldQuery,
  listAfterLimit,
  pageLimit,
  senderQuery,
} from './store-query';
import { copyStoredMessage, toStoredMessage } from './stored-message';

/** Options of {@link MemoryMessageStore}. */
export interface MemoryMessageStoreOptions {
  /**
   * The most messages kept; saving one more forgets the one saved longest ago, so the
   * store's memory stays bounded.
   * @default 100_000
   */
  maxMessages?: number;
  /** Stamps `persistedAt`. @default realClock */
  clock?: Clock;
}

/** Defaults of {@link MemoryMessageStoreOptions}. */
export const memoryMessageStoreDefaults = { maxMessages: 100_000 } as const;

/** A message's place in one of its channel's lists: by first or by last event ID. */
interface ChannelEntry {
  at: ParsedEventId;
  messageId: string;
}

interface ChannelLists {
  byFirst: SortedEntries<ChannelEntry>;
  byLast: SortedEntries<ChannelEntry>;
}

const byEventThenId = (a: ChannelEntry, b: ChannelEntry) =>
  compareParsedEventIds(a.at, b.at) || compareMessageIds(a.messageId, b.messageId);

/**
 * A {@link MessageStore} in memory, for tests and the embedded single-process server.
 * Each channel keeps its messages sorted by `lastEventId` and by `firstEventId`, and
 * senders and custom-field values keep theirs sorted by message ID, so every query is a
 * binary search plus the page.
 *
 * @example
 * const store = new MemoryMessageStore({ maxMessages: 10_000 });
 * await store.save(finishedMessage);
 * const page = await store.listAfter({ channelId: 'general', channelType: 1 }, lastEventId, { limit: 50 });
 */
export class MemoryMessageStore implements MessageStore {
  readonly kind = 'memory';
  readonly #maxMessages: number;
  readonly #clock: Clock;
  /** In save order (Map keeps insertion order), which is also the eviction order. */
  readonly #messages = new Map<string, StoredMessage>();
  readonly #channels = new Map<string, ChannelLists>();
  readonly #bySender = new Map<string, SortedEntries<string>>();
  /** Custom field → value → message IDs; only JSON primitives are indexed, as they alone match. */
  readonly #byField = new Map<string, Map<StoreFieldValue, SortedEntries<string>>>();
  #closed = false;

  constructor(options: MemoryMessageStoreOptions = {}) {
    const maxMessages = options.maxMessages ?? memoryMessageStoreDefaults.maxMessages;
    if (!Number.isSafeInteger(maxMessages) || maxMessages < 1)
      throw new SpoolError(
        'INVALID_OPTION',
        `\`maxMessages\` must be a positive integer, got ${String(maxMessages)}.`,
      );
    this.#maxMessages = maxMessages;
    this.#clock = options.clock ?? realClock;
  }

  /** Number of messages held. */
  get size(): number {
    return this.#messages.size;
  }

  /** Messages held; no outbox, so no backlog. */
  async stats(): Promise<{
    /** Messages held. */
    messages: number;
    /** Always 0: no outbox. */
    outboxBacklog: number;
  }> {
    return { messages: this.#messages.size, outboxBacklog: 0 };
  }

  async save(input: StoredMessageInput): Promise<StoredMessage> {
    this.#assertOpen();
    const message = toStoredMessage(input, this.#clock.now());
    const previous = this.#messages.get(message.messageId);
    if (previous) this.#forget(previous);
    this.#messages.set(message.messageId, message);
    this.#index(message);
    while (this.#messages.size > this.#maxMessages) {
      const oldest = this.#messages.values().next().value as StoredMessage;
      this.#forget(oldest);
    }
    return copyStoredMessage(message);
  }

  async get(messageId: string): Promise<StoredMessage | undefined> {
    this.#assertOpen();
    const message = this.#messages.get(toMessageId(messageId));
    return message && copyStoredMessage(message);
  }

  async listAfter(
    channel: StoreChannel,
    after: EventId,
    options: ListAfterOptions = {},
  ): Promise<StoredMessage[]> {
    this.#assertOpen();
    channelQuery(channel);
    const from = parseEventId(after);
    const limit = listAfterLimit(options);
    const list = this.#channels.get(channelKey(channel))?.byLast;
    if (!list) return [];
    const out: StoredMessage[] = [];
    for (
      let i = list.partition((e) => compareParsedEventIds(e.at, from) <= 0);
      i < list.length && out.length < limit;
      i++
    ) {
      out.push(copyStoredMessage(this.#messages.get(list.items[i]!.messageId)!));
    }
    return out;
  }

  async listBefore(
    channel: StoreChannel,
    before?: EventId,
    options?: StorePageOptions,
  ): Promise<StoredMessagePage<EventId>> {
    this.#assertOpen();
    channelQuery(channel);
    const until = beforeEventId(before);
    const limit = pageLimit(options);
    const list = this.#channels.get(channelKey(channel))?.byFirst;
    if (!list) return { items: [], next: null };
    const end = until ? list.partition((e) => compareParsedEventIds(e.at, until) < 0) : list.length;
    // Newest first; a page never ends between two messages with the same first event ID,
    // because the next page starts strictly below the cursor.
    const entries: ChannelEntry[] = [];
    let i = end - 1;
    for (; i >= 0; i--) {
      const e = list.items[i]!;
      if (entries.length >= limit && compareParsedEventIds(e.at, entries.at(-1)!.at) !== 0) break;
      entries.push(e);
    }
    return this.#page(
      entries.map((e) => e.messageId),
      i >= 0,
      (m) => m.firstEventId,
    );
  }

  async listBySender(
    fromUid: string,
    before?: MessageId,
    options?: StorePageOptions,
  ): Promise<StoredMessagePage<MessageId>> {
    this.#assertOpen();
    const sender = senderQuery(fromUid);
    const until = beforeMessageId(before);
    const limit = pageLimit(options);
    return this.#idPage(this.#bySender.get(sender), until, limit);
  }

  async listByField(
    field: string,
    value: StoreFieldValue,
    before?: MessageId,
    options?: StorePageOptions,
  ): Promise<StoredMessagePage<MessageId>> {
    this.#assertOpen();
    const query = fieldQuery(field, value);
    const until = beforeMessageId(before);
    const limit = pageLimit(options);
    return this.#idPage(this.#byField.get(query.field)?.get(query.value), until, limit);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#messages.clear();
    this.#channels.clear();
    this.#bySender.clear();
    this.#byField.clear();
  }

  /** Newest first by message ID, below `until`. Message IDs are unique, so no tie to keep together. */
  #idPage(
    list: SortedEntries<string> | undefined,
    until: MessageId | undefined,
    limit: number,
  ): StoredMessagePage<MessageId> {
    if (!list) return { items: [], next: null };
    const end = until ? list.partition((id) => compareMessageIds(id, until) < 0) : list.length;
    const start = Math.max(0, end - limit);
    return this.#page(list.items.slice(start, end).reverse(), start > 0, (m) => m.messageId);
  }

  #page<C extends string>(
    ids: string[],
    more: boolean,
    cursor: (m: StoredMessage) => C,
  ): StoredMessagePage<C> {
    const items = ids.map((id) => copyStoredMessage(this.#messages.get(id)!));
    return { items, next: more && items.length > 0 ? cursor(items.at(-1)!) : null };
  }

  #index(message: StoredMessage): void {
    const key = channelKey(message);
    let lists = this.#channels.get(key);
    if (!lists) {
      lists = { byFirst: new SortedEntries(byEventThenId), byLast: new SortedEntries(byEventThenId) };
      this.#channels.set(key, lists);
    }
    const { messageId } = message;
    lists.byFirst.insert({ at: parseEventId(message.firstEventId), messageId });
    lists.byLast.insert({ at: parseEventId(message.lastEventId), messageId });
    const sender = message.meta.fromUid;
    if (typeof sender === 'string') getOrCreate(this.#bySender, sender, newIdList).insert(messageId);
    for (const [field, value] of indexedFields(message)) {
      const values = getOrCreate(
        this.#byField,
        field,
        () => new Map<StoreFieldValue, SortedEntries<string>>(),
      );
      getOrCreate(values, value, newIdList).insert(messageId);
    }
  }

  #forget(message: StoredMessage): void {
    const { messageId } = message;
    this.#messages.delete(messageId);
    const key = channelKey(message);
    const lists = this.#channels.get(key);
    if (lists) {
      lists.byFirst.remove({ at: parseEventId(message.firstEventId), messageId });
      lists.byLast.remove({ at: parseEventId(message.lastEventId), messageId });
      if (lists.byLast.length === 0) this.#channels.delete(key);
    }
    const sender = message.meta.fromUid;
    if (typeof sender === 'string') removeFrom(this.#bySender, sender, messageId);
    for (const [field, value] of indexedFields(message)) {
      const values = this.#byField.get(field);
      if (!values) continue;
      removeFrom(values, value, messageId);
      if (values.size === 0) this.#byField.delete(field);
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new SpoolError('STORE_UNAVAILABLE', 'This MemoryMessageStore has been closed.');
  }
}

function channelKey(channel: StoreChannel): string {
  return `${channel.channelType}:${channel.channelId}`;
}

function newIdList(): SortedEntries<string> {
  return new SortedEntries(compareMessageIds);
}

function getOrCreate<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

function removeFrom<K>(map: Map<K, SortedEntries<string>>, key: K, messageId: string): void {
  const list = map.get(key);
  if (!list) return;
  list.remove(messageId);
  if (list.length === 0) map.delete(key);
}

/** The custom fields `listByField` can match: those holding a JSON primitive. */
function* indexedFields(message: StoredMessage): Iterable<[string, StoreFieldValue]> {
  const fields = message.meta.customFields;
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return;
  for (const [field, value] of Object.entries(fields)) {
    if (
      value === null ||
      typeof value === 'string' ||
      typeof value === 'number' ||
      typeof value === 'boolean'
    )
      yield [field, value];
  }
}
