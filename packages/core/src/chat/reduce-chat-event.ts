import type { MsgDeltaData, MsgEndData, MsgOpenData, MsgSnapshotData } from '../protocol/messages';
import type { AssembledMessage } from './assembled-message';

/** A chunk held behind a gap: its text, or its bytes as base64. */
export type HeldChunk = Pick<MsgDeltaData, 'text' | 'b64'>;

/** What {@link reduceChatEvent} knows of one message: the message, and what it holds back. */
export interface ChatState {
  /** The message as assembled so far. */
  readonly message: AssembledMessage;
  /** Chunks past a gap in the text, by chunkId, waiting for it to fill. */
  readonly held: Readonly<Record<number, HeldChunk>>;
  /**
   * The bytes (one char per byte) of a UTF-8 character that base64 chunks split, waiting
   * for the rest of it in the next chunk.
   */
  readonly carry: string;
}

/**
 * An event of a channel topic (docs/protocol.md, "Chat events on a channel topic"), or
 * `reset`: the topic was reset, and the message may have lost its end ("Interrupted
 * messages"). A `SpoolEvent` is one.
 */
export interface ChatEvent {
  /** The event's type: a `msg.*` event of the message, or `reset`. */
  event: 'msg.open' | 'msg.delta' | 'msg.end' | 'msg.snapshot' | 'reset' | (string & {});
  /** The event's payload (`MsgOpenData`, `MsgDeltaData`, ... of docs/protocol.md). */
  data?: unknown;
}

type ChatData = Partial<MsgOpenData & MsgDeltaData & MsgEndData & MsgSnapshotData>;

/**
 * The state of a message no event has been seen of yet.
 *
 * @example
 * let state = initialChatState('1843563473929170944');
 */
export function initialChatState(messageId: string): ChatState {
  return { message: { messageId, text: '', lastChunkId: -1, status: 'unknown' }, held: {}, carry: '' };
}

/**
 * Applies one event to one message, purely: the same state back when the event changes
 * nothing (a repeat, another kind of event), a new one otherwise. Deltas are placed by
 * chunkId and the text grows only over a contiguous run, so a gap waits to be filled; a
 * snapshot replaces the text it covers; an end (or an ended snapshot) sets the status and
 * folds every chunk held, since none can follow; `reset` makes a streaming message
 * `interrupted`, and any later event of it puts it back. Applying an event twice changes
 * nothing, so a stream that repeats events after a reconnect can feed it.
 *
 * @example
 * let state = initialChatState(id);
 * for (const ev of events) state = reduceChatEvent(state, ev);
 * state.message.text;
 */
export function reduceChatEvent(state: ChatState, ev: ChatEvent): ChatState {
  const m = state.message;
  if (ev.event === 'reset') {
    return m.status === 'streaming' ? { ...state, message: { ...m, status: 'interrupted' } } : state;
  }
  const d = ev.data as ChatData | null | undefined;
  if (!d || !ev.event.startsWith('msg.')) return state;
  const delta = ev.event === 'msg.delta';
  let { held, carry } = state;
  // A delta neither the text nor the held chunks have yet.
  const fresh = delta && d.chunkId! > m.lastChunkId && !held[d.chunkId!];
  // A delta the text or the held chunks have already: nothing changes.
  if (delta && !fresh && m.status === 'streaming') return state;
  const s: AssembledMessage = { ...m };
  // Any event shows the message goes on; an end or an ended snapshot below ends it.
  if (s.status === 'unknown' || s.status === 'interrupted') s.status = 'streaming';
  if (d.meta) s.meta = d.meta;
  if (fresh) held = { ...held, [d.chunkId!]: d };
  if (ev.event === 'msg.snapshot' && d.lastChunkId! > s.lastChunkId) {
    // It covers chunks 0..lastChunkId; chunks held beyond it are newer, and stay.
    s.text = d.text!;
    s.lastChunkId = d.lastChunkId!;
    carry = '';
  }
  const reason = d.reason ?? (d.status === 'ended' ? 'success' : undefined);
  const ended = ev.event === 'msg.end' || reason;
  if (ended) {
    s.status = reason === 'error' ? 'error' : 'ended';
    s.reason = reason;
  }
  // Held chunks in order: those the text covers are dropped, the next one is appended, and
  // so is every one past a gap once the message ended (a gap left then is the producer's).
  const rest: Record<number, HeldChunk> = {};
  // Integer keys enumerate in ascending order, so this walks the chunks by chunkId.
  for (const key in held) {
    const k = +key;
    const c = held[k]!;
    if (k > s.lastChunkId + 1 && !ended) rest[k] = c;
    else if (k > s.lastChunkId) {
      if (c.text !== undefined) s.text += c.text;
      else {
        // Base64 carries bytes: a character split across chunks waits for its end in `carry`.
        const bytes = carry + atob(c.b64 ?? '');
        const text = new TextDecoder().decode(
          Uint8Array.from(bytes, (ch) => ch.charCodeAt(0)),
          { stream: true },
        );
        carry = bytes.slice(new TextEncoder().encode(text).length);
        s.text += text;
      }
      s.lastChunkId = k;
    }
  }
  return { message: s, held: rest, carry };
}
