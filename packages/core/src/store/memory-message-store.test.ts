import { describe, expect, it } from 'vitest';
import { isSpoolError } from '../errors';
import { createManualClock } from '../time/clock';
import { MemoryMessageStore } from './memory-message-store';
import type { StoredMessageInput } from './message-store';
import { storeContract } from './testing';

storeContract('MemoryMessageStore', () => ({ store: new MemoryMessageStore() }));

const general = { channelId: 'general', channelType: 1 };

function message(messageId: string, lastSeq: number): StoredMessageInput {
  return {
    messageId,
    channelId: 'general',
    channelType: 1,
    meta: { messageId, channelId: 'general', channelType: 1 },
    text: `text ${messageId}`,
    lastChunkId: 0,
    reason: 'success',
    firstEventId: `1-${lastSeq}`,
    lastEventId: `1-${lastSeq}`,
  };
}

describe('MemoryMessageStore', () => {
  it('stamps persistedAt from its clock', async () => {
    const store = new MemoryMessageStore({ clock: createManualClock(1234) });
    expect((await store.save(message('1', 1))).persistedAt).toBe(1234);
  });

  it('forgets the message saved longest ago beyond maxMessages', async () => {
    const store = new MemoryMessageStore({ maxMessages: 3 });
    for (let i = 1; i <= 5; i++) await store.save(message(String(i), i));
    expect(store.size).toBe(3);
    expect(await store.get('1')).toBeUndefined();
    expect(await store.get('2')).toBeUndefined();
    expect((await store.listAfter(general, '0-0')).map((m) => m.messageId)).toEqual(['3', '4', '5']);
  });

  it('counts a re-save as the newest save', async () => {
    const store = new MemoryMessageStore({ maxMessages: 2 });
    await store.save(message('1', 1));
    await store.save(message('2', 2));
    await store.save(message('1', 3));
    await store.save(message('3', 4));
    expect(await store.get('2')).toBeUndefined();
    expect((await store.listAfter(general, '0-0')).map((m) => m.messageId)).toEqual(['1', '3']);
  });

  it('validates maxMessages eagerly', () => {
    for (const maxMessages of [0, -1, 1.5, Number.NaN]) {
      let err: unknown;
      try {
        new MemoryMessageStore({ maxMessages });
      } catch (e) {
        err = e;
      }
      expect(isSpoolError(err) && err.code).toBe('INVALID_OPTION');
    }
  });
});
