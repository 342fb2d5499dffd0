/**
 * Wire protocol v1: the messages of ARCHITECTURE's "Wire protocol v1", as TypeScript
 * types. Every frame is one JSON object with an `op`. The codec (validation, size
 * limits, typed errors) lives in `codec.ts`; docs/protocol.md has one example per message.
 */
import type { EventId } from './event-id';
import type { MessageId } from './message-id';

/** The WebSocket subprotocol that names this version. */
export const PROTOCOL_V1 = 'spool.v1';

/** Why a message ended; these lowercase strings are also the wire values. */
export type WireEndReason = 'success' | 'timeout' | 'error' | 'cancelled' | 'force';

/** A message's metadata as it travels on the wire (messageId as a decimal string). */
export interface WireStreamMeta {
  messageId: MessageId;
  channelId: string;
  channelType: number;
  fromUid?: string;
  clientMsgNo?: string;
  /** Milliseconds since the epoch. */
  timestamp?: number;
  createdAt?: number;
  updatedAt?: number;
  closed?: boolean;
  endReason?: WireEndReason;
  customFields?: Record<string, unknown>;
}

/** What a producer sends with `msg.open`; the server assigns `messageId` when absent. */
export type WireOpenMeta = Omit<
  WireStreamMeta,
  'messageId' | 'createdAt' | 'updatedAt' | 'closed' | 'endReason'
> & {
  messageId?: MessageId;
};

// ---- client → server ----
export interface SubMessage {
  op: 'sub';
  topic: string;
  /** Resume after this ID; absent = start live; `"0-0"` = everything retained. */
  after?: EventId;
  /** Catch up with one `msg.snapshot` per message instead of every delta. */
  compact?: boolean;
  /** Initial credit in events (default 1024). */
  credit?: number;
}
export interface UnsubMessage {
  op: 'unsub';
  topic: string;
}
export interface PubMessage {
  op: 'pub';
  ref: number;
  topic: string;
  event?: string;
  data: unknown;
  /** Idempotency key: a retried publish with the same key (per principal) is applied once. */
  key?: string;
}
export interface CreditMessage {
  op: 'credit';
  topic: string;
  n: number;
}
export interface PingMessage {
  op: 'ping';
  ref: number;
}
export interface MsgOpenMessage {
  op: 'msg.open';
  ref: number;
  meta: WireOpenMeta;
}
export interface MsgAppendMessage {
  op: 'msg.append';
  ref: number;
  messageId: MessageId;
  chunkId: number;
  /** Exactly one of `text` and `b64` (binary payload, base64). */
  text?: string;
  b64?: string;
}
export interface MsgEndMessage {
  op: 'msg.end';
  ref: number;
  messageId: MessageId;
  reason?: WireEndReason;
}
export interface MsgCancelMessage {
  op: 'msg.cancel';
  ref: number;
  messageId: MessageId;
}
export type ClientMessage =
  | SubMessage
  | UnsubMessage
  | PubMessage
  | CreditMessage
  | PingMessage
  | MsgOpenMessage
  | MsgAppendMessage
  | MsgEndMessage
  | MsgCancelMessage;

// ---- server → client ----
export interface EvMessage {
  op: 'ev';
  topic: string;
  id: EventId;
  event: string;
  data: unknown;
}
export interface SubOkMessage {
  op: 'subok';
  topic: string;
  /** The first ID that will follow (for a live start, the next ID to be assigned). */
  from: EventId;
}
export interface ResetMessage {
  op: 'reset';
  topic: string;
  /** The earliest ID still available; the missed range before it is gone. */
  earliest: EventId;
}
export interface LagMessage {
  op: 'lag';
  topic: string;
}
export interface AckMessage {
  op: 'ack';
  ref: number;
  /** The event ID the operation produced, when it produced one. */
  id?: EventId;
  /** For `msg.open`: the message ID (assigned by the server when the producer gave none). */
  messageId?: MessageId;
}
export interface ErrMessage {
  op: 'err';
  /** The `ref` of the failed request; absent for errors not tied to one (a bad frame). */
  ref?: number;
  /** The topic, for subscription errors. */
  topic?: string;
  code: string;
  message: string;
  /** Set when the server refused for rate (`RATE_LIMITED`): send the request again after this many ms. */
  retryAfterMs?: number;
}
export interface PongMessage {
  op: 'pong';
  ref: number;
}
export interface HbMessage {
  op: 'hb';
}
export type ServerMessage =
  | EvMessage
  | SubOkMessage
  | ResetMessage
  | LagMessage
  | AckMessage
  | ErrMessage
  | PongMessage
  | HbMessage;

// ---- chat events on a channel topic (`chan:<channelType>:<channelId>`) ----
export const ChatEvent = {
  Open: 'msg.open',
  Delta: 'msg.delta',
  End: 'msg.end',
  Snapshot: 'msg.snapshot',
} as const;

export interface MsgOpenData {
  messageId: MessageId;
  meta: WireStreamMeta;
}
export interface MsgDeltaData {
  messageId: MessageId;
  chunkId: number;
  text?: string;
  b64?: string;
}
export interface MsgEndData {
  messageId: MessageId;
  reason: WireEndReason;
  persisted: boolean;
}
export interface MsgSnapshotData {
  messageId: MessageId;
  meta: WireStreamMeta;
  text: string;
  lastChunkId: number;
  status: 'streaming' | 'ended';
  reason?: WireEndReason;
}

/**
 * One message of a channel's history (`GET /v1/channels/:type/:id/messages`,
 * docs/http-api.md "Channel history"): the `msg.snapshot` data that stands for it, plus
 * the event IDs that place it in the channel and whether the store holds it.
 */
export interface ChannelHistoryItem extends MsgSnapshotData {
  /** The ID of its `msg.open` event: the history's order and cursor. */
  firstEventId: EventId;
  /** The ID of its last event so far. */
  lastEventId: EventId;
  /**
   * True when the store holds it; false while it streams, and for a finished message
   * whose save failed (a dead letter, waiting for a replay).
   */
  persisted: boolean;
}

/** A page of channel history, newest first; pass `next` as `before` for older messages (null: no more). */
export interface ChannelHistoryPage {
  items: ChannelHistoryItem[];
  next: EventId | null;
}

/** The topic of a channel: `chan:<channelType>:<channelId>`. */
export function channelTopic(channelType: number, channelId: string): string {
  return `chan:${channelType}:${channelId}`;
}

/** Parses a channel topic name; undefined when `topic` is not one. */
export function parseChannelTopic(topic: string): { channelType: number; channelId: string } | undefined {
  const m = /^chan:(\d{1,3}):(.+)$/.exec(topic);
  if (!m) return undefined;
  return { channelType: Number(m[1]), channelId: m[2]! };
}

/** The operators' stats topic; subscribing needs the admin role. */
export const SYS_TOPIC = '$sys';
