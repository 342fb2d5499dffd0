import type { WireEndReason, WireOpenMeta } from '../protocol/messages';
import type { ChatPrincipal } from './chat-principal';

/** A chunk's payload on the wire: text, or binary as base64. */
export type WireChunk =
  | {
      /** The chunk's text. */
      text: string;
    }
  | {
      /** The chunk's bytes, base64-encoded (standard alphabet, padded). */
      b64: string;
    };

/**
 * The producer operations behind `msg.open`, `msg.append`, `msg.end` and `msg.cancel`
 * (WebSocket) and the message routes (HTTP): the life of one chat message. Each checks
 * that `principal` may `produce` on the message's channel topic.
 */
export interface ProducerOps {
  /** Opens a message; returns its ID (assigned when `meta.messageId` is absent) and the `msg.open` event ID. */
  open(
    meta: WireOpenMeta,
    principal: ChatPrincipal,
  ): Promise<{
    /** The message's ID (decimal string). */
    messageId: string;
    /** Event ID of its `msg.open` on the channel topic. */
    id: string;
  }>;
  /** Appends a chunk; returns the `msg.delta` event ID. */
  append(messageId: string, chunkId: number, chunk: WireChunk, principal: ChatPrincipal): Promise<string>;
  /** Ends a message (`cancelled` for `msg.cancel`); `msg.end` follows once persistence was tried. */
  end(messageId: string, reason: WireEndReason, principal: ChatPrincipal): Promise<void>;
}
