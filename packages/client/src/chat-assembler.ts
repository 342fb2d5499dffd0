import type {
  MsgDeltaData,
  MsgEndData,
  MsgOpenData,
  MsgSnapshotData,
  WireEndReason,
  WireStreamMeta,
} from '@spool/core';
import { type ExternalStore, RESET_EVENT, type SpoolEvent, type SpoolEventSource } from './spool-event';

/**
 * `unknown` until the first event (or the server's answer) about the message; `error`
 * when it ended with reason `error`. `interrupted`: it was streaming when its topic was
 * reset, and nothing has said since that it goes on or ended (a server killed mid-reply).
 * Not final: a later event of the message replaces it.
 */
export type MessageStatus = 'unknown' | 'streaming' | 'ended' | 'error' | 'interrupted';

/** A chat message as assembled so far; a new object after every change. */
export interface AssembledMessage {
  messageId: string;
  /** The text of every chunk up to the first missing one, in chunkId order. */
  text: string;
  status: MessageStatus;
  reason?: WireEndReason;
  meta?: WireStreamMeta;
}

/** A channel's messages in the order first seen, as a store (`useSyncExternalStore`-ready). */
export interface ChannelStore extends ExternalStore<AssembledMessage[]> {
  readonly topic: string;
  /** One message of the channel, as a store. */
  message(messageId: string): ExternalStore<AssembledMessage>;
}

interface Entry {
  snap: AssembledMessage;
  topic: string;
  /** The next chunkId the text needs. */
  next: number;
  parts: Map<number, MsgDeltaData>;
  listeners: Set<() => void>;
  decoder?: TextDecoder;
}

type ChatData = Partial<MsgOpenData & MsgDeltaData & MsgEndData & MsgSnapshotData>;

/**
 * Assembles chat messages from a channel topic's `msg.*` events: deltas are ordered by
 * chunkId (a gap waits to be filled), snapshots replace the text they cover, and `msg.end`
 * sets the status. Applying an event twice changes nothing, so it can be fed from a
 * stream that repeats events after a reconnect.
 *
 * @example
 * const chat = new ChatAssembler();
 * sub.listen((ev) => chat.apply(ev));
 * chat.message('1843563473929170944').getSnapshot().text;
 */
export class ChatAssembler {
  #entries = new Map<string, Entry>();
  #topics = new Map<string, { listeners: Set<() => void>; list?: AssembledMessage[] }>();

  constructor(readonly maxMessages = 1000) {}

  /**
   * Applies one event; events that are not `msg.*` with a `messageId` are ignored. A
   * {@link RESET_EVENT} item marks the topic's streaming messages {@link interrupt}ed.
   */
  apply(ev: SpoolEvent): void {
    if (ev.event === RESET_EVENT) {
      this.interrupt(ev.topic);
      return;
    }
    const d = ev.data as ChatData | null;
    const id = d?.messageId;
    if (typeof id !== 'string' || !ev.event.startsWith('msg.')) return;
    const e = this.#entry(id, ev.topic);
    const s = { ...e.snap };
    if (s.status === 'unknown') s.status = 'streaming';
    if (d!.meta) s.meta = d!.meta;
    // Any event of an interrupted message shows it goes on; an end or an ended snapshot
    // below sets the final status.
    if (s.status === 'interrupted') s.status = 'streaming';
    if (ev.event === 'msg.delta' && d!.chunkId! >= e.next) e.parts.set(d!.chunkId!, d as MsgDeltaData);
    if (ev.event === 'msg.snapshot' && d!.lastChunkId! >= e.next) {
      // The snapshot covers chunks 0..lastChunkId; text we assembled beyond it is newer.
      s.text = d!.text!;
      e.next = d!.lastChunkId! + 1;
    }
    const reason = d!.reason ?? (d!.status === 'ended' ? 'success' : undefined);
    const ended = ev.event === 'msg.end' || reason;
    if (ended) {
      s.status = reason === 'error' ? 'error' : 'ended';
      s.reason = reason;
    }
    // Chunks in order: those a snapshot covered are dropped, the next one is appended, and
    // so is every one after a gap once the message ended (it gets no more chunks: a gap
    // left now is the producer's, not ours).
    for (const k of [...e.parts.keys()].sort((a, b) => a - b)) {
      if (k > e.next && !ended) break;
      if (k >= e.next) {
        s.text += this.#decode(e, e.parts.get(k)!);
        e.next = k + 1;
      }
      e.parts.delete(k);
    }
    e.snap = s;
    for (const l of e.listeners) l();
    this.#changed(e.topic);
  }

  /**
   * The topic was reset (docs/protocol.md, "Interrupted messages"): every message of it
   * still `streaming` becomes `interrupted` until a later event of it arrives. After a
   * reset the server snapshots (or replays) every message it still has, so once that
   * catchup is over, exactly the messages it neither continued nor ended stay interrupted.
   */
  interrupt(topic: string): void {
    let changed = false;
    for (const e of this.#entries.values()) {
      if (e.topic !== topic || e.snap.status !== 'streaming') continue;
      e.snap = { ...e.snap, status: 'interrupted' };
      changed = true;
      for (const l of e.listeners) l();
    }
    if (changed) this.#changed(topic);
  }

  #decode(e: Entry, p: MsgDeltaData): string {
    if (p.text !== undefined) return p.text;
    // Binary payloads travel as base64; multibyte characters may span chunks, hence stream.
    e.decoder ??= new TextDecoder();
    return e.decoder.decode(
      Uint8Array.from(atob(p.b64 ?? ''), (c) => c.charCodeAt(0)),
      { stream: true },
    );
  }

  #entry(messageId: string, topic: string): Entry {
    let e = this.#entries.get(messageId);
    if (!e) {
      e = {
        snap: { messageId, text: '', status: 'unknown' },
        topic,
        next: 0,
        parts: new Map(),
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
      getSnapshot: () => this.#entry(messageId, '').snap,
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
        t.list ??= [...this.#entries.values()].filter((e) => e.topic === topic).map((e) => e.snap);
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
