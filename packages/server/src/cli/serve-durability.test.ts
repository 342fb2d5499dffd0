/**
 * Real `spool serve` processes on a database (PostgreSQL at 127.0.0.1:5432, database
 * `test`, a schema per test, dropped afterwards; and the embedded PGlite in a data
 * directory): a client away for longer than the log keeps gets the finished messages from
 * the store; a restarted server serves the resume rule (docs/protocol.md) from the same
 * database; a process SIGKILLed between the save's commit and the outbox relay still
 * yields exactly one `spool:completed` record per message, on real Redis; and messages
 * that finish while PostgreSQL is unreachable (a TCP proxy the test cuts; the shared
 * server is never stopped) wait as dead letters until a replay saves them, one record each.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { channelTopic } from '@spool/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChatAssembler } from '../__tests__/chat-assembly';
import { type Frame, TestClient } from '../__tests__/helpers';
import { adminClient, deleteKeys, nextPrefix, TEST_REDIS_URL } from '../broker/redis-test-env';
import { startTcpProxy } from '../postgres/__tests__/tcp-proxy';
import { adminPool, dropSchema, TEST_DATABASE_URL, uniqueSchema } from '../postgres/pg-test-env';
import { spoolCli } from './__tests__/spool-cli';

const cleanup: Array<() => Promise<unknown>> = [];
const children = new Set<ChildProcess>();
afterEach(async () => {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
  for (const c of cleanup.splice(0).reverse()) await c();
});

interface Served {
  url: string;
  ws: string;
  kill(signal: 'SIGKILL' | 'SIGTERM'): Promise<number | null>;
}

/** `spool serve --port 0` with `args` and `env`; resolves once it logged its URL. */
async function serve(args: string[], env: Record<string, string>): Promise<Served> {
  const run = spoolCli(['serve', '--port', '0', ...args], { SPOOL_LOG_LEVEL: 'info', ...env });
  children.add(run.proc);
  void run.exited.then(() => children.delete(run.proc));
  const url = (await run.log((l) => typeof l.url === 'string')).url as string;
  return {
    url,
    ws: `${url.replace('http', 'ws')}/v1/ws`,
    kill: (signal) => {
      run.proc.kill(signal);
      return run.exited;
    },
  };
}

async function post(base: string, path: string, body: unknown): Promise<Record<string, string>> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, string>;
  if (res.status >= 300) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Produces one finished message over HTTP; resolves with its ID. */
async function produce(base: string, channelId: string, chunks: string[]): Promise<string> {
  const { messageId } = await post(base, '/v1/messages', { channelId, channelType: 1 });
  for (const [chunkId, text] of chunks.entries())
    await post(base, `/v1/messages/${messageId}/chunks`, { chunkId, text });
  await post(base, `/v1/messages/${messageId}/end`, { reason: 'success' });
  return messageId!;
}

/** Waits until the server reads the message from its store (its save committed). */
async function saved(base: string, messageId: string): Promise<void> {
  for (;;) {
    const res = await fetch(`${base}/v1/messages/${messageId}`);
    if (res.ok && ((await res.json()) as { status: string }).status === 'ended') return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function schemaForTest(): Promise<string> {
  const schema = uniqueSchema();
  const admin = adminPool();
  cleanup.push(async () => {
    await dropSchema(admin, schema);
    await admin.end();
  });
  return schema;
}

/** Subscribes and reads the topic's frames until `done` says the client has what it needs. */
async function readUntil(
  c: TestClient,
  topic: string,
  after: string,
  done: (chat: ChatAssembler, frames: Frame[]) => boolean,
): Promise<{ chat: ChatAssembler; frames: Frame[] }> {
  c.send({ op: 'sub', topic, after });
  const chat = new ChatAssembler();
  const frames: Frame[] = [];
  while (!done(chat, frames)) {
    const f = await c.next((x) => x.topic === topic);
    frames.push(f);
    if (f.op === 'err') throw new Error(`subscription failed: ${JSON.stringify(f)}`);
    chat.apply(f);
  }
  return { chat, frames };
}

/** A client's position once it has read `topic` from the start up to the end of `messageId`. */
async function positionAfterEnd(wsUrl: string, topic: string, messageId: string): Promise<string> {
  const reader = await TestClient.connect(wsUrl);
  try {
    const { chat } = await readUntil(
      reader,
      topic,
      '0-0',
      (c) => c.messages.get(messageId)?.reason !== undefined,
    );
    return chat.lastId!;
  } finally {
    await reader.close();
  }
}

const allTexts = (expected: Map<string, string>) => (chat: ChatAssembler) =>
  [...expected].every(
    ([id, text]) => chat.messages.get(id)?.text === text && !!chat.messages.get(id)?.reason,
  );

describe('spool serve on PostgreSQL, as a real process', () => {
  it('serves a client away for 2,000 events from a 20-event log: snapshots from PostgreSQL, then the tail', async () => {
    const schema = await schemaForTest();
    const server = await serve(['--retention-events', '20'], {
      SPOOL_DATABASE_URL: TEST_DATABASE_URL,
      SPOOL_DATABASE_SCHEMA: schema,
    });
    const topic = channelTopic(1, 'trim');
    const first = await produce(server.url, 'trim', ['before ', 'leaving']);
    const position = await positionAfterEnd(server.ws, topic, first);

    // 100 messages of 20 events each (open, 18 deltas, end) while the client is away.
    const expected = new Map<string, string>();
    for (let m = 0; m < 100; m++) {
      const chunks = Array.from({ length: 18 }, (_, i) => `m${m}c${i}${i % 5 === 0 ? 'é👋' : ''} `);
      expected.set(await produce(server.url, 'trim', chunks), chunks.join(''));
    }
    await saved(server.url, [...expected.keys()].at(-1)!);

    const back = await TestClient.connect(server.ws);
    cleanup.push(() => back.close());
    const { chat, frames } = await readUntil(back, topic, position, allTexts(expected));
    expect(frames.filter((f) => f.op === 'reset')).toEqual([]);
    const events = frames.filter((f) => f.op === 'ev');
    const snapshots = events.filter((f) => f.event === 'msg.snapshot');
    // Most of the 2,000 events are long trimmed: those messages come as one snapshot each.
    expect(snapshots.length).toBeGreaterThanOrEqual(95);
    expect(events.length).toBeLessThan(200);
    for (const [id, text] of expected) expect(chat.messages.get(id)?.text, id).toBe(text);
    expect(chat.messages.has(first)).toBe(false);
  }, 120_000);

  for (const mode of ['postgres', 'pglite'] as const) {
    it(`restarted on the same ${mode === 'postgres' ? 'PostgreSQL' : '--data directory'}: reset, the finished messages as snapshots, then the tail`, async () => {
      let args: string[] = [];
      let env: Record<string, string> = {};
      if (mode === 'postgres') {
        env = { SPOOL_DATABASE_URL: TEST_DATABASE_URL, SPOOL_DATABASE_SCHEMA: await schemaForTest() };
      } else {
        const dir = await mkdtemp(join(tmpdir(), 'spool-durable-'));
        cleanup.push(() => rm(dir, { recursive: true, force: true }));
        args = ['--data', join(dir, 'data')];
      }
      const topic = channelTopic(1, 'restart');
      const one = await serve(args, env);
      const firstId = await produce(one.url, 'restart', ['seen ', 'before']);
      const position = await positionAfterEnd(one.ws, topic, firstId);
      const finished = new Map<string, string>();
      finished.set(await produce(one.url, 'restart', ['missed ', 'one']), 'missed one');
      finished.set(await produce(one.url, 'restart', ['missed ', 'two ✓']), 'missed two ✓');
      await saved(one.url, [...finished.keys()].at(-1)!);
      expect(await one.kill('SIGKILL')).toBeNull();

      const two = await serve(args, env);
      const tail = await produce(two.url, 'restart', ['after ', 'restart']);
      const back = await TestClient.connect(two.ws);
      cleanup.push(() => back.close());
      const want = new Map([...finished, [tail, 'after restart']]);
      const { chat, frames } = await readUntil(back, topic, position, allTexts(want));
      const ops = frames.map((f) => (f.op === 'ev' ? f.event : f.op));
      expect(ops.filter((o) => o === 'reset')).toHaveLength(1);
      const reset = ops.indexOf('reset');
      // The reset comes first (after subok); the store's snapshots of the missed messages follow.
      expect(ops.slice(0, reset).every((o) => o === 'subok')).toBe(true);
      const snapshotted = frames
        .filter((f) => f.op === 'ev' && f.event === 'msg.snapshot')
        .map((f) => (f.data as { messageId: string }).messageId);
      expect(snapshotted).toEqual(expect.arrayContaining([...finished.keys()]));
      for (const [id, text] of want) expect(chat.messages.get(id)?.text, id).toBe(text);
      expect(chat.messages.has(firstId)).toBe(false);
      await back.close();
      await two.kill('SIGTERM');
    }, 120_000);
  }

  it('SIGKILLed after the save committed and before the relay ran: one spool:completed record per message on restart', async () => {
    const schema = await schemaForTest();
    const prefix = nextPrefix();
    const redis = adminClient();
    cleanup.push(async () => {
      await deleteKeys(redis, prefix);
      redis.disconnect();
    });
    const env = {
      SPOOL_DATABASE_URL: TEST_DATABASE_URL,
      SPOOL_DATABASE_SCHEMA: schema,
      SPOOL_REDIS_URL: TEST_REDIS_URL,
      SPOOL_REDIS_PREFIX: prefix,
    };
    const stream = `${prefix}spool:completed`;
    const one = await serve(['--outbox-relay=false'], env);
    const ids = [
      await produce(one.url, 'outbox', ['one']),
      await produce(one.url, 'outbox', ['two']),
      await produce(one.url, 'outbox', ['three']),
    ];
    for (const id of ids) await saved(one.url, id);
    const admin = adminPool();
    cleanup.push(() => admin.end());
    const backlog = async () =>
      Number(
        (await admin.query<{ n: string }>(`SELECT count(*)::text AS n FROM "${schema}".outbox`)).rows[0]!.n,
      );
    // Committed with the messages, not relayed: the records exist only in the outbox.
    expect(await backlog()).toBe(3);
    expect(await redis.xlen(stream)).toBe(0);
    expect(await one.kill('SIGKILL')).toBeNull();

    const two = await serve([], env);
    for (;;) {
      if ((await backlog()) === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const entries = await redis.xrange(stream, '-', '+');
    const byMessage = entries.map(([, fields]) => {
      const f = Object.fromEntries(fields.flatMap((v, i) => (i % 2 === 0 ? [[v, fields[i + 1]]] : [])));
      return [f.messageId, f.persisted];
    });
    expect(byMessage.sort()).toEqual(ids.map((id) => [id, 'true']).sort());
    // Draining relays nothing twice either.
    expect(await two.kill('SIGTERM')).toBe(0);
    expect(await redis.xlen(stream)).toBe(3);
  }, 120_000);

  it('PostgreSQL unreachable (a TCP proxy cut): msg.end with persisted: false, dead letters, then saved with one record each', async () => {
    const schema = await schemaForTest();
    const prefix = nextPrefix();
    const redis = adminClient();
    cleanup.push(async () => {
      await deleteKeys(redis, prefix);
      redis.disconnect();
    });
    const proxy = await startTcpProxy(Number(new URL(TEST_DATABASE_URL).port || 5432));
    cleanup.push(() => proxy.close());
    const viaProxy = new URL(TEST_DATABASE_URL);
    viaProxy.port = String(proxy.port);
    const server = await serve([], {
      SPOOL_DATABASE_URL: viaProxy.toString(),
      SPOOL_DATABASE_SCHEMA: schema,
      SPOOL_REDIS_URL: TEST_REDIS_URL,
      SPOOL_REDIS_PREFIX: prefix,
    });
    const stream = `${prefix}spool:completed`;
    const records = async () =>
      (await redis.xrange(stream, '-', '+')).map(
        ([, f]) => `${f[f.indexOf('messageId') + 1]}:${f[f.indexOf('persisted') + 1]}`,
      );
    const topic = channelTopic(1, 'outage');
    const watcher = await TestClient.connect(server.ws);
    cleanup.push(() => watcher.close());
    watcher.send({ op: 'sub', topic });
    await watcher.next((f) => f.op === 'subok');

    const before = await produce(server.url, 'outage', ['saved ', 'first']);
    await saved(server.url, before);
    // The relay writes the saved message's record from the outbox, through the same proxy:
    // it must be out before the cut, or it (rightly) waits in the outbox for the outage.
    await vi.waitFor(async () => expect(await records()).toEqual([`${before}:true`]), { timeout: 10_000 });
    proxy.cut();
    const lost = [
      await produce(server.url, 'outage', ['during ', 'the ', 'outage']),
      await produce(server.url, 'outage', ['second ✓']),
    ];
    const ends = new Map<string, unknown>();
    while (ends.size < 3) {
      const f = await watcher.next((x) => x.op === 'ev' && x.event === 'msg.end');
      const d = f.data as { messageId: string; persisted: boolean };
      ends.set(d.messageId, d.persisted);
    }
    expect(Object.fromEntries(ends)).toEqual({ [before]: true, [lost[0]!]: false, [lost[1]!]: false });
    const letters = (await (await fetch(`${server.url}/v1/dead-letters`)).json()) as {
      items: Array<{ messageId: string; text: string }>;
    };
    expect(letters.items.map((l) => [l.messageId, l.text]).sort()).toEqual(
      [
        [lost[0], 'during the outage'],
        [lost[1], 'second ✓'],
      ].sort(),
    );
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ checks: { store: { ok: false, kind: 'postgres' } } });
    // A record comes with the save: none yet for the two that wait.
    expect(await records()).toEqual([`${before}:true`]);

    proxy.restore();
    // Once the breaker's cooldown is over, the automatic replay saves them (and their outbox rows).
    for (;;) {
      const left = (await (await fetch(`${server.url}/v1/dead-letters`)).json()) as { items: unknown[] };
      if (left.items.length === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const id of lost) await saved(server.url, id);
    for (;;) {
      if ((await records()).length >= 3) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await records()).sort()).toEqual([before, ...lost].map((id) => `${id}:true`).sort());
    const text = (await (await fetch(`${server.url}/v1/messages/${lost[0]}`)).json()) as { text: string };
    expect(text.text).toBe('during the outage');
    // A replay asked for now finds nothing, and the drain relays nothing twice.
    const replay = await fetch(`${server.url}/v1/dead-letters/replay`, { method: 'POST' });
    expect(await replay.json()).toEqual({ saved: [], remaining: 0 });
    expect(await server.kill('SIGTERM')).toBe(0);
    expect(await redis.xlen(stream)).toBe(3);
  }, 120_000);
});
