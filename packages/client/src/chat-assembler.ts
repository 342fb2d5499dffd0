import { type AssembledMessage, type ChatState, initialChatState, reduceChatEvent } from '@spool/core/chat';
import { type ExternalStore, RESET_EVENT, type SpoolEvent, type SpoolEventSource } from './spool-event';

export type { AssembledMessage, MessageStatus } from '@spool/core/chat';

/** A channel's messages in the order first seen, as a store (`useSyncExternalStore`-ready). */
export interface ChannelStore extends ExternalStore<AssembledMessage[]> {
  /** The channel topic whose messages the store holds. */
  readonly topic: string;
  /** One message of the channel, as a store. */
  message(messageId: string): ExternalStore<AssembledMessage>;
}

interface Entry {
  state: ChatState;
  topic: string;
  listeners: Set<() => void>;
}

/**
 * Assembles chat messages from a channel topic's `msg.*` events with core's
 * `reduceChatEvent` (docs/protocol.md, "Chat events on a channel topic"): deltas are
 * ordered by chunkId (a gap waits to be filled), snapshots replace the text they cover,
 * and `msg.end` sets the status. Applying an event twice changes nothing, so it can be
 * fed from a stream that repeats events after a reconnect.
 *
 * @example
 * const chat = new ChatAssembler();
 * sub.listen((ev) => chat.apply(ev));
 * chat.message('1843563473929170944').getSnapshot().text;
 */
export class ChatAssembler {
  #entries = new Map<string, Entry>();
  #topics = new Map<string, { listeners: Set<() => void>; list?: AssembledMessage[] }>();

  // `declare`: set in the constructor, so no class field is emitted for it (size budget, docs/architecture.md).
  /** Messages kept at most; past it, the oldest one nobody watches is dropped. */
  declare readonly maxMessages: number;

  constructor(maxMessages = 1000) {
    this.maxMessages = maxMessages;
  }

  /**
   * Applies one event; events that are not `msg.*` with a `messageId` are ignored. A
   * {@link RESET_EVENT} item marks the topic's streaming messages {@link interrupt}ed.
   */
  apply(ev: SpoolEvent): void {
    if (ev.event === RESET_EVENT) {
      this.interrupt(ev.topic);
      return;
    }
    const id = (ev.data as { messageId?: unknown } | null)?.messageId;
    if (typeof id !== 'string' || !ev.event.startsWith('msg.')) return;
    const e = this.#entry(id, ev.topic);
    if (this.#reduce(e, ev)) this.#changed(e.topic);
  }

  /**
   * The topic was reset (docs/protocol.md, "Interrupted messages"): every message of it
   * still `streaming` becomes `interrupted` until a later event of it arrives. After a
   * reset the server snapshots (or replays) every message it still has, so once that
   * catchup is over, exactly the messages it neither continued nor ended stay interrupted.
   */
  interrupt(topic: string): void {
    let changed = false;
    for (const e of this.#entries.values())
      if (e.topic === topic && this.#reduce(e, { event: 'reset' })) changed = true;
    if (changed) this.#changed(topic);
  }

  /** Applies one event to a message with the shared reducer; tells its listeners, and says, if it changed. */
  #reduce(e: Entry, ev: { event: string; data?: unknown }): boolean {
    const next = reduceChatEvent(e.state, ev);
    if (next === e.state) return false;
    e.state = next;
    for (const l of e.listeners) l();
    return true;
  }

  #entry(messageId: string, topic: string): Entry {
    let e = this.#entries.get(messageId);
    if (!e) {
      e = {
        state: initialChatState(messageId),
        topic,
        listeners: new Set(),
      };
      this.#entries.set(messageId, e);
      if (this.#entries.size > this.maxMessages) {
        for (const [id, old] of this.#entries) {
          if (!old.listeners.size && old !== e) {
            this.#entries.delete(id);
            this.#changed(old.topic);
            break;
          }
        }
      }
    }
    if (!e.topic) e.topic = topic;
    return e;
  }

  #changed(topic: string): void {
    const t = this.#topics.get(topic);
    if (!t) return;
    t.list = undefined;
    for (const l of t.listeners) l();
  }

  /**
   * One message as a store. A message not seen yet reads as empty, with status
   * `unknown`, until its first event arrives.
   */
  message(messageId: string): ExternalStore<AssembledMessage> {
    return {
      subscribe: (listener) => {
        const e = this.#entry(messageId, '');
        e.listeners.add(listener);
        return () => e.listeners.delete(listener);
      },
      getSnapshot: () => this.#entry(messageId, '').state.message,
    };
  }

  /** The messages of one topic, as a store. */
  channel(topic: string): ChannelStore {
    const t = this.#topics.get(topic) ?? { listeners: new Set<() => void>() };
    this.#topics.set(topic, t);
    return {
      topic,
      message: (id) => this.message(id),
      subscribe: (listener) => {
        t.listeners.add(listener);
        return () => t.listeners.delete(listener);
      },
      getSnapshot: () => {
        t.list ??= [...this.#entries.values()].filter((e) => e.topic === topic).map((e) => e.state.message);
        return t.list;
      },
    };
  }
}

/**
 * Assembles the chat messages of one subscription (WebSocket or SSE) into a
 * {@link ChannelStore}. Subscribe with `compact: true` to catch up through snapshots.
 *
 * @example
 * const channel = assembleChannel(client.subscribe('chan:1:general', { after: '0-0', compact: true }));
 * channel.subscribe(() => render(channel.getSnapshot()));
 */
export function assembleChannel(source: SpoolEventSource, maxMessages?: number): ChannelStore {
  const chat = new ChatAssembler(maxMessages);
  source.listen((ev) => chat.apply(ev));
  return chat.channel(source.topic);
}
