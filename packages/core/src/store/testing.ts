import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSpoolError } from '../errors';
import { compareEventIds } from '../protocol/event-id';
import type { WireStreamMeta } from '../protocol/messages';
import type { MessageStore, StoredMessageInput } from './message-store';

/** What a {@link storeContract} factory returns: a fresh, isolated store and how to dispose of it. */
export interface StoreFixture {
  store: MessageStore;
  /** Drops whatever the fixture created (a schema, a key prefix). Runs after `store.close()`. */
  cleanup?: () => void | Promise<void>;
}

/**
 * The behaviour every {@link MessageStore} must have, as one Vitest suite. Each test gets
 * a fresh store from `makeStore`, so a SQL store should use its own schema per call (or
 * per run, with unique channel names) and drop it in `cleanup`.
 *
 * @example
 * // memory-message-store.test.ts
 * storeContract('MemoryMessageStore', () => ({ store: new MemoryMessageStore() }));
 * // postgres-message-store.test.ts
 * storeContract('PostgresMessageStore', async () => {
 *   const schema = `t_${crypto.randomUUID().replaceAll('-', '')}`;
 *   const store = await PostgresMessageStore.connect({ url, schema });
 *   return { store, cleanup: () => dropSchema(schema) };
 * });
 */
export function storeContract(name: string, makeStore: () => StoreFixture | Promise<StoreFixture>): void {
  describe(`MessageStore contract: ${name}`, () => {
    let fixture: StoreFixture;
    let store: MessageStore;
    let closed = false;

    beforeEach(async () => {
      fixture = await makeStore();
      store = fixture.store;
      closed = false;
    });
    afterEach(async () => {
      if (!closed) await store.close();
      await fixture.cleanup?.();
    });

    it('saves a message and reads it back exactly, snowflake ID and unicode included', async () => {
      const input = message({
        messageId: '1843563473929170944',
        text: 'héllo 👋 世界',
        meta: meta('1843563473929170944', { customFields: { model: 'gpt', n: 3, nested: { ok: true } } }),
      });
      const saved = await store.save(input);
      expect(saved.messageId).toBe('1843563473929170944');
      expect(typeof saved.persistedAt).toBe('number');
      const read = await store.get('1843563473929170944');
      expect(read).toEqual({ ...input, persistedAt: saved.persistedAt });
    });

    it('returns undefined for a message it does not hold', async () => {
      expect(await store.get('42')).toBeUndefined();
    });

    it('keeps an explicit persistedAt', async () => {
      await store.save(message({ messageId: '7', persistedAt: 1_700_000_000_123 }));
      expect((await store.get('7'))?.persistedAt).toBe(1_700_000_000_123);
    });

    it('lists a channel after an event ID, ordered by lastEventId compared as IDs', async () => {
      // saved out of order, and with IDs whose string order differs from their ID order
      await store.save(message({ messageId: '3', firstEventId: '10-0', lastEventId: '10-5' }));
      await store.save(message({ messageId: '1', firstEventId: '9-0', lastEventId: '9-5' }));
      await store.save(message({ messageId: '2', firstEventId: '9-1', lastEventId: '9-10' }));
      await store.save(message({ messageId: '4', firstEventId: '100-0', lastEventId: '100-0' }));
      const all = await store.listAfter(general, '0-0');
      expect(all.map((m) => m.messageId)).toEqual(['1', '2', '3', '4']);
      expect((await store.listAfter(general, '9-5')).map((m) => m.messageId)).toEqual(['2', '3', '4']);
      expect((await store.listAfter(general, '9-9')).map((m) => m.messageId)).toEqual(['2', '3', '4']);
      expect((await store.listAfter(general, '10-5')).map((m) => m.messageId)).toEqual(['4']);
      expect(await store.listAfter(general, '100-0')).toEqual([]);
    });

    it('keeps channels apart, by id and by type', async () => {
      await store.save(message({ messageId: '1' }));
      await store.save(message({ messageId: '2', channelType: 2, meta: meta('2', { channelType: 2 }) }));
      await store.save(
        message({ messageId: '3', channelId: 'other', meta: meta('3', { channelId: 'other' }) }),
      );
      expect((await store.listAfter(general, '0-0')).map((m) => m.messageId)).toEqual(['1']);
      expect(
        (await store.listAfter({ channelId: 'general', channelType: 2 }, '0-0')).map((m) => m.messageId),
      ).toEqual(['2']);
      expect(
        (await store.listAfter({ channelId: 'other', channelType: 1 }, '0-0')).map((m) => m.messageId),
      ).toEqual(['3']);
      expect(await store.listAfter({ channelId: 'nobody', channelType: 1 }, '0-0')).toEqual([]);
    });

    it('pages with limit: each message exactly once, in order', async () => {
      const ids: string[] = [];
      for (let i = 1; i <= 23; i++) {
        ids.push(String(i));
        await store.save(message({ messageId: String(i), firstEventId: `${i}-0`, lastEventId: `${i}-3` }));
      }
      const seen: string[] = [];
      let after = '0-0';
      for (;;) {
        const page = await store.listAfter(general, after, { limit: 5 });
        expect(page.length).toBeLessThanOrEqual(5);
        if (page.length === 0) break;
        seen.push(...page.map((m) => m.messageId));
        after = page.at(-1)!.lastEventId;
      }
      expect(seen).toEqual(ids);
    });

    it('replaces a message saved again under the same ID (idempotent retries)', async () => {
      await store.save(message({ messageId: '5', text: 'first', lastEventId: '1-2' }));
      await store.save(message({ messageId: '6', firstEventId: '1-3', lastEventId: '1-4' }));
      await store.save(message({ messageId: '5', text: 'second', lastEventId: '1-9' }));
      expect((await store.get('5'))?.text).toBe('second');
      const list = await store.listAfter(general, '0-0');
      expect(list.map((m) => [m.messageId, m.lastEventId])).toEqual([
        ['6', '1-4'],
        ['5', '1-9'],
      ]);
    });

    it('hands out copies: mutating input or output never changes what is stored', async () => {
      const input = message({ messageId: '8', meta: meta('8', { customFields: { k: 'v' } }) });
      await store.save(input);
      input.meta.customFields!['k'] = 'changed';
      const read = await store.get('8');
      expect(read?.meta.customFields).toEqual({ k: 'v' });
      read!.meta.customFields!['k'] = 'mutated';
      read!.text = 'mutated';
      const listed = await store.listAfter(general, '0-0');
      listed[0]!.meta.channelId = 'mutated';
      const again = await store.get('8');
      expect(again?.meta.customFields).toEqual({ k: 'v' });
      expect(again?.text).toBe('hello');
      expect(again?.meta.channelId).toBe('general');
    });

    it('lands every one of many concurrent saves', async () => {
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          store.save(message({ messageId: String(i + 1), firstEventId: `5-${i}`, lastEventId: `6-${i}` })),
        ),
      );
      const list = await store.listAfter(general, '0-0', { limit: 100 });
      expect(list).toHaveLength(50);
      const lastIds = list.map((m) => m.lastEventId);
      expect([...lastIds].sort(compareEventIds)).toEqual(lastIds);
    });

    it('rejects malformed messages with a code, and stores nothing', async () => {
      await expectCode(store.save(message({ messageId: '0' })), 'INVALID_MESSAGE_ID');
      await expectCode(store.save(message({ messageId: '12.5' })), 'INVALID_MESSAGE_ID');
      await expectCode(store.save(message({ firstEventId: 'x' })), 'INVALID_EVENT_ID');
      await expectCode(store.save(message({ lastEventId: '01-1' })), 'INVALID_EVENT_ID');
      await expectCode(store.save(message({ firstEventId: '5-1', lastEventId: '5-0' })), 'INVALID_MESSAGE');
      await expectCode(store.save(message({ reason: 'done' as never })), 'INVALID_MESSAGE');
      await expectCode(store.save(message({ channelId: '' })), 'INVALID_MESSAGE');
      await expectCode(store.save(message({ lastChunkId: -2 })), 'INVALID_MESSAGE');
      await expectCode(store.save(message({ text: 5 as never })), 'INVALID_MESSAGE');
      expect(await store.listAfter(general, '0-0')).toEqual([]);
    });

    it('rejects a malformed `after` or `limit`', async () => {
      await expectCode(store.listAfter(general, 'yesterday'), 'INVALID_EVENT_ID');
      await expectCode(store.listAfter(general, '0-0', { limit: 0 }), 'INVALID_OPTION');
      await expectCode(store.listAfter(general, '0-0', { limit: 1.5 }), 'INVALID_OPTION');
    });

    it('fails with STORE_UNAVAILABLE once closed', async () => {
      await store.close();
      closed = true;
      await expectCode(store.get('1'), 'STORE_UNAVAILABLE');
      await expectCode(store.save(message({})), 'STORE_UNAVAILABLE');
      await expectCode(store.listAfter(general, '0-0'), 'STORE_UNAVAILABLE');
    });
  });
}

const general = { channelId: 'general', channelType: 1 };

function meta(messageId: string, extra: Partial<WireStreamMeta> = {}): WireStreamMeta {
  return { messageId, channelId: 'general', channelType: 1, fromUid: 'u1', ...extra };
}

function message(over: Partial<StoredMessageInput>): StoredMessageInput {
  const messageId = over.messageId ?? '1';
  return {
    messageId,
    channelId: 'general',
    channelType: 1,
    meta: meta(messageId),
    text: 'hello',
    lastChunkId: 1,
    reason: 'success',
    firstEventId: '1-0',
    lastEventId: '1-2',
    ...over,
  };
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isSpoolError(err) ? err.code : err).toBe(code);
}
