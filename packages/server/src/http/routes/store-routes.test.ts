import type { StoredMessage } from '@spool/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { SpoolInstance } from '../../spool';
import { apiOf, codeOf, tokenSpool } from './__tests__/route-kit';

let spool: SpoolInstance | undefined;
afterEach(async () => {
  await spool?.close();
  spool = undefined;
});

type Page = { items: StoredMessage[]; next: string | null };

/** Saves `n` finished messages straight into the store (the search reads only the store). */
async function seed(s: SpoolInstance): Promise<StoredMessage[]> {
  const out: StoredMessage[] = [];
  for (let i = 0; i < 5; i++) {
    const messageId = String(1_843_563_473_929_170_944n + BigInt(i));
    const channelId = i % 2 === 0 ? 'general' : 'random';
    out.push(
      await s.store.save({
        messageId,
        channelId,
        channelType: 1,
        meta: {
          messageId,
          channelId,
          channelType: 1,
          fromUid: i < 3 ? 'bot' : 'alice',
          customFields: { retryCount: i, label: String(i) },
        },
        text: `message ${i}`,
        lastChunkId: 0,
        reason: 'success',
        firstEventId: `${1_731_900_000_000 + i}-0`,
        lastEventId: `${1_731_900_000_000 + i}-1`,
      }),
    );
  }
  return out;
}

describe('GET /v1/store/messages', () => {
  it('searches stored messages by channel, sender and custom field, newest first, paged', async () => {
    spool = tokenSpool();
    const saved = await seed(spool);
    const api = apiOf(spool, 'admin');
    const ids = (page: Page) => page.items.map((m) => m.messageId);
    const id = (i: number) => saved[i]!.messageId;

    const channel = await api.get<Page>('/v1/store/messages?channelType=1&channelId=general&limit=2');
    expect([channel.status, ids(channel.body)]).toEqual([200, [id(4), id(2)]]);
    const rest = await api.get<Page>(
      `/v1/store/messages?channelType=1&channelId=general&limit=2&before=${channel.body.next}`,
    );
    expect([ids(rest.body), rest.body.next]).toEqual([[id(0)], null]);

    const bySender = await api.get<Page>('/v1/store/messages?fromUid=bot&limit=2');
    expect(ids(bySender.body)).toEqual([id(2), id(1)]);
    const older = await api.get<Page>(`/v1/store/messages?fromUid=bot&before=${bySender.body.next}`);
    expect([ids(older.body), older.body.next]).toEqual([[id(0)], null]);

    // Custom fields keep their JSON type: the number 3 with json=1, the string "3" without.
    expect(ids((await api.get<Page>('/v1/store/messages?field=retryCount&value=3&json=1')).body)).toEqual([
      id(3),
    ]);
    expect(ids((await api.get<Page>('/v1/store/messages?field=retryCount&value=3')).body)).toEqual([]);
    expect(ids((await api.get<Page>('/v1/store/messages?field=label&value=3')).body)).toEqual([id(3)]);
    expect((await api.get<Page>('/v1/store/messages?field=label&value=3')).body.items[0]).toMatchObject({
      text: 'message 3',
      reason: 'success',
      meta: { fromUid: 'alice' },
    });
  });

  it('refuses bad input with typed errors, and anyone but an admin', async () => {
    spool = tokenSpool();
    const api = apiOf(spool, 'admin');
    const cases: Array<[string, number, string]> = [
      ['/v1/store/messages', 400, 'BAD_REQUEST'],
      ['/v1/store/messages?fromUid=bot&field=a&value=b', 400, 'BAD_REQUEST'],
      ['/v1/store/messages?channelId=general', 400, 'BAD_REQUEST'],
      ['/v1/store/messages?field=a', 400, 'BAD_REQUEST'],
      ['/v1/store/messages?channelType=300&channelId=general', 400, 'BAD_REQUEST'],
      ['/v1/store/messages?channelType=1&channelId=general&before=noon', 400, 'INVALID_EVENT_ID'],
      ['/v1/store/messages?fromUid=bot&before=12ab', 400, 'INVALID_MESSAGE_ID'],
      ['/v1/store/messages?fromUid=bot&limit=0', 400, 'BAD_REQUEST'],
      ['/v1/store/messages?field=a&value={}&json=1', 400, 'BAD_REQUEST'],
      ['/v1/store/messages?field=a&value=1&json=maybe', 400, 'BAD_REQUEST'],
    ];
    for (const [path, status, code] of cases) {
      const reply = await api.get(path);
      expect([path, reply.status, codeOf(reply)]).toEqual([path, status, code]);
    }
    expect((await apiOf(spool, 'user').get('/v1/store/messages?fromUid=bot')).status).toBe(403);
  });
});
