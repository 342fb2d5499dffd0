import { COMPLETED_STREAM } from '@spool/core';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { TestClient } from '../__tests__/helpers';
import { adminClient, deleteKeys, nextPrefix, runPrefix } from '../broker/redis-test-env';
import { spoolDefaults } from '../options';
import { call, endOf, startCluster, type TestInstance, topicEvents } from './cluster-test-kit';

// Three in-process Spool servers on one real Redis: the owner records, forwarded writes,
// shared reads, takeover and fencing of docs/architecture.md, "Messages across instances".

const admin = adminClient();
const cleanup: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});
afterAll(async () => {
  await deleteKeys(admin, runPrefix);
  admin.disconnect();
});

const CHANNEL = { channelId: 'general', channelType: 1 };
const TOPIC = 'chan:1:general';

async function cluster(names = ['A', 'B', 'C'], options: Parameters<typeof startCluster>[2] = {}) {
  const prefix = nextPrefix();
  const c = await startCluster(prefix, names, options);
  cleanup.push(
    () => c.close(),
    () => deleteKeys(admin, prefix),
  );
  return { ...c, prefix };
}

/** The completion records of a message on the shared `spool:completed` stream. */
async function completionsOf(prefix: string, messageId: string): Promise<number> {
  const entries = await admin.xrange(`${prefix}${COMPLETED_STREAM}`, '-', '+');
  return entries.filter(([, fields]) => fields[fields.indexOf('messageId') + 1] === messageId).length;
}

async function openOn(at: TestInstance, extra: Record<string, unknown> = {}): Promise<string> {
  const opened = await call(at.url, 'POST', '/v1/messages', { ...CHANNEL, ...extra });
  expect(opened.status).toBe(201);
  return opened.body.messageId as string;
}

describe('messages across instances', () => {
  it('answers every message route on a non-owner with the owner’s answer', async () => {
    const { instances } = await cluster();
    const [a, b, c] = instances as [TestInstance, TestInstance, TestInstance];
    const messageId = await openOn(a, { fromUid: 'bot', customFields: { model: 'm1', turn: 3 } });

    // Writes on B and C reach A.
    const chunk0 = await call(b.url, 'POST', `/v1/messages/${messageId}/chunks`, { chunkId: 0, text: 'Hel' });
    expect(chunk0.status).toBe(200);
    expect(typeof chunk0.body.id).toBe('string');
    const chunk1 = await call(c.url, 'POST', `/v1/messages/${messageId}/chunks`, { chunkId: 1, text: 'lo' });
    expect(chunk1.status).toBe(200);
    const patched = await call(b.url, 'PATCH', `/v1/messages/${messageId}`, {
      customFields: { model: 'm2', turn: null },
    });
    expect(patched.status).toBe(200);
    expect((patched.body.meta as { customFields: unknown }).customFields).toEqual({ model: 'm2' });
    // The owner's cache holds what the non-owners wrote.
    expect(a.spool.cache.getStream(messageId)?.text()).toBe('Hello');
    expect(a.spool.cache.getStream(messageId)?.meta.customFields).toEqual({ model: 'm2' });

    // Reads answer the same everywhere.
    const reads = await Promise.all(instances.map((i) => call(i.url, 'GET', `/v1/messages/${messageId}`)));
    for (const r of reads) {
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        text: 'Hello',
        chunks: 2,
        lastChunkId: 1,
        bytes: 5,
        status: 'streaming',
      });
      expect((r.body.meta as { customFields: unknown }).customFields).toEqual({ model: 'm2' });
    }
    for (const query of ['', '?channelId=general&channelType=1', '?fromUid=bot', '?field=model&value=m2']) {
      const lists = await Promise.all(instances.map((i) => call(i.url, 'GET', `/v1/messages${query}`)));
      for (const l of lists) {
        expect(l.status).toBe(200);
        expect((l.body.items as { messageId: string }[]).map((m) => m.messageId)).toEqual([messageId]);
        expect(l.body.items).toEqual(lists[0]!.body.items);
      }
    }
    expect((await call(c.url, 'GET', '/v1/messages?field=model&value=m1')).body.items).toEqual([]);
    for (const i of instances) {
      expect((await call(i.url, 'GET', '/v1/channels/1/general/active')).body).toEqual({ active: true });
    }

    // End on C: A completes it (store, msg.end on its topic).
    const ended = await call(c.url, 'POST', `/v1/messages/${messageId}/end`, { reason: 'success' });
    expect(ended).toEqual({ status: 200, body: { messageId, reason: 'success' } });
    await endOf(a.spool, TOPIC, messageId);
    for (const i of instances) {
      const r = await call(i.url, 'GET', `/v1/messages/${messageId}`);
      expect(r.body).toMatchObject({ text: 'Hello', status: 'ended', reason: 'success' });
      expect((await call(i.url, 'GET', '/v1/channels/1/general/active')).body).toEqual({ active: false });
      expect((await call(i.url, 'GET', '/v1/messages')).body.items).toEqual([]);
    }
    const ends = (await topicEvents(a.spool, TOPIC)).filter((e) => e.event === 'msg.end');
    expect(ends.map((e) => e.data)).toEqual([{ messageId, reason: 'success', persisted: true }]);

    // Writes after the end are refused everywhere, as on the owner.
    for (const i of instances) {
      const late = await call(i.url, 'POST', `/v1/messages/${messageId}/chunks`, { chunkId: 2, text: '!' });
      expect((late.body.error as { code: string }).code).toBe('STREAM_NOT_FOUND');
    }
  });

  it('ends a channel’s messages on every owner from any instance', async () => {
    const { instances } = await cluster();
    const [a, b, c] = instances as [TestInstance, TestInstance, TestInstance];
    const onA = await openOn(a);
    const onB = await openOn(b);
    const res = await call(c.url, 'POST', '/v1/channels/1/general/end', { reason: 'force' });
    expect(res).toEqual({ status: 200, body: { ended: 2 } });
    await Promise.all([endOf(a.spool, TOPIC, onA), endOf(b.spool, TOPIC, onB)]);
    expect((await call(c.url, 'GET', `/v1/messages/${onA}`)).body).toMatchObject({
      status: 'ended',
      reason: 'force',
    });
    expect((await call(a.url, 'GET', `/v1/messages/${onB}`)).body).toMatchObject({
      status: 'ended',
      reason: 'force',
    });
  });

  it('ends a channel from any instance while one of its messages is still finishing on its owner', async () => {
    const { instances, store } = await cluster();
    const [a, , c] = instances as [TestInstance, TestInstance, TestInstance];
    const finishing = await openOn(a);
    const open = await openOn(a);
    // The owner's save of `finishing` is held: its stream is closed, its record still open.
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const save = store.save.bind(store);
    store.save = async (m) => {
      if (m.messageId === finishing) await held;
      return save(m);
    };
    expect((await call(a.url, 'POST', `/v1/messages/${finishing}/end`, {})).status).toBe(200);
    const res = await call(c.url, 'POST', '/v1/channels/1/general/end', { reason: 'force' });
    release();
    expect(res).toEqual({ status: 200, body: { ended: 1 } });
    await endOf(a.spool, TOPIC, open);
    expect((await call(c.url, 'GET', `/v1/messages/${open}`)).body).toMatchObject({
      status: 'ended',
      reason: 'force',
    });
  });

  it('msg.cancel on C aborts the producer’s signal on A; the message ends cancelled everywhere', async () => {
    const { instances, prefix } = await cluster();
    const [a, b, c] = instances as [TestInstance, TestInstance, TestInstance];
    let aborted: unknown;
    const run = await a.spool.run(CHANNEL, async (write, signal) => {
      await write('partial ');
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      aborted = signal.reason;
    });
    const ws = await TestClient.connect(c.wsUrl);
    cleanup.push(() => ws.close());
    const ack = await ws.request({ op: 'msg.cancel', messageId: run.messageId });
    expect(ack.op).toBe('ack');
    expect(await run.done).toBe('cancelled');
    await a.spool.messages.drain(); // the completion record follows msg.end
    expect((aborted as { code?: string }).code).toBe('ABORTED');
    for (const i of [a, b, c]) {
      const r = await call(i.url, 'GET', `/v1/messages/${run.messageId}`);
      expect(r.body).toMatchObject({ status: 'ended', reason: 'cancelled', text: 'partial ' });
    }
    expect(await completionsOf(prefix, run.messageId)).toBe(1);
  });

  it('applies a chunk retried on another instance once', async () => {
    const { instances } = await cluster();
    const [a, b] = instances as [TestInstance, TestInstance];
    const messageId = await openOn(a);
    expect(
      (await call(a.url, 'POST', `/v1/messages/${messageId}/chunks`, { chunkId: 0, text: 'one ' })).status,
    ).toBe(200);
    const retried = await call(b.url, 'POST', `/v1/messages/${messageId}/chunks`, {
      chunkId: 0,
      text: 'one ',
    });
    expect((retried.body.error as { code: string }).code).toBe('DUPLICATE_CHUNK');
    expect(
      (await call(b.url, 'POST', `/v1/messages/${messageId}/chunks`, { chunkId: 1, text: 'two' })).status,
    ).toBe(200);
    expect((await call(b.url, 'GET', `/v1/messages/${messageId}`)).body).toMatchObject({
      text: 'one two',
      chunks: 2,
    });
    const deltas = (await topicEvents(a.spool, TOPIC)).filter((e) => e.event === 'msg.delta');
    expect(deltas.map((e) => (e.data as { chunkId: number }).chunkId)).toEqual([0, 1]);
  });

  it('refuses an ended ID with MESSAGE_ENDED on every instance, whatever each one’s store knows', async () => {
    const { instances } = await cluster(['A', 'B', 'C'], { sharedStore: false });
    const [a] = instances as [TestInstance];
    const messageId = await openOn(a);
    await call(a.url, 'POST', `/v1/messages/${messageId}/end`, {});
    await endOf(a.spool, TOPIC, messageId);
    for (const i of instances) {
      const again = await call(i.url, 'POST', '/v1/messages', { ...CHANNEL, messageId });
      expect(again.status).toBe(409);
      expect((again.body.error as { code: string }).code).toBe('MESSAGE_ENDED');
    }
  });

  it('moves a message to the instance its producer reconnects to, and fences the old owner for it', async () => {
    const { instances, prefix } = await cluster();
    const [a, b, c] = instances as [TestInstance, TestInstance, TestInstance];
    const messageId = await openOn(a);
    await call(a.url, 'POST', `/v1/messages/${messageId}/chunks`, { chunkId: 0, text: 'before ' });
    // The producer reconnects to B and opens the same ID again: the idempotent retry moves it.
    const reopened = await call(b.url, 'POST', '/v1/messages', { ...CHANNEL, messageId });
    expect(reopened.status).toBe(201);
    expect(b.spool.messages.isOpenHere(messageId)).toBe(true);
    const retried = await call(b.url, 'POST', `/v1/messages/${messageId}/chunks`, {
      chunkId: 0,
      text: 'before ',
    });
    expect((retried.body.error as { code: string }).code).toBe('DUPLICATE_CHUNK');
    expect(
      (await call(b.url, 'POST', `/v1/messages/${messageId}/chunks`, { chunkId: 1, text: 'after' })).status,
    ).toBe(200);
    // A write that still lands on A is forwarded to B now.
    expect(
      (await call(a.url, 'POST', `/v1/messages/${messageId}/chunks`, { chunkId: 2, text: '!' })).status,
    ).toBe(200);
    expect(a.spool.messages.isOpenHere(messageId)).toBe(false);
    expect((await call(c.url, 'POST', `/v1/messages/${messageId}/end`, {})).status).toBe(200);
    await endOf(b.spool, TOPIC, messageId);
    await b.spool.messages.drain(); // the completion record follows msg.end
    expect((await call(a.url, 'GET', `/v1/messages/${messageId}`)).body).toMatchObject({
      text: 'before after!',
      status: 'ended',
      reason: 'success',
    });
    expect(await completionsOf(prefix, messageId)).toBe(1);
    // The old owner sent no msg.end of its own.
    expect((await topicEvents(a.spool, TOPIC)).filter((e) => e.event === 'msg.end')).toEqual([]);
  });

  it('moves a WebSocket producer’s message with it when it reconnects to another instance', async () => {
    const { instances, prefix, store } = await cluster(['A', 'B']);
    const [a, b] = instances as [TestInstance, TestInstance];
    const meta = { ...CHANNEL, messageId: '1843563473929170944' };
    const first = await TestClient.connect(a.wsUrl);
    const opened = await first.request({ op: 'msg.open', meta });
    expect(opened.op).toBe('ack');
    expect(
      (await first.request({ op: 'msg.append', messageId: meta.messageId, chunkId: 0, text: 'Hel' })).op,
    ).toBe('ack');
    await first.close();
    // The client's reconnect: the same open again, then the chunks it is not sure of, then on.
    const second = await TestClient.connect(b.wsUrl);
    cleanup.push(() => second.close());
    const reopened = await second.request({ op: 'msg.open', meta });
    expect(reopened).toMatchObject({ op: 'ack', id: opened.id });
    const resent = await second.request({
      op: 'msg.append',
      messageId: meta.messageId,
      chunkId: 0,
      text: 'Hel',
    });
    expect(resent).toMatchObject({ op: 'err', code: 'DUPLICATE_CHUNK' });
    expect(
      (await second.request({ op: 'msg.append', messageId: meta.messageId, chunkId: 1, text: 'lo' })).op,
    ).toBe('ack');
    expect((await second.request({ op: 'msg.end', messageId: meta.messageId })).op).toBe('ack');
    await endOf(b.spool, TOPIC, meta.messageId);
    await b.spool.messages.drain(); // the completion record follows msg.end
    expect(await store.get(meta.messageId)).toMatchObject({ text: 'Hello', reason: 'success' });
    expect(await completionsOf(prefix, meta.messageId)).toBe(1);
  });

  it('ends a message that moved to an instance whose cache refuses it, instead of orphaning it', async () => {
    const { instances, prefix, store } = await cluster(['A', 'B'], {
      spool: (name) => (name === 'B' ? { cache: { maxStreams: 1 } } : {}),
    });
    const [a, b] = instances as [TestInstance, TestInstance];
    await openOn(b); // B's cache is full now
    const messageId = await openOn(a);
    await call(a.url, 'POST', `/v1/messages/${messageId}/chunks`, { chunkId: 0, text: 'partial' });
    const reopened = await call(b.url, 'POST', '/v1/messages', { ...CHANNEL, messageId });
    expect((reopened.body.error as { code: string }).code).toBe('TOO_MANY_STREAMS');
    expect(await endOf(b.spool, TOPIC, messageId)).toEqual({ messageId, reason: 'error', persisted: true });
    expect(await store.get(messageId)).toMatchObject({ text: 'partial', reason: 'error' });
    expect(await completionsOf(prefix, messageId)).toBe(1);
    expect((await call(a.url, 'GET', `/v1/messages/${messageId}`)).body).toMatchObject({ status: 'ended' });
  });

  it('moves a message whose owner is gone to the instance its producer reconnects to, before any takeover', async () => {
    const { instances, prefix, store } = await cluster(['A', 'B', 'C']);
    const [a, b, c] = instances as [TestInstance, TestInstance, TestInstance];
    const messageId = await openOn(a);
    await call(a.url, 'POST', `/v1/messages/${messageId}/chunks`, { chunkId: 0, text: 'first ' });
    await a.cluster.close(); // A no longer answers anything of the cluster
    expect(
      (
        (await call(c.url, 'POST', `/v1/messages/${messageId}/chunks`, { chunkId: 1, text: 'x' })).body
          .error as {
          code: string;
        }
      ).code,
    ).toBe('OWNER_UNREACHABLE');
    expect((await call(b.url, 'POST', '/v1/messages', { ...CHANNEL, messageId })).status).toBe(201);
    expect(
      (await call(c.url, 'POST', `/v1/messages/${messageId}/chunks`, { chunkId: 1, text: 'second' })).status,
    ).toBe(200);
    // The takeover that follows A's death finds nothing of A's left to end.
    c.membership.declareDead(a.membership.self);
    await c.cluster.settled();
    expect((await call(c.url, 'GET', `/v1/messages/${messageId}`)).body).toMatchObject({
      status: 'streaming',
      text: 'first second',
    });
    expect((await call(c.url, 'POST', `/v1/messages/${messageId}/end`, {})).status).toBe(200);
    await endOf(b.spool, TOPIC, messageId);
    await b.spool.messages.drain(); // the completion record follows msg.end
    expect(await store.get(messageId)).toMatchObject({ text: 'first second', reason: 'success' });
    expect(await completionsOf(prefix, messageId)).toBe(1);
  });

  it('answers OWNER_UNREACHABLE when the owner does not answer', async () => {
    const { instances } = await cluster(['A', 'B'], { forwardTimeoutMs: 200 });
    const [a, b] = instances as [TestInstance, TestInstance];
    const messageId = await openOn(a);
    // A stops listening (its process is gone, say) but its record stays until a takeover.
    await a.cluster.close();
    const res = await call(b.url, 'POST', `/v1/messages/${messageId}/chunks`, { chunkId: 0, text: 'x' });
    expect(res.status).toBe(503);
    expect((res.body.error as { code: string }).code).toBe('OWNER_UNREACHABLE');
  });
});

describe('takeover and fencing', () => {
  it('ends a dead incarnation’s open messages once: stored with the text so far, msg.end error, one completion record', async () => {
    const { instances, prefix, store } = await cluster();
    const [a, b, c] = instances as [TestInstance, TestInstance, TestInstance];
    const messageId = await openOn(a);
    await call(a.url, 'POST', `/v1/messages/${messageId}/chunks`, { chunkId: 0, text: 'so ' });
    await call(b.url, 'POST', `/v1/messages/${messageId}/chunks`, { chunkId: 1, text: 'far' });
    // Every survivor is told; exactly one wins the claim.
    b.membership.declareDead(a.membership.self);
    c.membership.declareDead(a.membership.self);
    await Promise.all([b.cluster.settled(), c.cluster.settled()]);

    const stored = await store.get(messageId);
    expect(stored).toMatchObject({ text: 'so far', reason: 'error', lastChunkId: 1 });
    expect(await completionsOf(prefix, messageId)).toBe(1);
    const ends = [...(await topicEvents(b.spool, TOPIC)), ...(await topicEvents(c.spool, TOPIC))].filter(
      (e) => e.event === 'msg.end',
    );
    expect(ends.map((e) => e.data)).toEqual([{ messageId, reason: 'error', persisted: true }]);
    for (const i of [b, c]) {
      expect((await call(i.url, 'GET', `/v1/messages/${messageId}`)).body).toMatchObject({
        status: 'ended',
        reason: 'error',
        text: 'so far',
      });
    }
  });

  it('retries a takeover whose claimer never finishes: once its claim lapses another survivor ends the message, once', async () => {
    const { instances, prefix, store } = await cluster(['A', 'B', 'C'], { claimLeaseMs: 1000 });
    const [a, b, c] = instances as [TestInstance, TestInstance, TestInstance];
    const messageId = await openOn(a);
    await call(a.url, 'POST', `/v1/messages/${messageId}/chunks`, { chunkId: 0, text: 'half' });
    // A survivor that won the claim and died before ending anything: nobody renews its lease.
    const key = `${prefix}takeover:${a.membership.self.incarnation}`;
    expect(await admin.set(key, 'gone|0123', 'PX', 1500, 'NX')).toBe('OK');
    // Either survivor may win once the lease lapses: the `msg.end` goes out on the winner's topic.
    const ended = Promise.race([endOf(b.spool, TOPIC, messageId), endOf(c.spool, TOPIC, messageId)]);
    b.membership.declareDead(a.membership.self);
    c.membership.declareDead(a.membership.self);
    await Promise.all([b.cluster.settled(), c.cluster.settled()]);
    // Both asked while the lapsed claimer held it: nothing happened yet.
    expect(await store.get(messageId)).toBeUndefined();

    expect(await ended).toEqual({ messageId, reason: 'error', persisted: true });
    await Promise.all([b.cluster.settled(), c.cluster.settled()]);
    expect(await store.get(messageId)).toMatchObject({ text: 'half', reason: 'error' });
    expect(await completionsOf(prefix, messageId)).toBe(1);
    const ends = [...(await topicEvents(b.spool, TOPIC)), ...(await topicEvents(c.spool, TOPIC))].filter(
      (e) => e.event === 'msg.end',
    );
    expect(ends.map((e) => e.data)).toEqual([{ messageId, reason: 'error', persisted: true }]);
    expect(await admin.get(key)).toMatch(/^done\|[BC]\|/);
    expect((await call(c.url, 'GET', `/v1/messages/${messageId}`)).body).toMatchObject({
      status: 'ended',
      reason: 'error',
    });
  });

  it('claims again after a failed claim (Redis failing at that moment) instead of leaving the takeover to nobody', async () => {
    const { instances, prefix, store } = await cluster(['A', 'B']);
    const [a, b] = instances as [TestInstance, TestInstance];
    const messageId = await openOn(a);
    await call(a.url, 'POST', `/v1/messages/${messageId}/chunks`, { chunkId: 0, text: 'kept' });
    const claim = b.membership.claimTakeover.bind(b.membership);
    let failures = 0;
    b.membership.claimTakeover = (incarnation) => {
      if (failures++ === 0) return Promise.reject(new Error('Connection is closed.'));
      return claim(incarnation);
    };
    const ended = endOf(b.spool, TOPIC, messageId);
    b.membership.declareDead(a.membership.self);
    expect(await ended).toEqual({ messageId, reason: 'error', persisted: true });
    await b.cluster.settled();
    expect(failures).toBe(2);
    expect(await store.get(messageId)).toMatchObject({ text: 'kept', reason: 'error' });
    expect(await completionsOf(prefix, messageId)).toBe(1);
  });

  it('ends a taken-over message whose record could not be ended at first (Redis failing after the move): msg.end and the completion once', async () => {
    const { instances, prefix, store } = await cluster(['A', 'B']);
    const [a, b] = instances as [TestInstance, TestInstance];
    const messageId = await openOn(a);
    await call(a.url, 'POST', `/v1/messages/${messageId}/chunks`, { chunkId: 0, text: 'moved' });
    const finish = b.cluster.records.finish.bind(b.cluster.records);
    let finishes = 0;
    b.cluster.records.finish = (id, reason) => {
      if (finishes++ === 0) return Promise.reject(new Error('Connection is closed.'));
      return finish(id, reason);
    };
    const ended = endOf(b.spool, TOPIC, messageId);
    b.membership.declareDead(a.membership.self);
    await b.cluster.settled();
    // The record names B now, so no other survivor would end it: B itself tries again.
    expect(b.cluster.unfinishedEndings).toBe(1);
    expect(await ended).toEqual({ messageId, reason: 'error', persisted: true });
    await vi.waitFor(() => expect(b.cluster.unfinishedEndings).toBe(0));
    expect(finishes).toBe(2);
    expect(await store.get(messageId)).toMatchObject({ text: 'moved', reason: 'error' });
    await vi.waitFor(async () => expect(await completionsOf(prefix, messageId)).toBe(1));
    const ends = (await topicEvents(b.spool, TOPIC)).filter((e) => e.event === 'msg.end');
    expect(ends).toHaveLength(1);
    expect((await call(b.url, 'GET', `/v1/messages/${messageId}`)).body).toMatchObject({
      status: 'ended',
      reason: 'error',
    });
  });

  it('counts a record whose end went through but whose reply was lost as ended: msg.end once', async () => {
    const { instances, prefix } = await cluster(['A', 'B']);
    const [a, b] = instances as [TestInstance, TestInstance];
    const messageId = await openOn(a);
    const finish = b.cluster.records.finish.bind(b.cluster.records);
    let finishes = 0;
    // The first end reaches Redis; its reply is lost with the connection.
    b.cluster.records.finish = async (id, reason) => {
      // The second call finds the record ended already (STREAM_NOT_FOUND).
      const first = finishes++ === 0;
      await finish(id, reason);
      if (first) throw new Error('Connection is closed.');
    };
    const ended = endOf(b.spool, TOPIC, messageId);
    b.membership.declareDead(a.membership.self);
    expect(await ended).toEqual({ messageId, reason: 'error', persisted: true });
    await vi.waitFor(() => expect(b.cluster.unfinishedEndings).toBe(0));
    expect(finishes).toBe(2);
    await vi.waitFor(async () => expect(await completionsOf(prefix, messageId)).toBe(1));
    const ends = (await topicEvents(b.spool, TOPIC)).filter((e) => e.event === 'msg.end');
    expect(ends).toHaveLength(1);
  });

  it('leaves a taken-over message to its producer when the producer moved it on before the ending finished, dead letter and all', async () => {
    const { instances, prefix, store } = await cluster(['A', 'B', 'C']);
    const [a, b, c] = instances as [TestInstance, TestInstance, TestInstance];
    const messageId = await openOn(a);
    await call(a.url, 'POST', `/v1/messages/${messageId}/chunks`, { chunkId: 0, text: 'first ' });
    await a.cluster.close(); // A is gone
    // B takes the message over while the store is down (its text is dead-lettered) and Redis
    // fails as it ends the record.
    const save = store.save.bind(store);
    let storeDown = true;
    store.save = (message) => (storeDown ? Promise.reject(new Error('store down')) : save(message));
    const finish = b.cluster.records.finish.bind(b.cluster.records);
    let failing = true;
    let finishes = 0;
    b.cluster.records.finish = (id, reason) => {
      finishes++;
      return failing ? Promise.reject(new Error('Connection is closed.')) : finish(id, reason);
    };
    b.membership.declareDead(a.membership.self);
    await vi.waitFor(() => expect(b.spool.messages.deadLetters.map((l) => l.messageId)).toEqual([messageId]));
    await b.cluster.settled();
    expect(b.cluster.unfinishedEndings).toBe(1);
    // Meanwhile the producer reconnects to C and opens the same ID again (the store does not
    // hold it): the message moves to C.
    expect((await call(c.url, 'POST', '/v1/messages', { ...CHANNEL, messageId })).status).toBe(201);
    expect(
      (await call(c.url, 'POST', `/v1/messages/${messageId}/chunks`, { chunkId: 1, text: 'second' })).status,
    ).toBe(200);
    // B's next try of the record's end is FENCED: the message goes on at C, and B lets it go,
    // its dead letter too (replayed, it would save the partial text over the final one).
    failing = false;
    await vi.waitFor(() => expect(b.cluster.unfinishedEndings).toBe(0), { timeout: 5000 });
    expect(finishes).toBeGreaterThanOrEqual(2);
    expect(b.spool.messages.deadLetters).toEqual([]);
    expect((await call(b.url, 'GET', `/v1/messages/${messageId}`)).body).toMatchObject({
      status: 'streaming',
      text: 'first second',
    });
    storeDown = false;
    expect((await call(c.url, 'POST', `/v1/messages/${messageId}/end`, {})).status).toBe(200);
    await endOf(c.spool, TOPIC, messageId);
    await c.spool.messages.drain(); // the completion record follows msg.end
    expect(await b.spool.messages.replayDeadLetters()).toEqual({ saved: [], remaining: 0 });
    expect(await store.get(messageId)).toMatchObject({ text: 'first second', reason: 'success' });
    expect(await completionsOf(prefix, messageId)).toBe(1);
    const ends = (await topicEvents(c.spool, TOPIC)).filter((e) => e.event === 'msg.end');
    expect(ends.map((e) => e.data)).toEqual([{ messageId, reason: 'success', persisted: true }]);
  });

  it('writes the completion record of a taken-over message whose first writes all failed, without a second msg.end', async () => {
    // The broker under every instance (the completion stream is one).
    const { instances, prefix, broker } = await cluster(['A', 'B']);
    const [a, b] = instances as [TestInstance, TestInstance];
    const messageId = await openOn(a);
    const xaddOnce = broker.xaddOnce.bind(broker);
    let writes = 0;
    // Every attempt of the first round fails (the retry gives up after its three).
    broker.xaddOnce = (...args) => {
      if (++writes <= spoolDefaults.retry.maxAttempts)
        return Promise.reject(new Error('Connection is closed.'));
      return xaddOnce(...args);
    };
    b.membership.declareDead(a.membership.self);
    await vi.waitFor(() => expect(writes).toBeGreaterThan(spoolDefaults.retry.maxAttempts), {
      timeout: 5000,
    });
    await vi.waitFor(() => expect(b.cluster.unfinishedEndings).toBe(0), { timeout: 5000 });
    expect(await completionsOf(prefix, messageId)).toBe(1);
    const ends = (await topicEvents(b.spool, TOPIC)).filter((e) => e.event === 'msg.end');
    expect(ends.map((e) => e.data)).toEqual([{ messageId, reason: 'error', persisted: true }]);
  });

  it('ends a message that a survivor took over and could not end once that survivor is gone too', async () => {
    const { instances, store } = await cluster(['A', 'B', 'C'], { claimLeaseMs: 1000 });
    const [a, b, c] = instances as [TestInstance, TestInstance, TestInstance];
    const messageId = await openOn(a);
    await call(a.url, 'POST', `/v1/messages/${messageId}/chunks`, { chunkId: 0, text: 'left' });
    // B takes the message over, and its record never ends while B lives.
    b.cluster.records.finish = () => Promise.reject(new Error('Connection is closed.'));
    b.membership.declareDead(a.membership.self);
    await b.cluster.settled();
    expect(b.cluster.unfinishedEndings).toBe(1);
    expect((await b.cluster.records.owner(messageId))?.incarnation).toBe(b.membership.self.incarnation);
    // B goes; its incarnation dies with the message still its own, and C ends it.
    const ended = endOf(c.spool, TOPIC, messageId);
    await b.close();
    c.membership.declareDead(b.membership.self);
    expect(await ended).toEqual({ messageId, reason: 'error', persisted: true });
    expect(await store.get(messageId)).toMatchObject({ text: 'left', reason: 'error' });
  });

  it('refuses a stale incarnation’s writes with FENCED, aborts its runs, and no subscriber sees them', async () => {
    const { instances, prefix, store } = await cluster(['A', 'B']);
    const [a, b] = instances as [TestInstance, TestInstance];
    const subscriber = await TestClient.connect(a.wsUrl);
    cleanup.push(() => subscriber.close());
    subscriber.send({ op: 'sub', topic: TOPIC });
    await subscriber.next((f) => f.op === 'subok');

    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let lateWrite: unknown;
    let signalReason: unknown;
    let workDone!: () => void;
    const worked = new Promise<void>((resolve) => {
      workDone = resolve;
    });
    const run = await a.spool.run(CHANNEL, async (write, signal) => {
      await write('kept');
      await gate;
      // A is "resumed" after its incarnation was taken over: this write must not go out.
      lateWrite = await write(' late').then(
        () => 'applied',
        (err: unknown) => err,
      );
      signalReason = signal.reason;
      workDone();
    });
    // The run's first chunk is on the record before the takeover.
    await subscriber.next((f) => f.op === 'ev' && f.event === 'msg.delta');
    b.membership.declareDead(a.membership.self);
    await b.cluster.settled();
    release();
    expect(await run.done).toBe('error');
    await worked;
    expect((signalReason as { code?: string }).code).toBe('FENCED');
    expect((lateWrite as { code?: string }).code).toBe('FENCED');

    const stored = await store.get(run.messageId);
    expect(stored).toMatchObject({ text: 'kept', reason: 'error' });
    expect(await completionsOf(prefix, run.messageId)).toBe(1);
    const deltasOnA = (await topicEvents(a.spool, TOPIC)).filter(
      (e) => e.event === 'msg.delta' && (e.data as { messageId: string }).messageId === run.messageId,
    );
    expect(deltasOnA.map((e) => (e.data as { text: string }).text)).toEqual(['kept']);
    expect(
      (await topicEvents(a.spool, TOPIC)).filter(
        (e) => e.event === 'msg.end' && (e.data as { messageId: string }).messageId === run.messageId,
      ),
    ).toEqual([]);
    expect(subscriber.frames.some((f) => f.op === 'ev' && JSON.stringify(f).includes(' late'))).toBe(false);
  });

  it('answers FENCED to an HTTP producer whose instance lost the message', async () => {
    const { instances } = await cluster(['A', 'B']);
    const [a, b] = instances as [TestInstance, TestInstance];
    const messageId = await openOn(a);
    await call(a.url, 'POST', `/v1/messages/${messageId}/chunks`, { chunkId: 0, text: 'ok' });
    b.membership.declareDead(a.membership.self);
    await b.cluster.settled();
    // A never heard of the takeover: its local state still says it owns the message.
    expect(a.spool.messages.isOpenHere(messageId)).toBe(true);
    const late = await call(a.url, 'POST', `/v1/messages/${messageId}/chunks`, { chunkId: 1, text: 'late' });
    expect(late.status).toBe(409);
    expect((late.body.error as { code: string }).code).toBe('FENCED');
    expect(a.spool.messages.isOpenHere(messageId)).toBe(false);
    const deltas = (await topicEvents(a.spool, TOPIC)).filter((e) => e.event === 'msg.delta');
    expect(deltas.map((e) => (e.data as { text: string }).text)).toEqual(['ok']);
  });
});
