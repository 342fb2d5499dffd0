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
  /** The message ID: a positive 64-bit integer as a decimal string. */
  messageId: MessageId;
  /**
   * The channel the message belongs to (a non-empty string); its topic is `chan:<channelType>:<channelId>`.
   */
  channelId: string;
  /** The channel's type: an integer from 0 to 255. */
  channelType: number;
  /** The sender; on `msg.open` it defaults to the principal's id (docs/protocol.md, "msg.open"). */
  fromUid?: string;
  /** The producer's own message number, for its dedupe. */
  clientMsgNo?: string;
  /** Milliseconds since the epoch. */
  timestamp?: number;
  /** When the server opened the message (ms since the epoch); set by the server. */
  createdAt?: number;
  /** The message's last change (ms since the epoch); set by the server. */
  updatedAt?: number;
  /** True once the message has ended (in the `meta` of a snapshot of an ended message). */
  closed?: boolean;
  /** Why the message ended; set together with `closed`. */
  endReason?: WireEndReason;
  /** Free-form extra metadata: a JSON object. */
  customFields?: Record<string, unknown>;
}

/** What a producer sends with `msg.open`; the server assigns `messageId` when absent. */
export type WireOpenMeta = Omit<
  WireStreamMeta,
  'messageId' | 'createdAt' | 'updatedAt' | 'closed' | 'endReason'
> & {
  /** The message's ID; when absent, the server assigns one. */
  messageId?: MessageId;
};

// ---- client → server ----
/**
 * `sub`: subscribe to a topic, from `after` or live (docs/protocol.md, "sub"). Answered by `subok`, or `err`
 * with `topic`.
 */
export interface SubMessage {
  /** The operation. */
  op: 'sub';
  /** The topic to subscribe to. */
  topic: string;
  /** Resume after this ID; absent = start live; `"0-0"` = everything retained. */
  after?: EventId;
  /** Catch up with one `msg.snapshot` per message instead of every delta. */
  compact?: boolean;
  /** Initial credit in events (default 1024). */
  credit?: number;
}
/** `unsub`: leave a topic. Answered by nothing, or `err` `NOT_SUBSCRIBED`. */
export interface UnsubMessage {
  /** The operation. */
  op: 'unsub';
  /** The topic to leave. */
  topic: string;
}
/** `pub`: publish an event (docs/protocol.md, "pub"). Answered by `ack` with `id`, or `err`. */
export interface PubMessage {
  /** The operation. */
  op: 'pub';
  /** The request's ref, echoed by its answer. */
  ref: number;
  /** The topic to publish to. */
  topic: string;
  /** The event name: at most 256 characters, no CR or LF, not starting with a space. @default 'message' */
  event?: string;
  /** The event's payload: any JSON value, `null` included; it must be present. */
  data: unknown;
  /** Idempotency key: a retried publish with the same key (per principal) is applied once. */
  key?: string;
}
/**
 * `credit`: grant a subscription `n` more events (docs/protocol.md, "Rules"). Answered by nothing, or `err`
 * `NOT_SUBSCRIBED`.
 */
export interface CreditMessage {
  /** The operation. */
  op: 'credit';
  /** The subscribed topic. */
  topic: string;
  /** Events of credit added: an integer ≥ 1. */
  n: number;
}
/** `ping`: a round trip, answered by `pong`. */
export interface PingMessage {
  /** The operation. */
  op: 'ping';
  /** The request's ref, echoed by the `pong`. */
  ref: number;
}
/**
 * `msg.open`: start streaming a message (docs/protocol.md, "msg.open"). Answered by `ack` with `id` and
 * `messageId`, or `err`.
 */
export interface MsgOpenMessage {
  /** The operation. */
  op: 'msg.open';
  /** The request's ref, echoed by its answer. */
  ref: number;
  /**
   * The message's metadata: `channelId` and `channelType` required; the server assigns `messageId` when
   * absent.
   */
  meta: WireOpenMeta;
}
/**
 * `msg.append`: add a chunk to a message (docs/protocol.md, "msg.append"). Answered by `ack` with `id`, or
 * `err`.
 */
export interface MsgAppendMessage {
  /** The operation. */
  op: 'msg.append';
  /** The request's ref, echoed by its answer. */
  ref: number;
  /** The message to append to (decimal string). */
  messageId: MessageId;
  /** The chunk's position: a non-negative integer, unique within the message. */
  chunkId: number;
  /** Exactly one of `text` and `b64` (binary payload, base64). */
  text?: string;
  /** Binary bytes in standard base64 with padding (instead of `text`). */
  b64?: string;
}
/** `msg.end`: finish a message. Answered by `ack` with `messageId`, or `err`. */
export interface MsgEndMessage {
  /** The operation. */
  op: 'msg.end';
  /** The request's ref, echoed by its answer. */
  ref: number;
  /** The message to finish (decimal string). */
  messageId: MessageId;
  /** Why it ended. @default 'success' */
  reason?: WireEndReason;
}
/**
 * `msg.cancel`: abandon a message; it ends with reason `cancelled`. Answered by `ack` with `messageId`, or
 * `err`.
 */
export interface MsgCancelMessage {
  /** The operation. */
  op: 'msg.cancel';
  /** The request's ref, echoed by its answer. */
  ref: number;
  /** The message to cancel (decimal string). */
  messageId: MessageId;
}
/** Every message a client sends (docs/protocol.md, "Client → server"). */
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
/** `ev`: one event of a subscribed topic (docs/protocol.md, "ev"); the same bytes go to every subscriber. */
export interface EvMessage {
  /** The operation. */
  op: 'ev';
  /** The topic the event belongs to. */
  topic: string;
  /** The event's ID: the topic's resume point once the client has it. */
  id: EventId;
  /** The event's name (`message` for a plain publish without one). */
  event: string;
  /** The event's JSON payload. */
  data: unknown;
}
/**
 * `subok`: the subscription is active; it comes before any `reset` or `ev` of it (docs/protocol.md,
 * "subok").
 */
export interface SubOkMessage {
  /** The operation. */
  op: 'subok';
  /** The subscribed topic. */
  topic: string;
  /** The first ID that will follow (for a live start, the next ID to be assigned). */
  from: EventId;
}
/**
 * `reset`: the server cannot serve exactly what follows the client's position (docs/protocol.md, "reset").
 */
export interface ResetMessage {
  /** The operation. */
  op: 'reset';
  /** The subscribed topic. */
  topic: string;
  /** The earliest ID still available; the missed range before it is gone. */
  earliest: EventId;
}
/**
 * `lag`: the client read too slowly; the subscription's queued live events were dropped and it resumes
 * through catchup, losing nothing (docs/protocol.md, "lag").
 */
export interface LagMessage {
  /** The operation. */
  op: 'lag';
  /** The subscribed topic. */
  topic: string;
}
/** `ack`: a request succeeded (docs/protocol.md, "ack"). */
export interface AckMessage {
  /** The operation. */
  op: 'ack';
  /** The ref of the request it answers. */
  ref: number;
  /** The event ID the operation produced, when it produced one. */
  id?: EventId;
  /** For `msg.open`: the message ID (assigned by the server when the producer gave none). */
  messageId?: MessageId;
}
/** `err`: a request failed (docs/protocol.md, "err", and "Error codes on the wire"). */
export interface ErrMessage {
  /** The operation. */
  op: 'err';
  /** The `ref` of the failed request; absent for errors not tied to one (a bad frame). */
  ref?: number;
  /** The topic, for subscription errors. */
  topic?: string;
  /** The error's stable code, from `ErrorCode` of `@spool/core`. */
  code: string;
  /** What went wrong and how to fix the request. */
  message: string;
  /** Set when the server refused for rate (`RATE_LIMITED`): send the request again after this many ms. */
  retryAfterMs?: number;
}
/** `pong`: the answer to `ping`. */
export interface PongMessage {
  /** The operation. */
  op: 'pong';
  /** The ref of the `ping` it answers. */
  ref: number;
}
/** `hb`: the server's heartbeat, every `ws.heartbeatIntervalMs` (30 s by default). */
export interface HbMessage {
  /** The operation. */
  op: 'hb';
}
/** Every message a server sends (docs/protocol.md, "Server → client"). */
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
/**
 * The chat events of a message on its channel topic `chan:<channelType>:<channelId>` (docs/protocol.md,
 * "Chat events").
 */
export const ChatEvent = {
  Open: 'msg.open',
  Delta: 'msg.delta',
  End: 'msg.end',
  Snapshot: 'msg.snapshot',
} as const;

/** The data of a `msg.open` event. */
export interface MsgOpenData {
  /** The message's ID (decimal string). */
  messageId: MessageId;
  /** The message's metadata as opened. */
  meta: WireStreamMeta;
}
/** The data of a `msg.delta` event: one chunk, with `text` or `b64`. */
export interface MsgDeltaData {
  /** The message's ID (decimal string). */
  messageId: MessageId;
  /** The chunk's position within the message; clients assemble deltas in `chunkId` order. */
  chunkId: number;
  /** The chunk's text. */
  text?: string;
  /** The chunk's bytes in standard base64 (instead of `text`). */
  b64?: string;
}
/** The data of a `msg.end` event, sent once persistence has been tried. */
export interface MsgEndData {
  /** The message's ID (decimal string). */
  messageId: MessageId;
  /** Why the message ended. */
  reason: WireEndReason;
  /** True when the store holds the message; false when it was kept for the operators as a dead letter. */
  persisted: boolean;
}
/**
 * The data of a `msg.snapshot` event (catchup only): a message's text so far, standing for its events up to
 * the snapshot's ID.
 */
export interface MsgSnapshotData {
  /** The message's ID (decimal string). */
  messageId: MessageId;
  /** The message's metadata; for an ended message, with `closed: true` and `endReason`. */
  meta: WireStreamMeta;
  /** The text of chunks 0 to `lastChunkId`, joined in order. */
  text: string;
  /** The last chunk the text covers; -1 when none. */
  lastChunkId: number;
  /** Whether the message is still streaming or has ended. */
  status: 'streaming' | 'ended';
  /** Why the message ended, when it has. */
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
  /** The messages of the page, newest first. */
  items: ChannelHistoryItem[];
  /** The cursor of the next (older) page: pass it as `before`; `null` on the last page. */
  next: EventId | null;
}

/** The topic of a channel: `chan:<channelType>:<channelId>`. */
export function channelTopic(channelType: number, channelId: string): string {
  return `chan:${channelType}:${channelId}`;
}

/** Parses a channel topic name; undefined when `topic` is not one. */
export function parseChannelTopic(topic: string):
  | {
      /** The channel's type. */
      channelType: number;
      /** The channel's ID. */
      channelId: string;
    }
  | undefined {
  const m = /^chan:(\d{1,3}):(.+)$/.exec(topic);
  if (!m) return undefined;
  return { channelType: Number(m[1]), channelId: m[2]! };
}

/** The operators' stats topic; subscribing needs the admin role. */
export const SYS_TOPIC = '$sys';
