import { type ChannelHistoryPage, COMPLETED_STREAM, MemoryMessageStore, SpoolError } from '@spool/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { SpoolInstance } from '../../spool';
import { apiOf, codeOf, tokenSpool } from './__tests__/route-kit';

let spool: SpoolInstance | undefined;
afterEach(async () => {
  await spool?.close();
  spool = undefined;
});

type Api = ReturnType<typeof apiOf>;

async function produce(api: Api, channelId: string, chunks: string[], end = true): Promise<string> {
  const open = await api.post<{ messageId: string }>('/v1/messages', { channelId, channelType: 1 });
  expect(open.status).toBe(201);
  const id = open.body.messageId;
  for (const [chunkId, text] of chunks.entries())
    expect((await api.post(`/v1/messages/${id}/chunks`, { chunkId, text })).status).toBe(200);
  if (end) expect((await api.post(`/v1/messages/${id}/end`, { reason: 'success' })).status).toBe(200);
  return id;
}

async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (let i = 0; ; i++) {
    const v = await read();
    if (ok(v)) return v;
    if (i > 2000) throw new Error(`never reached: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const ended = (api: Api, id: string) =>
  eventually(
    () => api.get<{ status: string }>(`/v1/messages/${id}`),
    (r) => r.body.status === 'ended',
  );

/** A memory store that fails every save while `down` is set (a store outage). */
class FlakyStore extends MemoryMessageStore {
  down = false;
  override save(...args: Parameters<MemoryMessageStore['save']>) {
    if (this.down) return Promise.reject(new SpoolError('STORE_UNAVAILABLE', 'the store is down'));
    return super.save(...args);
  }
}

describe('GET /v1/channels/:type/:id/messages', () => {
  it('pages a channel newest first by event ID, finished and streaming messages alike, each once', async () => {
    spool = tokenSpool();
    const api = apiOf(spool, 'user');
    const finished: string[] = [];
    for (let i = 0; i < 5; i++) {
      finished.push(await produce(api, 'history', [`message `, `${i}`]));
      await ended(api, finished.at(-1)!);
    }
    await produce(api, 'elsewhere', ['not this channel']);
    const streaming = await produce(api, 'history', ['still ', 'writing'], false);

    const seen: ChannelHistoryPage['items'] = [];
    let before: string | null = null;
    let pages = 0;
    do {
      const q: string = before === null ? '?limit=2' : `?limit=2&before=${before}`;
      const page = await api.get<ChannelHistoryPage>(`/v1/channels/1/history/messages${q}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items);
      before = page.body.next;
      pages++;
    } while (before !== null);
    expect(pages).toBe(3);
    expect(seen.map((m) => m.messageId)).toEqual([streaming, ...[...finished].reverse()]);
    expect(seen[0]).toMatchObject({
      text: 'still writing',
      status: 'streaming',
      persisted: false,
      lastChunkId: 1,
    });
    expect(seen.slice(1).map((m) => [m.text, m.status, m.reason, m.persisted])).toEqual(
      [4, 3, 2, 1, 0].map((i) => [`message ${i}`, 'ended', 'success', true]),
    );
    for (const m of seen) expect(m.meta).toMatchObject({ messageId: m.messageId, channelId: 'history' });

    // The default page is 50: everything at once, no cursor.
    const all = await api.get<ChannelHistoryPage>('/v1/channels/1/history/messages');
    expect(all.body.items).toHaveLength(6);
    expect(all.body.next).toBeNull();
    // A channel with nothing yet is an empty page, not an error.
    expect((await api.get('/v1/channels/1/quiet/messages')).body).toEqual({ items: [], next: null });
  });

  it('refuses bad input with typed errors, and a channel the caller may not read', async () => {
    spool = tokenSpool({
      auth: {
        tokens: { admin: ['admin-token-0001'], user: ['user-token-0001'] },
        authorize: (p, action, topic) =>
          p.role === 'admin' || (action !== 'admin' && topic !== 'chan:1:secret'),
      },
    });
    const api = apiOf(spool, 'user');
    const cases: Array<[string, number, string]> = [
      ['/v1/channels/1/general/messages?before=yesterday', 400, 'INVALID_EVENT_ID'],
      ['/v1/channels/1/general/messages?before=1-2-3', 400, 'INVALID_EVENT_ID'],
      ['/v1/channels/1/general/messages?limit=0', 400, 'BAD_REQUEST'],
      ['/v1/channels/1/general/messages?limit=1001', 400, 'BAD_REQUEST'],
      ['/v1/channels/1/general/messages?limit=ten', 400, 'BAD_REQUEST'],
      ['/v1/channels/256/general/messages', 400, 'BAD_REQUEST'],
      ['/v1/channels/1/secret/messages', 403, 'FORBIDDEN'],
    ];
    for (const [path, status, code] of cases) {
      const reply = await api.get(path);
      expect([path, reply.status, codeOf(reply)]).toEqual([path, status, code]);
    }
    expect((await apiOf(spool, 'nobody').get('/v1/channels/1/general/messages')).status).toBe(401);
  });

  it('shows a message whose save failed as not persisted, until a replay saves it', async () => {
    const store = new FlakyStore();
    // A 2-event channel log: an unsaved message's events stay in it past that (they are
    // pinned until it is saved), and only the replay's save lets them go.
    spool = tokenSpool({
      store,
      retry: { maxAttempts: 1, baseMs: 1, maxMs: 1 },
      topics: { channelRetention: { maxEvents: 2 } },
    });
    const api = apiOf(spool, 'admin');
    const kept = await produce(api, 'outage', ['saved']);
    await ended(api, kept);
    store.down = true;
    const lost = await produce(api, 'outage', ['only ', 'in memory']);
    const letters = await eventually(
      () => api.get<{ items: Array<{ messageId: string; text: string }> }>('/v1/dead-letters'),
      (r) => r.body.items.length === 1,
    );
    expect(letters.body.items[0]).toMatchObject({ messageId: lost, text: 'only in memory' });
    expect((await api.get<{ store: unknown }>('/v1/stats')).body.store).toEqual({
      kind: 'memory',
      messages: 1,
      outboxBacklog: 0,
      deadLetters: 1,
    });
    const during = await api.get<ChannelHistoryPage>('/v1/channels/1/outage/messages');
    expect(during.body.items.map((m) => [m.messageId, m.text, m.status, m.persisted])).toEqual([
      [lost, 'only in memory', 'ended', false],
      [kept, 'saved', 'ended', true],
    ]);
    // Still down: the replay keeps it, and says why.
    expect((await api.post('/v1/dead-letters/replay')).body).toEqual({
      saved: [],
      remaining: 1,
      error: 'the store is down',
    });

    const retained = () => spool!.topics.get('chan:1:outage')!.stats().retainedEvents;
    expect(retained()).toBeGreaterThanOrEqual(4);

    store.down = false;
    expect((await api.post('/v1/dead-letters/replay')).body).toEqual({ saved: [lost], remaining: 0 });
    expect(retained()).toBeLessThanOrEqual(2);
    const after = await api.get<ChannelHistoryPage>('/v1/channels/1/outage/messages');
    expect(after.body.items.map((m) => [m.messageId, m.persisted])).toEqual([
      [lost, true],
      [kept, true],
    ]);
    expect((await store.get(lost))?.text).toBe('only in memory');
    // The memory store records no completions: the pipeline wrote one per message at its end.
    const records = await spool.broker.xrange(COMPLETED_STREAM, '-', '+');
    expect(records.map((r) => [r.fields?.messageId, r.fields?.persisted])).toEqual([
      [kept, 'true'],
      [lost, 'false'],
    ]);
    expect((await apiOf(spool, 'user').get('/v1/dead-letters')).status).toBe(403);
  });
});
