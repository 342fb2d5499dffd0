/**
 * A message ID names one message (docs/protocol.md "msg.open"): an ended ID is refused
 * with MESSAGE_ENDED and changes nothing, an open ID is the idempotent retry for its own
 * principal only, and each message gets exactly one `spool:completed` record, over HTTP
 * and over the WebSocket alike.
 */
import {
  channelTopic,
  MemoryBroker,
  MemoryMessageStore,
  type MessageStore,
  SpoolError,
  type StreamBroker,
} from '@spool/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisBroker } from '../broker/redis-broker';
import { adminClient, deleteKeys, nextPrefix, runPrefix, TEST_REDIS_URL } from '../broker/redis-test-env';
import type { SpoolOptions } from '../options';
import { type Frame, serverFixture, startServer, TestClient, type TestServer } from './helpers';

const fixture = serverFixture();
const topic = channelTopic(1, 'ids');
const meta = (messageId: string) => ({ channelId: 'ids', channelType: 1, messageId });
const fast = { retry: { maxAttempts: 3, baseMs: 1, maxMs: 1 } } satisfies SpoolOptions;

type Via = 'ws' | 'http';

/** One producer's requests, over the WebSocket or over HTTP, answered as `{ code }` or the body. */
interface Producer {
  open(messageId: string): Promise<{ code?: string; messageId?: string; id?: string }>;
  append(messageId: string, chunkId: number, text: string): Promise<{ code?: string }>;
  end(messageId: string): Promise<{ code?: string }>;
}

async function producer(server: TestServer, via: Via, token?: string): Promise<Producer> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  if (via === 'ws') {
    const c = await TestClient.connect(server.wsUrl, { headers });
    fixture.keep(c);
    const answer = (f: Frame): { code?: string; messageId?: string; id?: string } =>
      f.op === 'err'
        ? { code: f.code as string }
        : { messageId: f.messageId as string | undefined, id: f.id as string | undefined };
    return {
      open: async (messageId) => answer(await c.request({ op: 'msg.open', meta: meta(messageId) })),
      append: async (messageId, chunkId, text) =>
        answer(await c.request({ op: 'msg.append', messageId, chunkId, text })),
      end: async (messageId) => answer(await c.request({ op: 'msg.end', messageId })),
    };
  }
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as { error?: { code: string } } & Record<string, string>;
    return json.error ? { code: json.error.code, status: res.status } : { ...json, status: res.status };
  };
  return {
    open: (messageId) => post('/v1/messages', meta(messageId)),
    append: (messageId, chunkId, text) => post(`/v1/messages/${messageId}/chunks`, { chunkId, text }),
    end: (messageId) => post(`/v1/messages/${messageId}/end`, {}),
  };
}

/** A subscriber to the channel, to see exactly which events it gets. */
async function watch(server: TestServer): Promise<TestClient> {
  const w = await TestClient.connect(server.wsUrl);
  fixture.keep(w);
  w.send({ op: 'sub', topic });
  await w.next((f) => f.op === 'subok');
  return w;
}

/** Opens, writes and ends a message, and waits until its completion has run. */
async function complete(
  server: TestServer,
  p: Producer,
  watcher: TestClient,
  messageId: string,
  text: string,
) {
  expect((await p.open(messageId)).messageId).toBe(messageId);
  expect((await p.append(messageId, 0, text)).code).toBeUndefined();
  expect((await p.end(messageId)).code).toBeUndefined();
  await watcher.next(
    (f) => f.op === 'ev' && f.event === 'msg.end' && (f.data as Frame).messageId === messageId,
  );
  await server.spool.messages.drain();
}

/** What a re-open must leave unchanged: the stored message, the channel's events, the completion records. */
async function stateOf(server: TestServer, store: MessageStore, broker: StreamBroker, messageId: string) {
  const history = await fetch(`${server.url}/v1/topics/${encodeURIComponent(topic)}/history?after=0-0`);
  return {
    stored: await store.get(messageId),
    channel: await history.json(),
    completed: await broker.xrange('spool:completed', '-', '+'),
  };
}

describe.each<Via>(['ws', 'http'])('A message ID names one message (%s)', (via) => {
  it('re-opening an ended message is refused with MESSAGE_ENDED, and nothing changes', async () => {
    const store = new MemoryMessageStore();
    const broker = new MemoryBroker();
    const server = fixture.track(await startServer({ store, broker }));
    const watcher = await watch(server);
    const p = await producer(server, via);
    const messageId = '1843563473929170944';
    await complete(server, p, watcher, messageId, 'the one and only text');
    const before = await stateOf(server, store, broker, messageId);
    expect(before.stored?.text).toBe('the one and only text');
    expect(before.completed).toHaveLength(1);
    watcher.frames.splice(0); // the message's own events, seen already

    const again = await p.open(messageId);
    expect(again).toMatchObject({ code: 'MESSAGE_ENDED', ...(via === 'http' ? { status: 409 } : {}) });
    expect((await p.append(messageId, 0, 'overwrite')).code).toBe('STREAM_NOT_FOUND');
    expect((await p.end(messageId)).code).toBe('STREAM_NOT_FOUND');

    // Nothing reached the channel: the next event the watcher sees is this marker.
    await server.spool.publish(topic, null, { event: 'marker' });
    expect((await watcher.next((f) => f.op === 'ev')).event).toBe('marker');
    await server.spool.messages.drain();
    const after = await stateOf(server, store, broker, messageId);
    expect(after.stored).toEqual(before.stored);
    expect(after.completed).toEqual(before.completed);
    expect(after.channel).toEqual([
      ...(before.channel as unknown[]),
      expect.objectContaining({ event: 'marker' }),
    ]);
  });

  it('an ended message is refused while its completion is still running, even to its own principal', async () => {
    const inner = new MemoryMessageStore();
    let release!: () => void;
    const saving = new Promise<void>((resolve) => {
      release = resolve;
    });
    const store: MessageStore = {
      save: async (m) => {
        await saving;
        return inner.save(m);
      },
      get: (id) => inner.get(id),
      listAfter: (c, a, o) => inner.listAfter(c, a, o),
      listBefore: (c, b, o) => inner.listBefore(c, b, o),
      listBySender: (u, o) => inner.listBySender(u, o),
      listByField: (k, v, o) => inner.listByField(k, v, o),
      close: () => inner.close(),
    };
    const server = fixture.track(await startServer({ store }));
    const p = await producer(server, via);
    expect((await p.open('51')).messageId).toBe('51');
    expect((await p.end('51')).code).toBeUndefined();
    expect((await p.open('51')).code).toBe('MESSAGE_ENDED');
    release();
    await server.spool.messages.drain();
    expect((await p.open('51')).code).toBe('MESSAGE_ENDED');
  });

  it('the store decides once the ended-ID window has forgotten the ID', async () => {
    const server = fixture.track(await startServer({ endedIdWindow: 1 }));
    const watcher = await watch(server);
    const p = await producer(server, via);
    await complete(server, p, watcher, '11', 'first');
    await complete(server, p, watcher, '12', 'second'); // pushes 11 out of the window
    expect((await p.open('11')).code).toBe('MESSAGE_ENDED');
    expect((await server.spool.store.get('11'))?.text).toBe('first');
  });

  it('the window decides when the store cannot answer, or never got the message', async () => {
    const inner = new MemoryMessageStore();
    let storeDown = false;
    let saves = true;
    const store: MessageStore = {
      save: async (m) => {
        if (!saves) throw new SpoolError('STORE_UNAVAILABLE', 'disk full');
        return inner.save(m);
      },
      get: async (id) => {
        if (storeDown) throw new SpoolError('STORE_UNAVAILABLE', 'store down');
        return inner.get(id);
      },
      listAfter: (c, a, o) => inner.listAfter(c, a, o),
      listBefore: (c, b, o) => inner.listBefore(c, b, o),
      listBySender: (u, o) => inner.listBySender(u, o),
      listByField: (k, v, o) => inner.listByField(k, v, o),
      close: () => inner.close(),
    };
    const server = fixture.track(await startServer({ ...fast, store }));
    const watcher = await watch(server);
    const p = await producer(server, via);
    await complete(server, p, watcher, '21', 'persisted');
    saves = false;
    await complete(server, p, watcher, '22', 'dead-lettered, never persisted');
    expect(server.spool.messages.deadLetters.map((d) => d.messageId)).toEqual(['22']);
    storeDown = true;
    expect((await p.open('21')).code).toBe('MESSAGE_ENDED');
    expect((await p.open('22')).code).toBe('MESSAGE_ENDED');
    // An ID the window never saw: with the store unable to say, it opens.
    expect((await p.open('23')).messageId).toBe('23');
  });
});

describe('Opening an open message again', () => {
  const tokens = { user: ['alice-token-1', 'bob-token-22'] };

  it.each<Via>(['ws', 'http'])(
    'is the idempotent retry for the principal that opened it, and STREAM_EXISTS for another (%s)',
    async (via) => {
      const server = fixture.track(await startServer({ auth: { tokens } }));
      const alice = await producer(server, via, 'alice-token-1');
      const aliceAgain = await producer(server, via, 'alice-token-1');
      const bob = await producer(server, via, 'bob-token-22');
      const first = await alice.open('31');
      expect(first).toMatchObject({ messageId: '31' });
      const retried = await aliceAgain.open('31');
      expect(retried).toMatchObject({ messageId: '31', id: first.id });
      expect((await bob.open('31')).code).toBe('STREAM_EXISTS');
      // Same principal, another channel: not a retry of this open.
      const elsewhere = await (async () => {
        if (via === 'http') {
          const res = await fetch(`${server.url}/v1/messages`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: 'Bearer alice-token-1' },
            body: JSON.stringify({ channelId: 'other', channelType: 1, messageId: '31' }),
          });
          return ((await res.json()) as { error: { code: string } }).error.code;
        }
        const c = await TestClient.connect(server.wsUrl, {
          headers: { authorization: 'Bearer alice-token-1' },
        });
        fixture.keep(c);
        return (
          await c.request({ op: 'msg.open', meta: { channelId: 'other', channelType: 1, messageId: '31' } })
        ).code;
      })();
      expect(elsewhere).toBe('STREAM_EXISTS');
      // One message: one msg.open on the channel, and the retrying side may write to it.
      expect((await aliceAgain.append('31', 0, 'hi')).code).toBeUndefined();
      const history = await fetch(`${server.url}/v1/topics/${encodeURIComponent(topic)}/history?after=0-0`, {
        headers: { authorization: 'Bearer alice-token-1' },
      });
      expect(((await history.json()) as Array<{ event: string }>).map((e) => e.event)).toEqual([
        'msg.open',
        'msg.delta',
      ]);
    },
  );
});

/**
 * A broker whose first add (XADD or xaddOnce) is applied but whose reply is lost, as when
 * the connection drops just after Redis ran the command: the caller sees an error and retries.
 */
function losingFirstReply(broker: StreamBroker): StreamBroker {
  let lost = false;
  const lose =
    <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const reply = await fn(...args);
      if (!lost) {
        lost = true;
        throw new SpoolError('BROKER_UNAVAILABLE', 'connection reset before the reply arrived');
      }
      return reply;
    };
  const xadd = lose(broker.xadd.bind(broker));
  const xaddOnce = lose((...a: Parameters<StreamBroker['xaddOnce']>) => broker.xaddOnce(...a));
  return new Proxy(broker, {
    get(target, prop) {
      if (prop === 'xadd') return xadd;
      if (prop === 'xaddOnce') return xaddOnce;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('One completion record per message', () => {
  const admin = adminClient();
  beforeAll(async () => {
    await admin.ping();
  });
  afterAll(async () => {
    await deleteKeys(admin, runPrefix);
    await admin.quit();
  });

  const brokers: Array<[string, () => { broker: StreamBroker; close(): Promise<void> }]> = [
    ['MemoryBroker', () => ({ broker: new MemoryBroker(), close: async () => {} })],
    [
      'RedisBroker',
      () => {
        const broker = new RedisBroker({ url: TEST_REDIS_URL, keyPrefix: nextPrefix() });
        return { broker, close: () => broker.close() };
      },
    ],
  ];

  for (const [name, make] of brokers) {
    it.each<Via>(['ws', 'http'])(
      `${name}: exactly one spool:completed record when the first add applied but its reply was lost (%s)`,
      async (via) => {
        const made = make();
        try {
          const server = fixture.track(await startServer({ ...fast, broker: losingFirstReply(made.broker) }));
          const watcher = await watch(server);
          const p = await producer(server, via);
          await complete(server, p, watcher, '41', 'text');
          const records = await made.broker.xrange('spool:completed', '-', '+');
          expect(records.map((r) => r.fields)).toEqual([
            { messageId: '41', channelId: 'ids', channelType: '1', reason: 'success', persisted: 'true' },
          ]);
        } finally {
          // The server does not own a broker it was given: it leaves this one open.
          await made.close();
        }
      },
    );
  }
});
