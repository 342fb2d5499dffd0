import type { ParsedEventId } from '../protocol/event-id';
import {
  ChatEvent,
  type MsgDeltaData,
  type MsgEndData,
  type MsgOpenData,
  type MsgSnapshotData,
} from '../protocol/messages';
import type { StoredMessage } from '../store/message-store';
import { createTopicEvent, encodeTopicPayload, type TopicEvent } from './topic-event';

/**
 * The `msg.snapshot` data of a stored (ended) message.
 *
 * @example storedMessageSnapshot(await store.get(id)).status // 'ended'
 */
export function storedMessageSnapshot(message: StoredMessage): MsgSnapshotData {
  return {
    messageId: message.messageId,
    meta: message.meta,
    text: message.text,
    lastChunkId: message.lastChunkId,
    status: 'ended',
    reason: message.reason,
  };
}

/**
 * The `msg.snapshot` data of a message whose whole history is in `events` (its own
 * events, oldest first, starting with `msg.open`). Undefined when a snapshot cannot
 * stand for them: binary (`b64`) chunks, chunks out of order, or an unknown `msg.*` event.
 *
 * @example snapshotFromEvents(ledger.entry(id).events)?.text
 */
export function snapshotFromEvents(events: readonly TopicEvent[]): MsgSnapshotData | undefined {
  const open = events[0];
  if (!open || open.event !== ChatEvent.Open) return undefined;
  const { messageId, meta } = open.data as MsgOpenData;
  let text = '';
  let lastChunkId = -1;
  let end: MsgEndData | undefined;
  for (let i = 1; i < events.length; i++) {
    const ev = events[i]!;
    if (ev.event === ChatEvent.Delta) {
      const delta = ev.data as MsgDeltaData;
      if (end || delta.chunkId !== lastChunkId + 1 || typeof delta.text !== 'string') return undefined;
      text += delta.text;
      lastChunkId = delta.chunkId;
    } else if (ev.event === ChatEvent.End) end = ev.data as MsgEndData;
    else return undefined;
  }
  const snapshot: MsgSnapshotData = {
    messageId,
    // The meta of `msg.open` was taken while the message was open; the snapshot of an
    // ended one says what the store's copy says (docs/protocol.md "Chat events").
    meta: end ? { ...meta, closed: true, endReason: end.reason } : meta,
    text,
    lastChunkId,
    status: end ? 'ended' : 'streaming',
  };
  if (end) snapshot.reason = end.reason;
  return snapshot;
}

/** A `msg.snapshot` event placed at `id`: the ID of the last event it covers. */
export function snapshotEvent(id: ParsedEventId, data: MsgSnapshotData, now: number): TopicEvent {
  return createTopicEvent(id, encodeTopicPayload(ChatEvent.Snapshot, data), now);
}
