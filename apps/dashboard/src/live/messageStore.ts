/**
 * Chat messages assembled from a channel topic's events (ARCHITECTURE "Chat events on a
 * channel topic"): deltas are placed by `chunkId` and the text grows only over a
 * contiguous run, so a gap waits to be filled; a snapshot replaces everything it covers.
 */
import type {
  MsgDeltaData,
  MsgEndData,
  MsgOpenData,
  MsgSnapshotData,
  WireEndReason,
  WireStreamMeta,
} from '@spool/core';
import { createStore, type StoreApi } from 'zustand/vanilla';

export interface AssembledMessage {
  messageId: string;
  topic: string;
  meta: WireStreamMeta | null;
  text: string;
  /** The last chunk ID folded into `text`; -1 before the first. */
  lastChunkId: number;
  /** Chunks that arrived ahead of a gap, by chunk ID. */
  waiting: Record<number, string>;
  /**
   * `interrupted`: it was streaming when its topic was reset and nothing has said since
   * that it goes on or ended (docs/protocol.md, "Interrupted messages"); a later event of
   * the message replaces it.
   */
  status: 'streaming' | 'ended' | 'interrupted';
  reason: WireEndReason | null;
  persisted: boolean | null;
  /** Deltas received live (not counting those covered by a snapshot). */
  deltas: number;
  /** Event ID of the last event applied. */
  lastEventId: string | null;
}

/** Keeps the store bounded while a busy channel is watched. */
export const MESSAGE_STORE_LIMIT = 200;

export interface MessageState {
  messages: Record<string, AssembledMessage>;
  /** Applies one channel event (`msg.open`, `msg.delta`, `msg.end`, `msg.snapshot`); others are ignored. */
  applyEvent(topic: string, event: string, data: unknown, id?: string): void;
  /** The topic was reset: its messages still `streaming` become `interrupted`. */
  interrupt(topic: string): void;
  clear(): void;
}

export type MessageStore = StoreApi<MessageState>;

/**
 * A store of assembled messages, keyed by message ID.
 *
 * @example
 * const messages = createMessageStore();
 * live.subscribe(topic, { after: '0-0', compact: true, onEvent: (ev) => messages.getState().applyEvent(ev.topic, ev.event, ev.data, ev.id) });
 */
export function createMessageStore(): MessageStore {
  return createStore<MessageState>((set, get) => ({
    messages: {},
    applyEvent(topic, event, data, id) {
      const messageId = (data as { messageId?: unknown } | null)?.messageId;
      if (typeof messageId !== 'string') return;
      const all = get().messages;
      const before = all[messageId] ?? emptyMessage(messageId, topic);
      const after = reduce(before, event, data);
      if (after === before) return;
      after.lastEventId = id ?? after.lastEventId;
      const messages = { ...all, [messageId]: after };
      const ids = Object.keys(messages);
      if (ids.length > MESSAGE_STORE_LIMIT) {
        // Evict the oldest ended messages first; object keys keep insertion order.
        const victim = ids.find((k) => messages[k]!.status === 'ended' && k !== messageId) ?? ids[0]!;
        delete messages[victim];
      }
      set({ messages });
    },
    interrupt(topic) {
      const all = get().messages;
      let messages: Record<string, AssembledMessage> | undefined;
      for (const [id, m] of Object.entries(all)) {
        if (m.topic !== topic || m.status !== 'streaming') continue;
        messages ??= { ...all };
        messages[id] = { ...m, status: 'interrupted' };
      }
      if (messages) set({ messages });
    },
    clear() {
      set({ messages: {} });
    },
  }));
}

function emptyMessage(messageId: string, topic: string): AssembledMessage {
  return {
    messageId,
    topic,
    meta: null,
    text: '',
    lastChunkId: -1,
    waiting: {},
    status: 'streaming',
    reason: null,
    persisted: null,
    deltas: 0,
    lastEventId: null,
  };
}

function reduce(previous: AssembledMessage, event: string, data: unknown): AssembledMessage {
  // Any event of an interrupted message shows it goes on; an end or an ended snapshot
  // below sets the final status.
  const msg: AssembledMessage =
    previous.status === 'interrupted' && event.startsWith('msg.')
      ? { ...previous, status: 'streaming' }
      : previous;
  switch (event) {
    case 'msg.open': {
      const d = data as MsgOpenData;
      return { ...msg, meta: d.meta ?? msg.meta };
    }
    case 'msg.delta': {
      const d = data as MsgDeltaData;
      if (!Number.isInteger(d.chunkId) || d.chunkId <= msg.lastChunkId || d.chunkId in msg.waiting)
        return msg;
      const waiting = { ...msg.waiting, [d.chunkId]: deltaText(d) };
      return { ...flush({ ...msg, waiting }), deltas: msg.deltas + 1 };
    }
    case 'msg.snapshot': {
      const d = data as MsgSnapshotData;
      const ended = msg.status === 'ended' || d.status === 'ended';
      const base: AssembledMessage = {
        ...msg,
        meta: d.meta ?? msg.meta,
        status: ended ? 'ended' : 'streaming',
        reason: d.reason ?? msg.reason,
      };
      if (d.lastChunkId < msg.lastChunkId) return base;
      const waiting: Record<number, string> = {};
      for (const [k, v] of Object.entries(msg.waiting)) if (Number(k) > d.lastChunkId) waiting[Number(k)] = v;
      return flush({ ...base, text: d.text, lastChunkId: d.lastChunkId, waiting });
    }
    case 'msg.end': {
      const d = data as MsgEndData;
      // An ended message gets no more chunks: a gap left now is the producer's, so fold
      // what is waiting in order (as @spool/client's ChatAssembler does).
      let { text, lastChunkId } = msg;
      for (const k of Object.keys(msg.waiting)
        .map(Number)
        .sort((a, b) => a - b)) {
        text += msg.waiting[k];
        lastChunkId = k;
      }
      return {
        ...msg,
        text,
        lastChunkId,
        waiting: {},
        status: 'ended',
        reason: d.reason,
        persisted: d.persisted,
      };
    }
    default:
      return previous;
  }
}

/** Folds the contiguous run of waiting chunks into the text. */
function flush(msg: AssembledMessage): AssembledMessage {
  let { text, lastChunkId } = msg;
  const waiting = { ...msg.waiting };
  // The first chunk may carry any ID (producers number from 0 or 1): take the lowest
  // waiting one when nothing is folded yet.
  if (lastChunkId === -1) {
    const first = Math.min(...Object.keys(waiting).map(Number));
    if (Number.isFinite(first)) lastChunkId = first - 1;
  }
  while (waiting[lastChunkId + 1] !== undefined) {
    text += waiting[lastChunkId + 1];
    delete waiting[lastChunkId + 1];
    lastChunkId++;
  }
  return { ...msg, text, lastChunkId, waiting };
}

function deltaText(d: MsgDeltaData): string {
  if (typeof d.text === 'string') return d.text;
  if (typeof d.b64 === 'string') {
    try {
      const bytes = Uint8Array.from(atob(d.b64), (c) => c.charCodeAt(0));
      return new TextDecoder().decode(bytes);
    } catch {
      return '';
    }
  }
  return '';
}
