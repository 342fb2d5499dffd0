import type { OpenMessageSnapshot } from '../log/channel-catchup';
import type { WireEndReason, WireStreamMeta } from '../protocol/messages';
import type { ChatPrincipal } from './chat-principal';
import type { WireChunk } from './producer-ops';

/** A chunk as the shared owner record keeps it. */
export interface RecordedChunk {
  /** The chunk's ID within its message. */
  chunkId: number;
  /** Its text, or its bytes for a binary chunk. */
  payload: string | Uint8Array;
}

/** What {@link MessageCluster.claim} found: a new message, or one whose producer moved here. */
export type ClaimResult =
  | {
      /** No record existed: this process now owns the message, and opens it. */
      kind: 'new';
    }
  | {
      /** This process holds the record already (a concurrent open of the same ID). */
      kind: 'here';
    }
  | {
      /** The message was open on another instance: its record now names this process, which continues it. */
      kind: 'moved';
      /** Event ID of the message's `msg.open` on the topic: it is not sent again. */
      firstEventId: string;
      /** The message's metadata as the previous owner last recorded it. */
      meta: WireStreamMeta;
      /** The chunks recorded so far, in chunk order: the message continues after the last. */
      chunks: RecordedChunk[];
    };

/** An open message as the shared record describes it, the same on every instance. */
export interface OpenMessageRecord {
  /** The message's ID (decimal string). */
  messageId: string;
  /** The channel topic its events go to. */
  topic: string;
  /** Its metadata as the owner last recorded it. */
  meta: WireStreamMeta;
  /** Chunks recorded so far. */
  chunks: number;
  /** The highest chunk ID recorded (-1 for none). */
  lastChunkId: number;
  /** Payload bytes recorded so far. */
  bytes: number;
  /** When it was opened (ms since the epoch). */
  createdAt: number;
  /** When its record last changed (ms since the epoch). */
  updatedAt: number;
  /** Event ID of its `msg.open` ('' until it is on the topic). */
  firstEventId: string;
  /** Only from {@link MessageDirectory.read}: the text of the chunks so far, in chunk order. */
  text?: string;
}

/** A metadata update (`PATCH /v1/messages/:id`): `null` removes a custom field. */
export interface MetaPatch {
  /** The sender's user ID. */
  fromUid?: string;
  /** The client's own message number. */
  clientMsgNo?: string;
  /** Custom fields to set, or to remove (`null`). */
  customFields?: Record<string, unknown>;
}

/**
 * The cluster side of the chat pipeline (docs/architecture.md, "Messages across
 * instances"): the owner records in Redis that fence every write, and the forwarding of
 * writes to the owner. `ChatProducer` calls it when it is set, and never otherwise, so
 * memory mode is unchanged. Implemented by the server's `ClusterMessages`.
 */
export interface MessageCluster {
  /**
   * Creates the owner record of a message opening here, or moves an open one here (same
   * principal, same channel). @throws `MESSAGE_ENDED`, `STREAM_EXISTS`
   */
  claim(
    messageId: string,
    topic: string,
    meta: WireStreamMeta,
    principal: ChatPrincipal,
  ): Promise<ClaimResult>;
  /** The `msg.open` event is on the topic; `meta` is the cache's, which replaces the claim's draft. */
  opened(messageId: string, firstEventId: string, meta: WireStreamMeta): Promise<void>;
  /** The open failed after the claim: the record goes. */
  abandon(messageId: string): Promise<void>;
  /**
   * A moved message could not be taken in here (the cache refused it): it ends as a takeover
   * ends it (reason `error`, the recorded text saved, `msg.end`, one completion record), so
   * no reader waits on it.
   */
  orphaned(messageId: string): Promise<void>;
  /**
   * Records a chunk, fenced, with where this owner's earlier deltas landed (`placed`: chunks
   * 0..chunkId all on the topic, the last at eventId). @throws `FENCED`, `DUPLICATE_CHUNK`, `STREAM_NOT_FOUND`
   */
  append(
    messageId: string,
    chunkId: number,
    payload: string | Uint8Array,
    placed?: {
      /** The highest chunk ID whose delta is on the topic (chunks 0 to it all are). */
      chunkId: number;
      /** Event ID of that chunk's `msg.delta`. */
      eventId: string;
    },
  ): Promise<void>;
  /**
   * Where a delta just landed (chunks 0..chunkId all on the topic, the last at eventId). It
   * rides on the next chunk's {@link append}; when no chunk follows soon (a reply paused, or
   * its last chunk), the cluster records it on its own, so that snapshots elsewhere catch up.
   */
  placed?(
    messageId: string,
    placed: {
      /** The highest chunk ID whose delta is on the topic (chunks 0 to it all are). */
      chunkId: number;
      /** Event ID of that chunk's `msg.delta`. */
      eventId: string;
    },
  ): void;
  /**
   * Snapshots of the channel topic's messages open on any instance, from the shared records
   * (those `skip` names excepted): compact catchup of a message produced elsewhere.
   */
  openSnapshots(topic: string, skip: (messageId: string) => boolean): Promise<OpenMessageSnapshot[]>;
  /** Records a metadata update, fenced. @throws `FENCED` */
  updateMeta(messageId: string, meta: WireStreamMeta): Promise<void>;
  /** Before the save: still the owner? @throws `FENCED` */
  completing(messageId: string): Promise<void>;
  /** After the save, before `msg.end`: the record ends (the ID joins the ended window). @throws `FENCED` */
  finished(messageId: string, reason: WireEndReason): Promise<void>;
  /** A chunk for a message open on another instance: the owner's answer. */
  forwardAppend(
    messageId: string,
    chunkId: number,
    chunk: WireChunk,
    principal: ChatPrincipal,
  ): Promise<string>;
  /** An end (or cancel) for a message open on another instance. */
  forwardEnd(messageId: string, reason: WireEndReason, principal: ChatPrincipal): Promise<void>;
}

/**
 * What the message routes read and do through the cluster (docs/architecture.md, "Messages
 * across instances"): the shared records answer the same on every instance, and a metadata
 * update or a channel end reaches each message's owner.
 */
export interface MessageDirectory {
  /** An open message with its text so far, or undefined (never opened, or ended: ask the store). */
  read(messageId: string): Promise<OpenMessageRecord | undefined>;
  /** Every open message, on any instance (without text). */
  listOpen(): Promise<OpenMessageRecord[]>;
  /** Updates an open message's metadata on its owner; returns the new meta. */
  patch(messageId: string, patch: MetaPatch, principal: ChatPrincipal): Promise<WireStreamMeta>;
  /** Ends every open message of a channel, wherever it is owned; returns their IDs. */
  endChannel(
    channelId: string,
    channelType: number,
    reason: WireEndReason,
    principal: ChatPrincipal,
  ): Promise<string[]>;
}
