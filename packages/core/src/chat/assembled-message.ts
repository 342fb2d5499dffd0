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
  messageId: string;
  /** The text of every chunk up to the first missing one, in chunkId order. */
  text: string;
  /** The last chunk folded into `text`; -1 before the first. */
  lastChunkId: number;
  status: MessageStatus;
  reason?: WireEndReason;
  meta?: WireStreamMeta;
}
