import { describe, expect, it } from 'vitest';
import { formatEventId, parseEventId } from '../protocol/event-id';
import { toMessageId } from '../protocol/message-id';
import { MessageLedger } from './message-ledger';
import { createTopicEvent, encodeTopicPayload } from './topic-event';

// What the ledger concludes from a floor it was not told of: another writer of a shared
// log trimmed (docs/architecture.md, "Topics across instances").

const messageId = toMessageId('1');
const at = (ms: number) => parseEventId(`${ms}-0`);
const delta = (ms: number, chunkId: number) =>
  createTopicEvent(at(ms), encodeTopicPayload('msg.delta', { messageId, chunkId, text: 'x' }), ms);

describe('MessageLedger.observeFloor', () => {
  it('changes nothing for a floor at its own last drop, or at its start', () => {
    const ledger = new MessageLedger(10, at(100));
    ledger.observeFloor(at(100));
    expect(formatEventId(ledger.lostThrough)).toBe('0-0');
    ledger.onAppend(createTopicEvent(at(101), encodeTopicPayload('msg.open', { messageId, meta: {} }), 101));
    ledger.onAppend(delta(102, 0));
    ledger.markPersisted(messageId);
    ledger.onDrop(createTopicEvent(at(101), encodeTopicPayload('msg.open', { messageId, meta: {} }), 101));
    ledger.observeFloor(at(101));
    expect(formatEventId(ledger.lostThrough)).toBe('0-0');
  });

  it('counts a floor above every drop it was told of as lost through that floor', () => {
    const ledger = new MessageLedger(10, at(100));
    ledger.onAppend(delta(101, 0));
    ledger.observeFloor(at(105));
    expect(formatEventId(ledger.lostThrough)).toBe('105-0');
    // A lower floor seen later (a lagging read) takes nothing back.
    ledger.observeFloor(at(103));
    expect(formatEventId(ledger.lostThrough)).toBe('105-0');
  });
});
