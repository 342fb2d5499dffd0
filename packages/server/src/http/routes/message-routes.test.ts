import { afterEach, describe, expect, it } from 'vitest';
import { createSpoolInstance, type SpoolInstance } from '../../spool';
import { ADMIN_TOKEN, apiOf, codeOf, tokenSpool, USER_TOKEN } from './__tests__/route-kit';

let spool: SpoolInstance | undefined;
afterEach(async () => {
  await spool?.close();
  spool = undefined;
});

type Opened = { messageId: string; id: string };
type Page = {
  items: Array<{ messageId: string; chunks: number; bytes: number; customFields: Record<string, unknown> }>;
  next: string | null;
};

/** Users may not touch `chan:1:secret`; everything else follows the default rules. */
function guardedSpool(): SpoolInstance {
  return createSpoolInstance({
    auth: {
      tokens: { admin: [ADMIN_TOKEN], user: [USER_TOKEN] },
      authorize: (p, action, topic) =>
        p.role === 'admin' || (action !== 'admin' && topic !== 'chan:1:secret'),
    },
  });
}

describe('the message lifecycle over HTTP', () => {
  it('opens, appends, reads, updates, ends, then reads the message from the store', async () => {
    spool = tokenSpool();
    const api = apiOf(spool, 'user');
    const open = await api.post<Opened>('/v1/messages', {
      messageId: '1843563473929170944',
      channelId: 'general',
      channelType: 1,
      fromUid: 'bot',
      customFields: { priority: 'high', retryCount: 3 },
    });
    expect(open.status).toBe(201);
    expect(open.body).toEqual({ messageId: '1843563473929170944', id: expect.stringMatching(/^\d+-\d+$/) });
    const id = open.body.messageId;
    const c0 = await api.post<{ id: string }>(`/v1/messages/${id}/chunks`, { chunkId: 0, text: 'Hello, ' });
    expect(c0.status).toBe(200);
    expect(c0.body.id).toMatch(/^\d+-\d+$/);
    await api.post(`/v1/messages/${id}/chunks`, { chunkId: 1, b64: btoa('world') });

    const live = await api.get<{
      text: string;
      status: string;
      chunks: number;
      bytes: number;
      meta: { messageId: string };
    }>(`/v1/messages/${id}`);
    expect(live.body).toMatchObject({
      text: 'Hello, world',
      status: 'streaming',
      chunks: 2,
      lastChunkId: 1,
      bytes: 12,
      meta: { messageId: id },
    });

    const patched = await api.patch<{ meta: { customFields: Record<string, unknown>; clientMsgNo: string } }>(
      `/v1/messages/${id}`,
      {
        clientMsgNo: 'c-9',
        customFields: { priority: 'low', retryCount: null, lang: 'en' },
      },
    );
    expect(patched.status).toBe(200);
    expect(patched.body.meta.clientMsgNo).toBe('c-9');
    expect(patched.body.meta.customFields).toEqual({ priority: 'low', lang: 'en' });

    expect((await api.get<{ active: boolean }>('/v1/channels/1/general/active')).body).toEqual({
      active: true,
    });
    const end = await api.post(`/v1/messages/${id}/end`, { reason: 'success' });
    expect(end.body).toEqual({ messageId: id, reason: 'success' });
    expect((await api.get<{ active: boolean }>('/v1/channels/1/general/active')).body).toEqual({
      active: false,
    });

    await expect.poll(async () => (await spool!.store.get(id))?.text).toBe('Hello, world');
    const stored = await api.get(`/v1/messages/${id}`);
    expect(stored.body).toMatchObject({
      text: 'Hello, world',
      status: 'ended',
      reason: 'success',
      chunks: 2,
      lastChunkId: 1,
      bytes: 12,
    });
  });

  it('ends with `success` when the body is empty', async () => {
    spool = tokenSpool();
    const api = apiOf(spool, 'user');
    const { body } = await api.post<Opened>('/v1/messages', { channelId: 'g', channelType: 1 });
    expect((await api.post(`/v1/messages/${body.messageId}/end`)).body).toEqual({
      messageId: body.messageId,
      reason: 'success',
    });
  });

  it('rejects bad bodies with their codes', async () => {
    spool = tokenSpool();
    const api = apiOf(spool, 'user');
    const noType = await api.post('/v1/messages', { channelId: 'g' });
    expect([noType.status, codeOf(noType)]).toEqual([400, 'BAD_REQUEST']);
    // A 64-bit ID as a JSON number would lose precision: it is refused, not rounded.
    const numericId = await api.post('/v1/messages', undefined, {
      rawBody: '{"messageId":1843563473929170944,"channelId":"g","channelType":1}',
    });
    expect([numericId.status, codeOf(numericId)]).toEqual([400, 'BAD_REQUEST']);
    const badType = await api.post('/v1/messages', { channelId: 'g', channelType: 300 });
    expect([badType.status, codeOf(badType)]).toEqual([400, 'BAD_REQUEST']);
    const tooBig = await api.post('/v1/messages', {
      messageId: '99999999999999999999999',
      channelId: 'g',
      channelType: 1,
    });
    expect([tooBig.status, codeOf(tooBig)]).toEqual([400, 'INVALID_MESSAGE_ID']);

    const { body } = await api.post<Opened>('/v1/messages', { channelId: 'g', channelType: 1 });
    const id = body.messageId;
    const negative = await api.post(`/v1/messages/${id}/chunks`, { chunkId: -1, text: 'x' });
    expect([negative.status, codeOf(negative)]).toEqual([400, 'BAD_REQUEST']);
    const both = await api.post(`/v1/messages/${id}/chunks`, { chunkId: 0, text: 'x', b64: 'eA==' });
    expect([both.status, codeOf(both)]).toEqual([400, 'BAD_REQUEST']);
    const badB64 = await api.post(`/v1/messages/${id}/chunks`, { chunkId: 0, b64: '**' });
    expect([badB64.status, codeOf(badB64)]).toEqual([400, 'INVALID_MESSAGE']);
    await api.post(`/v1/messages/${id}/chunks`, { chunkId: 0, text: 'x' });
    const duplicate = await api.post(`/v1/messages/${id}/chunks`, { chunkId: 0, text: 'x' });
    expect([duplicate.status, codeOf(duplicate)]).toEqual([400, 'DUPLICATE_CHUNK']);
    const badReason = await api.post(`/v1/messages/${id}/end`, { reason: 'done' });
    expect([badReason.status, codeOf(badReason)]).toEqual([400, 'BAD_REQUEST']);
    const badFields = await api.patch(`/v1/messages/${id}`, { customFields: 'nope' });
    expect([badFields.status, codeOf(badFields)]).toEqual([400, 'BAD_REQUEST']);
    const badId = await api.get('/v1/messages/not-a-number');
    expect([badId.status, codeOf(badId)]).toEqual([400, 'INVALID_MESSAGE_ID']);
  });

  it('answers 404 for messages it does not have', async () => {
    spool = tokenSpool();
    const api = apiOf(spool, 'user');
    const chunk = await api.post('/v1/messages/42/chunks', { chunkId: 0, text: 'x' });
    expect([chunk.status, codeOf(chunk)]).toEqual([404, 'STREAM_NOT_FOUND']);
    const end = await api.post('/v1/messages/42/end', {});
    expect([end.status, codeOf(end)]).toEqual([404, 'STREAM_NOT_FOUND']);
    const patch = await api.patch('/v1/messages/42', { clientMsgNo: 'x' });
    expect([patch.status, codeOf(patch)]).toEqual([404, 'STREAM_NOT_FOUND']);
    const read = await api.get('/v1/messages/42');
    expect([read.status, codeOf(read)]).toEqual([404, 'MESSAGE_NOT_FOUND']);
  });

  it('needs a token, and the produce/subscribe right on the channel', async () => {
    spool = guardedSpool();
    const admin = apiOf(spool, 'admin');
    const { body } = await admin.post<Opened>('/v1/messages', { channelId: 'secret', channelType: 1 });
    const id = body.messageId;
    const nobody = apiOf(spool, 'nobody');
    for (const reply of [
      await nobody.post('/v1/messages', { channelId: 'g', channelType: 1 }),
      await nobody.post(`/v1/messages/${id}/chunks`, { chunkId: 0, text: 'x' }),
      await nobody.post(`/v1/messages/${id}/end`, {}),
      await nobody.patch(`/v1/messages/${id}`, {}),
      await nobody.get(`/v1/messages/${id}`),
      await nobody.get('/v1/messages'),
    ]) {
      expect([reply.status, codeOf(reply)]).toEqual([401, 'UNAUTHENTICATED']);
    }
    const user = apiOf(spool, 'user');
    for (const reply of [
      await user.post('/v1/messages', { channelId: 'secret', channelType: 1 }),
      await user.post(`/v1/messages/${id}/chunks`, { chunkId: 0, text: 'x' }),
      await user.post(`/v1/messages/${id}/end`, {}),
      await user.patch(`/v1/messages/${id}`, { clientMsgNo: 'x' }),
      await user.get(`/v1/messages/${id}`),
      await user.get('/v1/messages?channelId=secret&channelType=1'),
    ]) {
      expect([reply.status, codeOf(reply)]).toEqual([403, 'FORBIDDEN']);
    }
    expect(spool.cache.getStream(id)?.chunkCount).toBe(0);
  });
});

describe('GET /v1/messages', () => {
  it('queries open messages by channel, sender or custom field, a page at a time', async () => {
    spool = guardedSpool();
    const admin = apiOf(spool, 'admin');
    const open = async (meta: Record<string, unknown>) =>
      (await admin.post<Opened>('/v1/messages', meta)).body.messageId;
    const a = await open({
      channelId: 'general',
      channelType: 1,
      fromUid: 'ann',
      customFields: { priority: 'high' },
    });
    const b = await open({
      channelId: 'general',
      channelType: 1,
      fromUid: 'bob',
      customFields: { retryCount: 3 },
    });
    const c = await open({
      channelId: 'support',
      channelType: 2,
      fromUid: 'ann',
      customFields: { priority: 'high' },
    });
    const d = await open({ channelId: 'secret', channelType: 1, fromUid: 'ann' });
    await admin.post(`/v1/messages/${a}/chunks`, { chunkId: 0, text: 'héllo' });

    const ids = (page: Page) => page.items.map((m) => m.messageId);
    const channel = await admin.get<Page>('/v1/messages?channelId=general&channelType=1');
    expect(ids(channel.body)).toEqual([a, b]);
    expect(channel.body.items[0]).toMatchObject({ chunks: 1, bytes: 6, customFields: { priority: 'high' } });
    expect(ids((await admin.get<Page>('/v1/messages?fromUid=ann')).body)).toEqual([a, c, d]);
    expect(ids((await admin.get<Page>('/v1/messages?field=priority&value=high')).body)).toEqual([a, c]);
    expect(ids((await admin.get<Page>('/v1/messages?field=retryCount&value=3')).body)).toEqual([b]);

    const first = await admin.get<Page>('/v1/messages?limit=3');
    expect(ids(first.body)).toEqual([a, b, c]);
    const rest = await admin.get<Page>(`/v1/messages?limit=3&cursor=${first.body.next}`);
    expect(rest.body).toEqual({ items: [expect.objectContaining({ messageId: d })], next: null });

    // A user sees only the channels it may subscribe to.
    expect(ids((await apiOf(spool, 'user').get<Page>('/v1/messages?fromUid=ann')).body)).toEqual([a, c]);
  });

  it('rejects half a filter and a bad channel type', async () => {
    spool = tokenSpool();
    const api = apiOf(spool, 'user');
    const half = await api.get('/v1/messages?channelId=general');
    expect([half.status, codeOf(half)]).toEqual([400, 'BAD_REQUEST']);
    const field = await api.get('/v1/messages?field=priority');
    expect([field.status, codeOf(field)]).toEqual([400, 'BAD_REQUEST']);
    const type = await api.get('/v1/messages?channelId=general&channelType=x');
    expect([type.status, codeOf(type)]).toEqual([400, 'BAD_REQUEST']);
  });
});

describe('channel routes', () => {
  it('ends every stream of a channel (default reason force) and reports whether one is active', async () => {
    spool = tokenSpool();
    const api = apiOf(spool, 'user');
    for (let i = 0; i < 2; i++) await api.post('/v1/messages', { channelId: 'general', channelType: 1 });
    const other = (await api.post<Opened>('/v1/messages', { channelId: 'random', channelType: 1 })).body
      .messageId;
    expect((await api.post('/v1/channels/1/general/end')).body).toEqual({ ended: 2 });
    expect((await api.get('/v1/channels/1/general/active')).body).toEqual({ active: false });
    expect(spool.cache.getStream(other)).toBeDefined();
    await expect
      .poll(async () =>
        (await spool!.store.listAfter({ channelId: 'general', channelType: 1 }, '0-0')).map((m) => m.reason),
      )
      .toEqual(['force', 'force']);
    // A channel with no stream: nothing to end, nothing active.
    expect((await api.post('/v1/channels/1/empty/end', { reason: 'error' })).body).toEqual({ ended: 0 });
    expect((await api.get('/v1/channels/1/empty/active')).body).toEqual({ active: false });
  });

  it('rejects a bad type or reason, and callers without the right', async () => {
    spool = guardedSpool();
    const user = apiOf(spool, 'user');
    const type = await user.post('/v1/channels/x/general/end', {});
    expect([type.status, codeOf(type)]).toEqual([400, 'BAD_REQUEST']);
    const range = await user.get('/v1/channels/256/general/active');
    expect([range.status, codeOf(range)]).toEqual([400, 'BAD_REQUEST']);
    const reason = await user.post('/v1/channels/1/general/end', { reason: 'later' });
    expect([reason.status, codeOf(reason)]).toEqual([400, 'BAD_REQUEST']);
    const nobody = await apiOf(spool, 'nobody').post('/v1/channels/1/general/end', {});
    expect([nobody.status, codeOf(nobody)]).toEqual([401, 'UNAUTHENTICATED']);
    const forbidden = await user.post('/v1/channels/1/secret/end', {});
    expect([forbidden.status, codeOf(forbidden)]).toEqual([403, 'FORBIDDEN']);
    const peek = await user.get('/v1/channels/1/secret/active');
    expect([peek.status, codeOf(peek)]).toEqual([403, 'FORBIDDEN']);
  });
});
