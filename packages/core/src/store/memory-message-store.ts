import { SpoolError } from '../errors';
import { compareParsedEventIds, type EventId, type ParsedEventId, parseEventId } from '../protocol/event-id';
import { toMessageId } from '../protocol/message-id';
import { type Clock, realClock } from '../time/clock';
import {
  type ListAfterOptions,
  listAfterDefaults,
  MAX_LIST_AFTER_LIMIT,
  type MessageStore,
  type StoreChannel,
  type StoredMessage,
  type StoredMessageInput,
} from './message-store';
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

interface ChannelEntry {
  last: ParsedEventId;
  messageId: string;
}

/**
 * A {@link MessageStore} in memory, for tests and the embedded single-process server.
 * Each channel keeps its messages sorted by `lastEventId`, so `listAfter` is a binary
 * search plus the page.
 *
 * @example
 * const store = new MemoryMessageStore({ maxMessages: 10_000 });
 * await store.save(finishedMessage);
 * const page = await store.listAfter({ channelId: 'general', channelType: 1 }, lastEventId, { limit: 50 });
 */
export class MemoryMessageStore implements MessageStore {
  readonly #maxMessages: number;
  readonly #clock: Clock;
  /** In save order (Map keeps insertion order), which is also the eviction order. */
  readonly #messages = new Map<string, StoredMessage>();
  readonly #channels = new Map<string, ChannelEntry[]>();
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

  async save(input: StoredMessageInput): Promise<StoredMessage> {
    this.#assertOpen();
    const message = toStoredMessage(input, this.#clock.now());
    const previous = this.#messages.get(message.messageId);
    if (previous) this.#forget(previous);
    this.#messages.set(message.messageId, message);
    const list = this.#channelList(message, true)!;
    const last = parseEventId(message.lastEventId);
    list.splice(upperBound(list, last, message.messageId), 0, { last, messageId: message.messageId });
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
    const from = parseEventId(after);
    const limit = options.limit ?? listAfterDefaults.limit;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIST_AFTER_LIMIT)
      throw new SpoolError(
        'INVALID_OPTION',
        `\`limit\` must be an integer from 1 to ${MAX_LIST_AFTER_LIMIT}, got ${String(limit)}.`,
      );
    const list = this.#channelList(channel, false);
    if (!list) return [];
    const out: StoredMessage[] = [];
    for (let i = firstAfter(list, from); i < list.length && out.length < limit; i++) {
      out.push(copyStoredMessage(this.#messages.get(list[i]!.messageId)!));
    }
    return out;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#messages.clear();
    this.#channels.clear();
  }

  #forget(message: StoredMessage): void {
    this.#messages.delete(message.messageId);
    const list = this.#channelList(message, false);
    if (!list) return;
    const at = list.findIndex((e) => e.messageId === message.messageId);
    if (at >= 0) list.splice(at, 1);
    if (list.length === 0) this.#channels.delete(channelKey(message));
  }

  #channelList(channel: StoreChannel, create: boolean): ChannelEntry[] | undefined {
    const key = channelKey(channel);
    let list = this.#channels.get(key);
    if (!list && create) {
      list = [];
      this.#channels.set(key, list);
    }
    return list;
  }

  #assertOpen(): void {
    if (this.#closed) throw new SpoolError('STORE_UNAVAILABLE', 'This MemoryMessageStore has been closed.');
  }
}

function channelKey(channel: StoreChannel): string {
  return `${channel.channelType}:${channel.channelId}`;
}

/** Index of the first entry whose ID is greater than `id`. */
function firstAfter(list: ChannelEntry[], id: ParsedEventId): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareParsedEventIds(list[mid]!.last, id) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Insertion point that keeps the list sorted by (lastEventId, messageId). */
function upperBound(list: ChannelEntry[], id: ParsedEventId, messageId: string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const e = list[mid]!;
    const c = compareParsedEventIds(e.last, id) || compareMessageIds(e.messageId, messageId);
    if (c <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function compareMessageIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
