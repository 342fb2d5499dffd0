import { MemoryBroker } from '@spool/core';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisBroker } from '../../broker';
import { adminClient, deleteKeys, nextPrefix, TEST_REDIS_URL } from '../../broker/redis-test-env';
import type { SpoolInstance } from '../../spool';
import { apiOf, codeOf, enc, tokenSpool } from './__tests__/route-kit';

let spool: SpoolInstance | undefined;
afterEach(async () => {
  await spool?.close();
  spool = undefined;
});

type Entries = { entries: Array<{ id: string; fields: Record<string, string> }> };

describe('broker routes', () => {
  it('add and range: 201 with the ID, entries in either order, [] for a missing key', async () => {
    spool = tokenSpool();
    const api = apiOf(spool, 'user');
    const a = await api.post<{ id: string }>('/v1/streams/jobs/entries', {
      fields: { kind: 'email' },
      id: '1-1',
    });
    expect([a.status, a.body]).toEqual([201, { id: '1-1' }]);
    const b = await api.post<{ id: string }>('/v1/streams/jobs/entries', { fields: { kind: 'sms' } });
    expect(b.body.id).toMatch(/^\d+-\d+$/);
    const forward = await api.get<Entries>('/v1/streams/jobs/entries');
    expect(forward.body.entries.map((e) => e.fields.kind)).toEqual(['email', 'sms']);
    const plus = await api.get<Entries>('/v1/streams/jobs/entries?start=-&end=+'); // a raw `+` reads as a space
    expect(plus.body.entries).toHaveLength(2);
    const backward = await api.get<Entries>('/v1/streams/jobs/entries?rev=1&count=1');
    expect(backward.body.entries).toEqual([{ id: b.body.id, fields: { kind: 'sms' } }]);
    expect((await api.get<Entries>('/v1/streams/nothing/entries')).body).toEqual({ entries: [] });
    const trimmed = await api.post('/v1/streams/jobs/entries', { fields: { kind: 'push' }, maxLen: 1 });
    expect(trimmed.status).toBe(201);
    expect(await spool.broker.xlen('jobs')).toBe(1);
  });

  it('add: bad bodies and IDs get their codes; callers need a token and may not use `$` keys', async () => {
    spool = tokenSpool();
    const api = apiOf(spool, 'user');
    for (const body of [{}, { fields: {} }, { fields: { n: 1 } }, { fields: { a: 'b' }, maxLen: -1 }]) {
      const reply = await api.post('/v1/streams/jobs/entries', body);
      expect([reply.status, codeOf(reply)]).toEqual([400, 'BAD_REQUEST']);
    }
    const badId = await api.post('/v1/streams/jobs/entries', { fields: { a: 'b' }, id: 'first' });
    expect([badId.status, codeOf(badId)]).toEqual([400, 'INVALID_STREAM_ID']);
    await api.post('/v1/streams/jobs/entries', { fields: { a: 'b' }, id: '5-0' });
    const small = await api.post('/v1/streams/jobs/entries', { fields: { a: 'b' }, id: '4-0' });
    expect([small.status, codeOf(small)]).toEqual([409, 'ID_TOO_SMALL']);
    const badCount = await api.get('/v1/streams/jobs/entries?count=0');
    expect([badCount.status, codeOf(badCount)]).toEqual([400, 'BAD_REQUEST']);
    const nobody = await apiOf(spool, 'nobody').post('/v1/streams/jobs/entries', { fields: { a: 'b' } });
    expect([nobody.status, codeOf(nobody)]).toEqual([401, 'UNAUTHENTICATED']);
    const reserved = await api.get(`/v1/streams/${enc('$internal')}/entries`);
    expect([reserved.status, codeOf(reserved)]).toEqual([403, 'FORBIDDEN']);
  });

  it('groups: create, read as a consumer, ack, pending, autoclaim, info', async () => {
    spool = tokenSpool();
    const api = apiOf(spool, 'user');
    const created = await api.post('/v1/streams/jobs/groups', { group: 'workers', id: '0', mkStream: true });
    expect([created.status, created.body]).toEqual([201, { ok: true }]);
    const busy = await api.post('/v1/streams/jobs/groups', { group: 'workers' });
    expect([busy.status, codeOf(busy)]).toEqual([409, 'BUSYGROUP']);
    const missing = await api.post('/v1/streams/nokey/groups', { group: 'workers' });
    expect([missing.status, codeOf(missing)]).toEqual([404, 'NO_SUCH_KEY']);
    const noName = await api.post('/v1/streams/jobs/groups', { id: '0' });
    expect([noName.status, codeOf(noName)]).toEqual([400, 'BAD_REQUEST']);

    for (let i = 1; i <= 3; i++)
      await api.post('/v1/streams/jobs/entries', { fields: { n: String(i) }, id: `${i}-0` });
    const read = await api.get<Entries>('/v1/streams/jobs/groups/workers/consumers/w1?count=2');
    expect(read.body.entries.map((e) => e.id)).toEqual(['1-0', '2-0']);
    const history = await api.get<Entries>('/v1/streams/jobs/groups/workers/consumers/w1?id=0');
    expect(history.body.entries.map((e) => e.id)).toEqual(['1-0', '2-0']);
    const noGroup = await api.get('/v1/streams/jobs/groups/nope/consumers/w1');
    expect([noGroup.status, codeOf(noGroup)]).toEqual([404, 'NOGROUP']);

    const summary = await api.get('/v1/streams/jobs/groups/workers/pending');
    expect(summary.body).toEqual({
      count: 2,
      smallest: '1-0',
      largest: '2-0',
      consumers: [{ name: 'w1', pending: 2 }],
    });
    const extended = await api.get<{ entries: Array<{ id: string; consumer: string; deliveries: number }> }>(
      '/v1/streams/jobs/groups/workers/pending?start=-&end=%2B&count=10',
    );
    expect(extended.body.entries.map((e) => [e.id, e.consumer, e.deliveries])).toEqual([
      ['1-0', 'w1', 2],
      ['2-0', 'w1', 2],
    ]);
    const pendingNoGroup = await api.get('/v1/streams/jobs/groups/nope/pending');
    expect([pendingNoGroup.status, codeOf(pendingNoGroup)]).toEqual([404, 'NOGROUP']);

    const acked = await api.post('/v1/streams/jobs/groups/workers/ack', { ids: ['1-0', '9-9'] });
    expect(acked.body).toEqual({ acked: 1 });
    const emptyAck = await api.post('/v1/streams/jobs/groups/workers/ack', { ids: [] });
    expect([emptyAck.status, codeOf(emptyAck)]).toEqual([400, 'BAD_REQUEST']);

    await spool.broker.xdel('jobs', ['2-0']);
    const claimed = await api.post('/v1/streams/jobs/groups/workers/autoclaim', {
      consumer: 'w2',
      minIdleMs: 0,
    });
    expect(claimed.body).toEqual({ next: '0-0', entries: [], deleted: ['2-0'] });
    await api.get('/v1/streams/jobs/groups/workers/consumers/w1');
    const stolen = await api.post<{ entries: Array<{ id: string }> }>(
      '/v1/streams/jobs/groups/workers/autoclaim',
      {
        consumer: 'w2',
        minIdleMs: 0,
        count: 5,
      },
    );
    expect(stolen.body.entries.map((e) => e.id)).toEqual(['3-0']);
    const badClaim = await api.post('/v1/streams/jobs/groups/workers/autoclaim', { minIdleMs: 0 });
    expect([badClaim.status, codeOf(badClaim)]).toEqual([400, 'BAD_REQUEST']);
    const claimNoGroup = await api.post('/v1/streams/jobs/groups/nope/autoclaim', {
      consumer: 'w2',
      minIdleMs: 0,
    });
    expect([claimNoGroup.status, codeOf(claimNoGroup)]).toEqual([404, 'NOGROUP']);

    const info = await api.get('/v1/streams/jobs');
    expect(info.body).toEqual({
      key: 'jobs',
      length: 2,
      firstId: '1-0',
      lastId: '3-0',
      groups: [
        {
          name: 'workers',
          consumers: [
            { name: 'w1', pending: 0, idle: expect.any(Number) },
            { name: 'w2', pending: 1, idle: expect.any(Number) },
          ],
          pending: 1,
          lastDeliveredId: '3-0',
          entriesRead: 3,
          lag: 0,
        },
      ],
    });
    const noKey = await api.get('/v1/streams/nokey');
    expect([noKey.status, codeOf(noKey)]).toEqual([404, 'NO_SUCH_KEY']);
    for (const reply of [
      await apiOf(spool, 'nobody').get('/v1/streams/jobs'),
      await apiOf(spool, 'nobody').get('/v1/streams/jobs/groups/workers/consumers/w1'),
      await apiOf(spool, 'nobody').post('/v1/streams/jobs/groups/workers/ack', { ids: ['3-0'] }),
      await apiOf(spool, 'nobody').get('/v1/streams/jobs/groups/workers/pending'),
      await apiOf(spool, 'nobody').post('/v1/streams/jobs/groups/workers/autoclaim', {
        consumer: 'x',
        minIdleMs: 0,
      }),
      await apiOf(spool, 'nobody').post('/v1/streams/jobs/groups', { group: 'g' }),
    ]) {
      expect([reply.status, codeOf(reply)]).toEqual([401, 'UNAUTHENTICATED']);
    }
  });

  it('a blocking read waits for the next entry, and a client that leaves stops waiting', async () => {
    const broker = new MemoryBroker();
    spool = tokenSpool({ broker });
    const api = apiOf(spool, 'user');
    await api.post('/v1/streams/jobs/groups', { group: 'workers', mkStream: true });
    const waiting = api.get<Entries>('/v1/streams/jobs/groups/workers/consumers/w1?block=20000');
    await expect.poll(() => broker.blockedReaders).toBe(1);
    await api.post('/v1/streams/jobs/entries', { fields: { n: '1' }, id: '7-0' });
    expect((await waiting).body.entries).toEqual([{ id: '7-0', fields: { n: '1' } }]);

    const controller = new AbortController();
    const left = spool.fetch(
      new Request('http://localhost/v1/streams/jobs/groups/workers/consumers/w1?block=0', {
        headers: { authorization: 'Bearer user-token-0001' },
        signal: controller.signal,
      }),
    );
    await expect.poll(() => broker.blockedReaders).toBe(1);
    controller.abort();
    expect((await left).status).toBe(200);
    expect(broker.blockedReaders).toBe(0);
    await broker.close();
  });

  it('admin: delete a consumer, destroy a group, list the known streams', async () => {
    spool = tokenSpool();
    const admin = apiOf(spool, 'admin');
    const user = apiOf(spool, 'user');
    await user.post('/v1/streams/jobs/groups', { group: 'workers', id: '0', mkStream: true });
    await user.post('/v1/streams/jobs/entries', { fields: { n: '1' } });
    await user.get('/v1/streams/jobs/groups/workers/consumers/w1');

    const forbidden = await user.delete('/v1/streams/jobs/groups/workers/consumers/w1');
    expect([forbidden.status, codeOf(forbidden)]).toEqual([403, 'FORBIDDEN']);
    const deleted = await admin.delete('/v1/streams/jobs/groups/workers/consumers/w1');
    expect(deleted.body).toEqual({ pending: 1 });
    const noGroup = await admin.delete('/v1/streams/jobs/groups/nope/consumers/w1');
    expect([noGroup.status, codeOf(noGroup)]).toEqual([404, 'NOGROUP']);

    const userDestroy = await user.delete('/v1/streams/jobs/groups/workers');
    expect([userDestroy.status, codeOf(userDestroy)]).toEqual([403, 'FORBIDDEN']);
    expect((await admin.delete('/v1/streams/jobs/groups/workers')).body).toEqual({ destroyed: true });
    expect((await admin.delete('/v1/streams/jobs/groups/workers')).body).toEqual({ destroyed: false });
    const noKey = await admin.delete('/v1/streams/nokey/groups/workers');
    expect([noKey.status, codeOf(noKey)]).toEqual([404, 'NO_SUCH_KEY']);

    await user.post('/v1/streams/alpha/entries', { fields: { n: '1' }, id: '3-0' });
    type Page = { items: Array<{ key: string; length: number; lastId: string | null }>; next: string | null };
    const first = await admin.get<Page>('/v1/streams?limit=1');
    // spool:completed does not exist yet (no message has ended): only existing streams are listed.
    expect(first.body.items).toEqual([{ key: 'alpha', length: 1, lastId: '3-0', groups: [] }]);
    const second = await admin.get<Page>(`/v1/streams?limit=5&cursor=${enc(first.body.next!)}`);
    expect(second.body).toEqual({ items: [expect.objectContaining({ key: 'jobs', length: 1 })], next: null });
    const userList = await user.get('/v1/streams');
    expect([userList.status, codeOf(userList)]).toEqual([403, 'FORBIDDEN']);
    const nobody = await apiOf(spool, 'nobody').delete('/v1/streams/jobs/groups/workers');
    expect([nobody.status, codeOf(nobody)]).toEqual([401, 'UNAUTHENTICATED']);
  });
});

describe('broker routes over RedisBroker (real Redis)', () => {
  it('add, group, read, ack, pending and info behave the same on Redis', async () => {
    const prefix = nextPrefix();
    const admin = adminClient();
    const broker = new RedisBroker({ url: TEST_REDIS_URL, keyPrefix: prefix });
    try {
      await broker.ping(); // fails loudly when Redis is down
      spool = tokenSpool({ broker });
      const api = apiOf(spool, 'user');
      expect(
        (await api.post('/v1/streams/jobs/groups', { group: 'workers', id: '0', mkStream: true })).status,
      ).toBe(201);
      const busy = await api.post('/v1/streams/jobs/groups', { group: 'workers' });
      expect(codeOf(busy)).toBe('BUSYGROUP');
      for (let i = 1; i <= 2; i++)
        await api.post('/v1/streams/jobs/entries', { fields: { n: String(i) }, id: `${i}-0` });
      const read = await api.get<Entries>('/v1/streams/jobs/groups/workers/consumers/w1');
      expect(read.body.entries).toEqual([
        { id: '1-0', fields: { n: '1' } },
        { id: '2-0', fields: { n: '2' } },
      ]);
      expect((await api.post('/v1/streams/jobs/groups/workers/ack', { ids: ['1-0'] })).body).toEqual({
        acked: 1,
      });
      expect((await api.get('/v1/streams/jobs/groups/workers/pending')).body).toEqual({
        count: 1,
        smallest: '2-0',
        largest: '2-0',
        consumers: [{ name: 'w1', pending: 1 }],
      });
      const noGroup = await api.get('/v1/streams/jobs/groups/nope/consumers/w1');
      expect([noGroup.status, codeOf(noGroup)]).toEqual([404, 'NOGROUP']);
      expect((await api.get('/v1/streams/jobs')).body).toMatchObject({
        key: 'jobs',
        length: 2,
        firstId: '1-0',
        lastId: '2-0',
      });
      const listed = await apiOf(spool, 'admin').get<{ items: Array<{ key: string }> }>('/v1/streams');
      expect(listed.body.items.map((s) => s.key)).toEqual(['jobs']);
    } finally {
      await spool?.close();
      spool = undefined;
      await broker.close();
      await deleteKeys(admin, prefix);
      admin.disconnect();
    }
  });
});
