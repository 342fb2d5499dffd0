import { afterEach, describe, expect, it } from 'vitest';
import type { SpoolInstance } from '../../spool';
import { apiOf, codeOf, enc, tokenSpool } from './__tests__/route-kit';

let spool: SpoolInstance | undefined;
afterEach(async () => {
  await spool?.close();
  spool = undefined;
});

type History = Array<{ id: string; event: string; data: unknown }>;

describe('POST /v1/topics/:topic/events', () => {
  it('publishes with the default event name `message` and answers 201 with the event ID', async () => {
    spool = tokenSpool();
    const api = apiOf(spool, 'user');
    const first = await api.post<{ id: string }>(`/v1/topics/${enc('news:world')}/events`, {
      data: { title: 'hi' },
    });
    expect(first.status).toBe(201);
    expect(first.body.id).toMatch(/^\d+-\d+$/);
    const named = await api.post<{ id: string }>(`/v1/topics/${enc('news:world')}/events`, {
      event: 'alert',
      data: 7,
    });
    expect(named.status).toBe(201);
    const history = await api.get<History>(`/v1/topics/${enc('news:world')}/history`);
    expect(history.body).toEqual([
      { id: first.body.id, event: 'message', data: { title: 'hi' } },
      { id: named.body.id, event: 'alert', data: 7 },
    ]);
    expect(spool.published).toBe(2);
  });

  it('applies a repeated idempotency key once per principal', async () => {
    spool = tokenSpool();
    const api = apiOf(spool, 'user');
    const a = await api.post<{ id: string }>('/v1/topics/orders/events', { data: 1, key: 'order-42' });
    const b = await api.post<{ id: string }>('/v1/topics/orders/events', { data: 1, key: 'order-42' });
    expect(b.body.id).toBe(a.body.id);
    const c = await apiOf(spool, 'admin').post<{ id: string }>('/v1/topics/orders/events', {
      data: 1,
      key: 'order-42',
    });
    expect(c.body.id).not.toBe(a.body.id);
    expect((await api.get<History>('/v1/topics/orders/history')).body).toHaveLength(2);
  });

  it('rejects a bad body with BAD_REQUEST and a bad topic name with INVALID_TOPIC', async () => {
    spool = tokenSpool();
    const api = apiOf(spool, 'user');
    const missing = await api.post('/v1/topics/t/events', { event: 'x' });
    expect([missing.status, codeOf(missing)]).toEqual([400, 'BAD_REQUEST']);
    expect(JSON.stringify(missing.body)).toContain('`data` is required');
    const wrongType = await api.post('/v1/topics/t/events', { event: 5, data: 1 });
    expect([wrongType.status, codeOf(wrongType)]).toEqual([400, 'BAD_REQUEST']);
    const notJson = await api.post('/v1/topics/t/events', undefined, { rawBody: '{"data":' });
    expect([notJson.status, codeOf(notJson)]).toEqual([400, 'BAD_REQUEST']);
    const badTopic = await api.post(`/v1/topics/${enc('a\nb')}/events`, { data: 1 });
    expect([badTopic.status, codeOf(badTopic)]).toEqual([400, 'INVALID_TOPIC']);
  });

  it('needs a token, and the admin role for `$` topics', async () => {
    spool = tokenSpool();
    const anonymous = await apiOf(spool, 'nobody').post('/v1/topics/t/events', { data: 1 });
    expect([anonymous.status, codeOf(anonymous)]).toEqual([401, 'UNAUTHENTICATED']);
    const sys = await apiOf(spool, 'user').post(`/v1/topics/${enc('$sys')}/events`, { data: 1 });
    expect([sys.status, codeOf(sys)]).toEqual([403, 'FORBIDDEN']);
  });
});

describe('GET /v1/topics/:topic/history', () => {
  it('streams the retained events after `after`, at most `limit`', async () => {
    spool = tokenSpool();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await spool.publish('ticks', { i }, { event: 'tick' }));
    const api = apiOf(spool, 'user');
    const all = await api.get<History>('/v1/topics/ticks/history');
    expect(all.status).toBe(200);
    expect(all.headers.get('content-type')).toMatch(/^application\/json/);
    expect(all.body.map((e) => e.id)).toEqual(ids);
    const after = await api.get<History>(`/v1/topics/ticks/history?after=${ids[1]}`);
    expect(after.body.map((e) => (e.data as { i: number }).i)).toEqual([2, 3, 4]);
    const limited = await api.get<History>(`/v1/topics/ticks/history?after=${ids[0]}&limit=2`);
    expect(limited.body.map((e) => e.id)).toEqual([ids[1], ids[2]]);
  });

  it('rejects a malformed `after` or `limit`, an unknown topic, and callers without access', async () => {
    spool = tokenSpool();
    await spool.publish('ticks', 1, { event: 'tick' });
    await spool.publish('$private', 1, { event: 'tick' });
    const api = apiOf(spool, 'user');
    const badAfter = await api.get('/v1/topics/ticks/history?after=yesterday');
    expect([badAfter.status, codeOf(badAfter)]).toEqual([400, 'INVALID_EVENT_ID']);
    const badLimit = await api.get('/v1/topics/ticks/history?limit=0');
    expect([badLimit.status, codeOf(badLimit)]).toEqual([400, 'BAD_REQUEST']);
    const unknown = await api.get('/v1/topics/nothing-here/history');
    expect([unknown.status, codeOf(unknown)]).toEqual([404, 'TOPIC_NOT_FOUND']);
    const anonymous = await apiOf(spool, 'nobody').get('/v1/topics/ticks/history');
    expect([anonymous.status, codeOf(anonymous)]).toEqual([401, 'UNAUTHENTICATED']);
    const forbidden = await api.get(`/v1/topics/${enc('$private')}/history`);
    expect([forbidden.status, codeOf(forbidden)]).toEqual([403, 'FORBIDDEN']);
  });
});

describe('GET /v1/topics (admin)', () => {
  it('lists topic stats by name, a page at a time', async () => {
    spool = tokenSpool();
    for (const name of ['c', 'a', 'b', 'd']) await spool.publish(name, name);
    const api = apiOf(spool, 'admin');
    type Page = { items: Array<{ name: string; retainedEvents: number }>; next: string | null };
    const first = await api.get<Page>('/v1/topics?limit=3');
    expect(first.body.items.map((t) => t.name)).toEqual(['a', 'b', 'c']);
    expect(first.body.items[0]!.retainedEvents).toBe(1);
    expect(first.body.next).not.toBeNull();
    const second = await api.get<Page>(`/v1/topics?limit=3&cursor=${enc(first.body.next!)}`);
    expect(second.body).toEqual({ items: [expect.objectContaining({ name: 'd' })], next: null });
  });

  it('needs the admin role and a valid limit', async () => {
    spool = tokenSpool();
    const user = await apiOf(spool, 'user').get('/v1/topics');
    expect([user.status, codeOf(user)]).toEqual([403, 'FORBIDDEN']);
    const anonymous = await apiOf(spool, 'nobody').get('/v1/topics');
    expect([anonymous.status, codeOf(anonymous)]).toEqual([401, 'UNAUTHENTICATED']);
    const tooMany = await apiOf(spool, 'admin').get('/v1/topics?limit=5000');
    expect([tooMany.status, codeOf(tooMany)]).toEqual([400, 'BAD_REQUEST']);
  });
});
