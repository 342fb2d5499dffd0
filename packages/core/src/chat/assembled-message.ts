import type { WireEndReason, WireStreamMeta } from '../protocol/messages';

/**
 * `unknown` until the first event (or the server's answer) about the message; `error`
 * when it ended with reason `error`. `interrupted`: it was streaming when its topic was
 * reset, and nothing has said since that it goes on or ended (a server killed mid-reply;
 * docs/protocol.md, "Interrupted messages"). Not final: a later event of the message
 * replaces it.
 */
export type MessageStatus = 'unknown' | 'streaming' | 'ended' | 'error' | 'interrupted';

/** A chat message as assembled so far; a new object after every change. */
export interface AssembledMessage {
  /** The message's ID (decimal string). */
  messageId: string;
  /** The text of every chunk up to the first missing one, in chunkId order. */
  text: string;
  /** The last chunk folded into `text`; -1 before the first. */
  lastChunkId: number;
  /** Where the message stands: streaming, ended, interrupted, ... */
  status: MessageStatus;
  /** Why the message ended, once a `msg.end` (or a snapshot of an ended message) said so. */
  reason?: WireEndReason;
  /** The message's metadata, from the last event that carried it (`msg.open`, or a snapshot). */
  meta?: WireStreamMeta;
}
