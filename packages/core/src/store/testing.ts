import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSpoolError } from '../errors';
import { compareEventIds } from '../protocol/event-id';
import type { WireStreamMeta } from '../protocol/messages';
import type { MessageStore, StoredMessageInput } from './message-store';

/** What a {@link storeContract} factory returns: a fresh, isolated store and how to dispose of it. */
export interface StoreFixture {
  /** A fresh store that shares no data with any other test. */
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
 *   const store = await connectPostgresStore({ connectionString, schema });
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

    it('keeps text and fields that look like SQL, JSON or array syntax exactly', async () => {
      const tricky = [
        'NULL',
        '',
        'a "quoted", {braced} \\ back\\slash',
        "it's; DROP TABLE x; --",
        ' spaced ',
        'line\nbreak\ttab\r',
        'escapes spelled out, not meant: \\u0000 \\ud800 \\\\u0000',
      ];
      for (const [i, text] of tricky.entries()) {
        const id = String(i + 1);
        const m = meta(id, { fromUid: text, clientMsgNo: text, customFields: { [`k${text}`]: text } });
        await store.save(
          message({ messageId: id, text, meta: m, firstEventId: `1-${i}`, lastEventId: `1-${i}` }),
        );
      }
      for (const [i, text] of tricky.entries()) {
        const read = await store.get(String(i + 1));
        expect(read?.text).toBe(text);
        expect(read?.meta).toEqual(
          meta(String(i + 1), { fromUid: text, clientMsgNo: text, customFields: { [`k${text}`]: text } }),
        );
      }
      expect((await store.listBySender('NULL')).items.map((m) => m.messageId)).toEqual(['1']);
      expect((await store.listBySender('')).items.map((m) => m.messageId)).toEqual(['2']);
      expect((await store.listByField('kNULL', 'NULL')).items.map((m) => m.messageId)).toEqual(['1']);
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

    it('rejects a malformed `after`, `limit` or channel', async () => {
      await expectCode(store.listAfter(general, 'yesterday'), 'INVALID_EVENT_ID');
      for (const channel of [{ channelId: '', channelType: 1 }, { channelId: 'g', channelType: 1.5 }, null]) {
        await expectCode(store.listAfter(channel as never, '0-0'), 'INVALID_OPTION');
        await expectCode(store.listBefore(channel as never), 'INVALID_OPTION');
      }
      await expectCode(store.listAfter(general, '0-0', { limit: 0 }), 'INVALID_OPTION');
      await expectCode(store.listAfter(general, '0-0', { limit: 1.5 }), 'INVALID_OPTION');
    });

    it('rejects what no SQL store can hold exactly: NUL, unpaired surrogates, odd persistedAt', async () => {
      await expectCode(store.save(message({ text: 'a\u0000b' })), 'INVALID_MESSAGE');
      await expectCode(store.save(message({ text: 'half \ud83d emoji' })), 'INVALID_MESSAGE');
      await expectCode(store.save(message({ text: '\ude00 low alone' })), 'INVALID_MESSAGE');
      await expectCode(
        store.save(message({ meta: meta('1', { customFields: { k: 'x\u0000' } }) })),
        'INVALID_MESSAGE',
      );
      await expectCode(
        store.save(message({ meta: meta('1', { customFields: { ['\ud800']: 1 } }) })),
        'INVALID_MESSAGE',
      );
      await expectCode(store.save(message({ channelId: 'g\u0000' })), 'INVALID_MESSAGE');
      await expectCode(store.save(message({ persistedAt: 1.5 })), 'INVALID_MESSAGE');
      await expectCode(store.save(message({ persistedAt: -1 })), 'INVALID_MESSAGE');
      await expectCode(store.save(message({ persistedAt: 253_402_300_800_000 })), 'INVALID_MESSAGE');
      await expectCode(store.save(message({ channelType: 2 ** 53 })), 'INVALID_MESSAGE');
      expect(await store.listAfter(general, '0-0')).toEqual([]);
      // the edges that are fine: a whole emoji, the last millisecond of year 9999
      await store.save(message({ messageId: '2', text: '👋', persistedAt: 253_402_300_799_999 }));
      expect(await store.get('2')).toMatchObject({ text: '👋', persistedAt: 253_402_300_799_999 });
    });

    describe('listBefore (chat history, newest first)', () => {
      it('lists by firstEventId compared as IDs, newest first, below `before`', async () => {
        await store.save(message({ messageId: '3', firstEventId: '10-0', lastEventId: '10-5' }));
        await store.save(message({ messageId: '1', firstEventId: '9-0', lastEventId: '9-5' }));
        await store.save(message({ messageId: '2', firstEventId: '9-1', lastEventId: '100-0' }));
        await store.save(message({ messageId: '4', firstEventId: '100-0', lastEventId: '100-1' }));
        const ids = (page: { items: { messageId: string }[] }) => page.items.map((m) => m.messageId);
        expect(ids(await store.listBefore(general))).toEqual(['4', '3', '2', '1']);
        expect(ids(await store.listBefore(general, '100-0'))).toEqual(['3', '2', '1']);
        expect(ids(await store.listBefore(general, '9-10'))).toEqual(['2', '1']);
        expect(ids(await store.listBefore(general, '9-1'))).toEqual(['1']);
        expect(await store.listBefore(general, '9-0')).toEqual({ items: [], next: null });
        expect(await store.listBefore({ channelId: 'nobody', channelType: 1 })).toEqual({
          items: [],
          next: null,
        });
        const first = await store.listBefore(general, undefined, { limit: 10 });
        expect(first.next).toBeNull();
        expect(first.items[0]).toEqual({
          ...message({ messageId: '4' }),
          firstEventId: '100-0',
          lastEventId: '100-1',
          persistedAt: first.items[0]!.persistedAt,
        });
      });

      it('pages with `next`: each message exactly once, then next is null', async () => {
        const ids: string[] = [];
        for (let i = 1; i <= 23; i++) {
          ids.push(String(i));
          await store.save(message({ messageId: String(i), firstEventId: `${i}-0`, lastEventId: `${i}-3` }));
        }
        const seen: string[] = [];
        let page = await store.listBefore(general, undefined, { limit: 5 });
        for (;;) {
          expect(page.items.length).toBeLessThanOrEqual(5);
          seen.push(...page.items.map((m) => m.messageId));
          if (page.next === null) break;
          expect(page.next).toBe(page.items.at(-1)!.firstEventId);
          page = await store.listBefore(general, page.next, { limit: 5 });
        }
        expect(seen).toEqual(ids.reverse());
        // a full last page still says there is nothing older
        expect((await store.listBefore(general, '4-0', { limit: 3 })).next).toBeNull();
      });

      it('never splits messages that share a firstEventId across pages', async () => {
        await store.save(message({ messageId: '1', firstEventId: '5-0', lastEventId: '5-1' }));
        for (const id of ['2', '3', '4'])
          await store.save(message({ messageId: id, firstEventId: '7-0', lastEventId: '7-1' }));
        await store.save(message({ messageId: '5', firstEventId: '8-0', lastEventId: '8-1' }));
        const page = await store.listBefore(general, undefined, { limit: 2 });
        expect(page.items.map((m) => m.messageId)).toEqual(['5', '4', '3', '2']);
        expect(page.next).toBe('7-0');
        const rest = await store.listBefore(general, page.next!, { limit: 2 });
        expect(rest).toMatchObject({ next: null });
        expect(rest.items.map((m) => m.messageId)).toEqual(['1']);
      });

      it('keeps channels apart and follows a message saved again', async () => {
        await store.save(message({ messageId: '1', firstEventId: '1-0' }));
        await store.save(message({ messageId: '2', channelType: 2, meta: meta('2', { channelType: 2 }) }));
        await store.save(message({ messageId: '3', firstEventId: '2-0', lastEventId: '2-1' }));
        await store.save(message({ messageId: '1', firstEventId: '3-0', lastEventId: '3-1' }));
        expect((await store.listBefore(general)).items.map((m) => m.messageId)).toEqual(['1', '3']);
        expect(
          (await store.listBefore({ channelId: 'general', channelType: 2 })).items.map((m) => m.messageId),
        ).toEqual(['2']);
      });

      it('rejects a malformed `before` or `limit`', async () => {
        await expectCode(store.listBefore(general, 'yesterday'), 'INVALID_EVENT_ID');
        await expectCode(store.listBefore(general, undefined, { limit: 0 }), 'INVALID_OPTION');
        await expectCode(store.listBefore(general, undefined, { limit: 10_001 }), 'INVALID_OPTION');
      });
    });

    describe('listBySender and listByField (newest first by message ID)', () => {
      it('lists a sender across channels, by message ID compared as numbers, paged with `next`', async () => {
        const ids = ['9', '10', '1843563473929170944', '100', '1843563473929170945'];
        for (const [i, id] of ids.entries()) {
          const channelId = i % 2 ? 'other' : 'general';
          await store.save(
            message({ messageId: id, channelId, meta: meta(id, { channelId, fromUid: 'ann' }) }),
          );
        }
        await store.save(message({ messageId: '50', meta: meta('50', { fromUid: 'bob' }) }));
        await store.save(message({ messageId: '51', meta: meta('51', { fromUid: undefined }) }));
        const newestFirst = ['1843563473929170945', '1843563473929170944', '100', '10', '9'];
        const all = await store.listBySender('ann');
        expect(all).toMatchObject({ next: null });
        expect(all.items.map((m) => m.messageId)).toEqual(newestFirst);
        const seen: string[] = [];
        let page = await store.listBySender('ann', undefined, { limit: 2 });
        for (;;) {
          seen.push(...page.items.map((m) => m.messageId));
          if (page.next === null) break;
          expect(page.next).toBe(page.items.at(-1)!.messageId);
          page = await store.listBySender('ann', page.next, { limit: 2 });
        }
        expect(seen).toEqual(newestFirst);
        expect((await store.listBySender('ann', '100')).items.map((m) => m.messageId)).toEqual(['10', '9']);
        expect((await store.listBySender('bob')).items.map((m) => m.messageId)).toEqual(['50']);
        expect(await store.listBySender('nobody')).toEqual({ items: [], next: null });
      });

      it('follows a sender change when a message is saved again', async () => {
        await store.save(message({ messageId: '1', meta: meta('1', { fromUid: 'ann' }) }));
        await store.save(message({ messageId: '1', meta: meta('1', { fromUid: 'bob' }) }));
        expect((await store.listBySender('ann')).items).toEqual([]);
        expect((await store.listBySender('bob')).items.map((m) => m.messageId)).toEqual(['1']);
      });

      it('matches a custom field by JSON value and type, never inside objects or arrays', async () => {
        const fields: Record<string, Record<string, unknown>> = {
          '1': { model: 'gpt', n: 3, ok: true, gone: null },
          '2': { model: 'gpt', n: '3', ok: false },
          '3': { model: ['gpt'], n: 3.0, nested: { model: 'gpt' } },
          '4': { model: 'claude', n: 4 },
        };
        for (const [id, customFields] of Object.entries(fields))
          await store.save(message({ messageId: id, meta: meta(id, { customFields }) }));
        const ids = async (field: string, value: string | number | boolean | null) =>
          (await store.listByField(field, value)).items.map((m) => m.messageId);
        expect(await ids('model', 'gpt')).toEqual(['2', '1']);
        expect(await ids('n', 3)).toEqual(['3', '1']);
        expect(await ids('n', '3')).toEqual(['2']);
        expect(await ids('ok', true)).toEqual(['1']);
        expect(await ids('ok', false)).toEqual(['2']);
        expect(await ids('gone', null)).toEqual(['1']);
        expect(await ids('nested', 'gpt')).toEqual([]);
        expect(await ids('missing', 'gpt')).toEqual([]);
        const page = await store.listByField('model', 'gpt', undefined, { limit: 1 });
        expect(page).toMatchObject({ next: '2' });
        expect(await store.listByField('model', 'gpt', page.next!, { limit: 1 })).toMatchObject({
          items: [{ messageId: '1', meta: { customFields: fields['1'] } }],
          next: null,
        });
      });

      it('follows a field change when a message is saved again', async () => {
        await store.save(message({ messageId: '1', meta: meta('1', { customFields: { tag: 'a' } }) }));
        await store.save(message({ messageId: '1', meta: meta('1', { customFields: { tag: 'b' } }) }));
        expect((await store.listByField('tag', 'a')).items).toEqual([]);
        expect((await store.listByField('tag', 'b')).items.map((m) => m.messageId)).toEqual(['1']);
      });

      it('rejects a bad sender, field, value, `before` or `limit`', async () => {
        await expectCode(store.listBySender(5 as never), 'INVALID_OPTION');
        await expectCode(store.listBySender('ann', 'x'), 'INVALID_MESSAGE_ID');
        await expectCode(store.listBySender('ann', undefined, { limit: 1.5 }), 'INVALID_OPTION');
        await expectCode(store.listByField('', 'x'), 'INVALID_OPTION');
        await expectCode(store.listByField('k', { a: 1 } as never), 'INVALID_OPTION');
        await expectCode(store.listByField('k', Number.NaN), 'INVALID_OPTION');
        await expectCode(store.listByField('k', 1n as never), 'INVALID_OPTION');
        await expectCode(store.listByField('k', 'v', '0'), 'INVALID_MESSAGE_ID');
      });
    });

    it('fails with STORE_UNAVAILABLE once closed', async () => {
      await store.close();
      closed = true;
      await expectCode(store.get('1'), 'STORE_UNAVAILABLE');
      await expectCode(store.save(message({})), 'STORE_UNAVAILABLE');
      await expectCode(store.listAfter(general, '0-0'), 'STORE_UNAVAILABLE');
      await expectCode(store.listBefore(general), 'STORE_UNAVAILABLE');
      await expectCode(store.listBySender('u1'), 'STORE_UNAVAILABLE');
      await expectCode(store.listByField('k', 'v'), 'STORE_UNAVAILABLE');
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
