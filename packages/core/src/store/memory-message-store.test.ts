import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSpoolError } from '../errors';
import { compareEventIds } from '../protocol/event-id';
import { createManualClock } from '../time/clock';
import { MemoryMessageStore } from './memory-message-store';
import type { StoredMessage, StoredMessageInput, StoredMessagePage } from './message-store';
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

  it('drops an evicted message from every index: history, sender and custom field', async () => {
    const store = new MemoryMessageStore({ maxMessages: 1 });
    const first = message('1', 1);
    first.meta = { ...first.meta, fromUid: 'ann', customFields: { tag: 'x' } };
    await store.save(first);
    await store.save(message('2', 2));
    expect((await store.listBefore(general)).items.map((m) => m.messageId)).toEqual(['2']);
    expect(await store.listBySender('ann')).toEqual({ items: [], next: null });
    expect(await store.listByField('tag', 'x')).toEqual({ items: [], next: null });
  });

  it('pages history, senders and fields exactly like a naive model (property)', async () => {
    const save = fc.record({
      id: fc.integer({ min: 1, max: 12 }),
      firstMs: fc.integer({ min: 1, max: 5 }),
      firstSeq: fc.integer({ min: 0, max: 2 }),
      span: fc.integer({ min: 0, max: 3 }),
      sender: fc.constantFrom('ann', 'bob', undefined),
      tag: fc.constantFrom('x', 'y', 1, undefined),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(save, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 3, max: 15 }),
        fc.integer({ min: 1, max: 4 }),
        async (saves, maxMessages, limit) => {
          const store = new MemoryMessageStore({ maxMessages });
          const model = new Map<string, StoredMessage>();
          for (const s of saves) {
            const id = String(s.id);
            const input: StoredMessageInput = {
              ...message(id, 0),
              meta: {
                messageId: id,
                channelId: 'general',
                channelType: 1,
                ...(s.sender === undefined ? {} : { fromUid: s.sender }),
                customFields: s.tag === undefined ? {} : { tag: s.tag },
              },
              firstEventId: `${s.firstMs}-${s.firstSeq}`,
              lastEventId: `${s.firstMs + s.span}-${s.firstSeq}`,
            };
            const saved = await store.save(input);
            model.delete(id);
            model.set(id, saved);
            if (model.size > maxMessages) model.delete(model.keys().next().value as string);
          }
          const byIdDesc = (a: StoredMessage, b: StoredMessage) => Number(b.messageId) - Number(a.messageId);
          const all = [...model.values()];
          expect(ids(await walk((before) => store.listBefore(general, before, { limit })))).toEqual(
            ids(all.sort((a, b) => compareEventIds(b.firstEventId, a.firstEventId) || byIdDesc(a, b))),
          );
          for (const sender of ['ann', 'bob'])
            expect(ids(await walk((before) => store.listBySender(sender, before, { limit })))).toEqual(
              ids(all.filter((m) => m.meta.fromUid === sender).sort(byIdDesc)),
            );
          for (const tag of ['x', 'y', 1])
            expect(ids(await walk((before) => store.listByField('tag', tag, before, { limit })))).toEqual(
              ids(all.filter((m) => m.meta.customFields?.['tag'] === tag).sort(byIdDesc)),
            );
          expect(ids(await store.listAfter(general, '0-0', { limit: 100 }))).toEqual(
            ids(all.sort((a, b) => compareEventIds(a.lastEventId, b.lastEventId) || -byIdDesc(a, b))),
          );
        },
      ),
    );
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

function ids(messages: StoredMessage[]): string[] {
  return messages.map((m) => m.messageId);
}

/** Follows `next` from the newest page to the last one; fails on a page that never ends. */
async function walk(
  list: (before: string | undefined) => Promise<StoredMessagePage>,
): Promise<StoredMessage[]> {
  const out: StoredMessage[] = [];
  let page = await list(undefined);
  for (let guard = 0; guard < 100; guard++) {
    out.push(...page.items);
    if (page.next === null) return out;
    page = await list(page.next);
  }
  throw new Error('paging did not end');
}
