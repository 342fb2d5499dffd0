/**
 * Scenario 10: faults of one instance while others run, three `spool serve` processes on one
 * Redis (`SPOOL_REDIS_URL`), with real heartbeats (`SPOOL_INSTANCE_TTL_MS`) deciding deaths
 * (docs/architecture.md, "Instances and incarnations", "Messages across instances",
 * "Takeover and fencing").
 * - Failover: a reader given [B, C] whose instance B is SIGKILLed mid-reply moves to C and
 *   gets every event once, in order, the exact text.
 * - Cancel: `POST /v1/messages/:id/end` with reason `cancelled` sent to C, for a message whose
 *   producer writes on A: the producer's writer on A is refused, and readers on B and C see
 *   the message end `cancelled`.
 * - Takeover: the owner A of an open message is SIGKILLed: every reader on B and C gets
 *   `msg.end` with reason `error` and the text so far, the message is stored, one
 *   `spool:completed` record.
 * - Fencing: the owner A is SIGSTOPped past the TTL, then SIGCONTed: its late writes are
 *   refused with `FENCED`, and no reader sees anything of the message after its `msg.end`.
 * - Message routes (docs/http-api.md, "Messages"): called on a non-owner, each gives the
 *   owner's answer; writes through B and C reach the owner A.
 */
import { randomUUID } from 'node:crypto';
import { SpoolClient, type SpoolClientOptions } from '@spool/client';
import { type MessageWriter, SpoolProducer } from '@spool/client/producer';
import { channelTopic, SpoolError } from '@spool/core';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type CheckedClient, checkedClient, fastBackoff, startOnFirstUrl, until } from '../src/clients';
import { report } from '../src/figures';
import { profile } from '../src/profile';
import { announce } from '../src/scenario';
import { killSpoolProcesses, type SpoolProcess, startSpool } from '../src/spool-process';
import { llmToken, SubscriberCheck, startReply } from '../src/workload';

const SHARED_REDIS = process.env['SPOOL_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const SHARED_PG = process.env['SPOOL_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
/** Short, so that a death is decided in seconds; instances beat every third of it. */
const TTL_MS = 3000;
const BEAT_MS = TTL_MS / 3;
const CHANNEL = 'faults';
const TOPIC = channelTopic(1, CHANNEL);
const META = { channelId: CHANNEL, channelType: 1, fromUid: 'llm' } as const;

const cleanup: Array<() => unknown> = [];
/** Run once the processes are gone: the run's Redis keys and schema. */
const dataCleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  killSpoolProcesses();
  for (const c of dataCleanup.splice(0)) await c();
});

const admin = () => new Redis(SHARED_REDIS, { maxRetriesPerRequest: 1 });

/**
 * Three instances on the shared Redis under a prefix of this run, and one message store
 * (PostgreSQL, a schema of this run): a store per process (memory) would keep a message
 * saved by one instance from the others. Keys and schema go afterwards.
 */
async function cluster(): Promise<{ prefix: string; nodes: SpoolProcess[] }> {
  const id = randomUUID();
  const prefix = `spool-chaos:${id}:`;
  const schema = `spool_chaos_${id.replaceAll('-', '')}`;
  dataCleanup.push(
    () => deleteKeys(prefix),
    () => dropSchema(schema),
  );
  const env = {
    SPOOL_REDIS_URL: SHARED_REDIS,
    SPOOL_REDIS_PREFIX: prefix,
    SPOOL_DATABASE_URL: SHARED_PG,
    SPOOL_DATABASE_SCHEMA: schema,
    SPOOL_INSTANCE_TTL_MS: String(TTL_MS),
    SPOOL_DEMO: '0',
    SPOOL_SSE_RETRY_MS: '5',
  };
  return { prefix, nodes: await Promise.all([0, 1, 2].map(() => startSpool(env))) };
}

async function deleteKeys(prefix: string): Promise<void> {
  const redis = admin();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
  redis.disconnect();
}

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: SHARED_PG });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

const wsUrl = (p: SpoolProcess) => `ws://127.0.0.1:${p.port}/v1/ws`;

/** A producer on one instance; a long liveness timeout, so a frozen server does not make it leave. */
function producerOn(p: SpoolProcess, options: Partial<SpoolClientOptions> = {}): SpoolProducer {
  const client = new SpoolProducer(wsUrl(p), {
    WebSocket: WebSocket as unknown as SpoolClientOptions['WebSocket'],
    backoff: fastBackoff,
    livenessTimeoutMs: 60_000,
    ...options,
  });
  cleanup.push(() => client.close());
  return client;
}

/**
 * The SDK over WebSocket given several instances' URLs, feeding a check. It starts on the
 * first (the SDK starts on a random one: its first random number, which picks it, is 0 here),
 * so that the scenario knows which instance to kill.
 */
function failoverReader(urls: string[], name: string): { client: SpoolClient; check: SubscriberCheck } {
  const check = new SubscriberCheck(name);
  const client = new SpoolClient(urls, {
    WebSocket: WebSocket as unknown as SpoolClientOptions['WebSocket'],
    backoff: fastBackoff,
    livenessTimeoutMs: 10_000,
    random: startOnFirstUrl(),
  });
  client.subscribe(TOPIC, { after: '0-0', onEvent: (e) => check.add(e), onReset: (x) => check.reset(x) });
  cleanup.push(() => client.close());
  return { client, check };
}

/** Readers on B (SDK over WebSocket) and C (the SDK's SSE and the `eventsource` package). */
async function readersOn(b: SpoolProcess, c: SpoolProcess): Promise<CheckedClient[]> {
  const readers = [
    checkedClient('sdk-ws', b.port, TOPIC, 'B sdk-ws'),
    checkedClient('sdk-sse', c.port, TOPIC, 'C sdk-sse'),
    checkedClient('eventsource', c.port, TOPIC, 'C eventsource'),
  ];
  for (const r of readers) cleanup.push(() => r.close());
  await until(() => readers.every((r) => r.isOpen()), 'every reader connected');
  return readers;
}

/** Appends `n` tokens and waits for every acknowledgement: the text the log then holds. */
async function writeAcked(w: MessageWriter, n: number, random: () => number, from = 0): Promise<string> {
  const tokens = Array.from({ length: n }, (_, i) => llmToken(random, from + i));
  await Promise.all(tokens.map((t) => w.append(t)));
  return tokens.join('');
}

/**
 * Three instances, readers on B and C, and a message produced on A whose first `chunks`
 * chunks are acknowledged and on every reader: where the cancel, takeover and fencing
 * tests start.
 */
async function messageOnA(scenario: string, chunks: number) {
  const { seed, stream } = announce(10, scenario);
  const random = stream(0);
  const { prefix, nodes } = await cluster();
  const [a, b, c] = nodes as [SpoolProcess, SpoolProcess, SpoolProcess];
  const readers = await readersOn(b, c);
  const w = producerOn(a).openMessage(META);
  const text = await writeAcked(w, chunks, random);
  await until(
    () => readers.every((r) => r.check.deltas(w.messageId) === chunks),
    `the first ${chunks} chunks on every reader`,
  );
  return { seed, random, prefix, a, b, c, readers, w, text };
}

async function call(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The `spool:completed` records naming `messageId`. */
async function completions(prefix: string, messageId: string): Promise<number> {
  const redis = admin();
  try {
    const entries = await redis.xrange(`${prefix}spool:completed`, '-', '+');
    return entries.filter(([, f]) => f[f.indexOf('messageId') + 1] === messageId).length;
  } finally {
    redis.disconnect();
  }
}

/** Waits for the first record (the store's outbox relays it shortly after the save). */
async function completionWritten(prefix: string, messageId: string): Promise<void> {
  const start = Date.now();
  while ((await completions(prefix, messageId)) === 0) {
    if (Date.now() - start > 30_000) throw new Error(`no spool:completed record for ${messageId}`);
    await sleep(50);
  }
}

/** Waits until `GET /v1/messages/:id` on `p` answers the message ended. */
async function storedOn(p: SpoolProcess, messageId: string): Promise<void> {
  const start = Date.now();
  while ((await call(p.url, 'GET', `/v1/messages/${messageId}`)).body.status !== 'ended') {
    if (Date.now() - start > 30_000) throw new Error(`${messageId} never ended on ${p.url}`);
    await sleep(20);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('scenario 10: instance faults in a cluster', () => {
  it('failover: a reader on [B, C] whose B is SIGKILLed mid-reply resumes on C, every event once, exact text', async () => {
    const { seed, stream } = announce(10, 'failover mid-reply');
    const random = stream(0);
    const { nodes } = await cluster();
    const [a, b, c] = nodes as [SpoolProcess, SpoolProcess, SpoolProcess];
    const reader = failoverReader([wsUrl(b), wsUrl(c)], 'reader [B, C]');
    await until(() => reader.client.state === 'open', 'the reader connected');
    expect(reader.client.url).toBe(wsUrl(b));

    const producer = producerOn(a);
    const chunks = Math.floor(profile.cutChunks / 2);
    // LLM pacing: a token every few ms, so the kill lands mid-reply.
    let n = 0;
    const reply = startReply(producer, CHANNEL, chunks, random, {
      inFlight: 8,
      pause: () => (++n % 4 === 0 ? sleep(1) : Promise.resolve()),
    });
    await until(() => reader.check.deltas(reply.messageId) >= chunks / 4, 'a quarter of the reply on B');
    const killedAt = Date.now();
    const deltasBefore = reader.check.deltas(reply.messageId);
    await b.stop('SIGKILL');
    await until(
      () => reader.client.state === 'open' && reader.client.url === wsUrl(c),
      'the reader on C',
      30_000,
    );
    const movedMs = Date.now() - killedAt;
    expect((await reply.finished).error).toBeUndefined();
    await until(() => reader.check.ended(reply.messageId), 'the reply ended on the reader');
    expect(deltasBefore).toBeLessThan(reply.chunks.length);
    reader.check.verify(reply);
    expect(reader.check.violations).toEqual([]);
    expect(reader.check.resets).toBe(0);
    expect(reader.check.deltas(reply.messageId)).toBe(reply.chunks.length);

    report({
      scenario: '10-cluster-faults failover',
      seed,
      profile: profile.name,
      replyChunks: reply.chunks.length,
      deltasBeforeKill: deltasBefore,
      eventsChecked: reader.check.events,
      movedToCMs: movedMs,
      mismatches: reader.check.violations.length,
    });
  });

  it('cancel sent to C ends a message produced on A: the writer on A is refused, readers on B and C see cancelled', async () => {
    const { seed, b, c, readers, w, text: acked } = await messageOnA('cancel from another instance', 50);

    const cancelled = await call(c.url, 'POST', `/v1/messages/${w.messageId}/end`, { reason: 'cancelled' });
    expect(cancelled).toEqual({ status: 200, body: { messageId: w.messageId, reason: 'cancelled' } });
    // The producer on A learns it at its next write: refused, and its end rejects with that refusal.
    const late = await w.append(' late').then(
      () => undefined,
      (err: unknown) => err,
    );
    // The code for a write to an ended message: STREAM_CLOSED while A's cache still holds it
    // closed, STREAM_NOT_FOUND once it is gone (docs/protocol.md, "Error codes on the wire").
    expect(late).toBeInstanceOf(SpoolError);
    const code = (late as SpoolError).code;
    expect(['STREAM_CLOSED', 'STREAM_NOT_FOUND']).toContain(code);
    await expect(w.end()).rejects.toMatchObject({ code });

    await until(() => readers.every((r) => r.check.ended(w.messageId)), 'the end on every reader');
    for (const r of readers) r.check.verify({ messageId: w.messageId, text: acked }, 'cancelled');
    for (const r of readers) expect(r.check.violations).toEqual([]);
    expect((await call(b.url, 'GET', `/v1/messages/${w.messageId}`)).body).toMatchObject({
      status: 'ended',
      reason: 'cancelled',
      text: acked,
    });
    report({
      scenario: '10-cluster-faults cancel',
      seed,
      profile: profile.name,
      readers: readers.length,
      eventsChecked: readers.reduce((s, r) => s + r.check.events, 0),
      mismatches: readers.reduce((s, r) => s + r.check.violations.length, 0),
    });
  });

  it('takeover: the owner A SIGKILLed, readers on B and C get msg.end error with the text so far, stored, one completion record', async () => {
    const {
      seed,
      prefix,
      a,
      b,
      readers,
      w,
      text: soFar,
    } = await messageOnA('takeover of a SIGKILLed owner', 200);

    const killedAt = Date.now();
    await a.stop('SIGKILL');
    const endedAfter = new Map<string, number>();
    // A generous bound (the takeover is due within the TTL plus one beat); the time is reported.
    await until(
      () => {
        for (const r of readers)
          if (!endedAfter.has(r.check.name) && r.check.ended(w.messageId))
            endedAfter.set(r.check.name, Date.now() - killedAt);
        return endedAfter.size === readers.length;
      },
      'msg.end on every reader',
      4 * TTL_MS + 5000,
    );
    for (const r of readers) r.check.verify({ messageId: w.messageId, text: soFar }, 'error');
    for (const r of readers) expect(r.check.violations).toEqual([]);
    expect((await call(b.url, 'GET', `/v1/messages/${w.messageId}`)).body).toMatchObject({
      status: 'ended',
      reason: 'error',
      text: soFar,
    });
    // Both survivors saw the death; one claimed it. Two more beats for a late second record.
    await completionWritten(prefix, w.messageId);
    await sleep(2 * BEAT_MS);
    expect(await completions(prefix, w.messageId)).toBe(1);
    report({
      scenario: '10-cluster-faults takeover',
      seed,
      profile: profile.name,
      ttlMs: TTL_MS,
      endAfterKillMs: Object.fromEntries(endedAfter),
      chunksSoFar: 200,
      mismatches: readers.reduce((s, r) => s + r.check.violations.length, 0),
    });
  });

  it('fencing: the owner A SIGSTOPped past the TTL then SIGCONTed, its late writes get FENCED and no reader sees them', async () => {
    const {
      seed,
      random,
      prefix,
      a,
      b,
      readers,
      w,
      text: kept,
    } = await messageOnA('fencing of a paused owner', 100);

    const stoppedAt = Date.now();
    a.pause();
    await until(() => readers.every((r) => r.check.ended(w.messageId)), 'the takeover', 4 * TTL_MS + 5000);
    const takeoverMs = Date.now() - stoppedAt;
    for (const r of readers) r.check.verify({ messageId: w.messageId, text: kept }, 'error');
    const seen = readers.map((r) => r.check.events);

    // Late writes, sent while A is frozen: A reads them once it runs again.
    const late = [w.append(' late'), w.append(' later')].map((p) =>
      p.then(
        () => undefined,
        (err: unknown) => err,
      ),
    );
    a.resume();
    const codes = (await Promise.all(late)).map((e) => (e as SpoolError | undefined)?.code);
    // The first late write meets the owner record: FENCED, and A drops its state of the
    // message. A write A reads after that finds no open message anywhere (the survivor ended
    // it): STREAM_NOT_FOUND. Either way nothing is applied, and the writer fails with FENCED.
    expect(codes[0]).toBe('FENCED');
    for (const code of codes) expect(['FENCED', 'STREAM_NOT_FOUND']).toContain(code);
    await expect(w.end()).rejects.toMatchObject({ code: 'FENCED' });

    // A marker message from B: the log is one order, so whatever A could have put on it
    // before answering FENCED reaches the readers before the marker's end.
    const marker = producerOn(b).openMessage(META);
    const markerText = await writeAcked(marker, 3, random);
    await marker.end();
    await until(() => readers.every((r) => r.check.ended(marker.messageId)), 'the marker everywhere');
    for (const r of readers) {
      r.check.verify({ messageId: w.messageId, text: kept }, 'error');
      r.check.verify({ messageId: marker.messageId, text: markerText });
      expect(r.check.deltas(w.messageId)).toBe(100);
      expect(r.check.violations).toEqual([]);
    }
    expect((await call(b.url, 'GET', `/v1/messages/${w.messageId}`)).body).toMatchObject({
      status: 'ended',
      reason: 'error',
      text: kept,
    });
    await completionWritten(prefix, w.messageId);
    expect(await completions(prefix, w.messageId)).toBe(1);
    report({
      scenario: '10-cluster-faults fencing',
      seed,
      profile: profile.name,
      ttlMs: TTL_MS,
      takeoverAfterStopMs: takeoverMs,
      lateWriteCodes: codes,
      eventsBeforeLateWrites: seen,
      mismatches: readers.reduce((s, r) => s + r.check.violations.length, 0),
    });
  });

  it("every message route called on a non-owner instance gives the owner's answer", async () => {
    const { seed } = announce(10, 'message routes on non-owners');
    const { nodes } = await cluster();
    const [a, b, c] = nodes as [SpoolProcess, SpoolProcess, SpoolProcess];
    const channel = { channelId: CHANNEL, channelType: 1 };
    const opened = await call(a.url, 'POST', '/v1/messages', { ...channel, fromUid: 'llm' });
    expect(opened.status).toBe(201);
    const id = opened.body.messageId as string;
    const other = (await call(a.url, 'POST', '/v1/messages', { ...channel, fromUid: 'llm' })).body
      .messageId as string;
    expect(
      (await call(a.url, 'POST', `/v1/messages/${id}/chunks`, { chunkId: 0, text: 'on A, ' })).status,
    ).toBe(200);
    // Writes through B and C reach the owner A.
    const viaB = await call(b.url, 'POST', `/v1/messages/${id}/chunks`, { chunkId: 1, text: 'via B, ' });
    expect(viaB.status).toBe(200);
    expect(typeof viaB.body.id).toBe('string');
    expect(
      (await call(c.url, 'POST', `/v1/messages/${id}/chunks`, { chunkId: 2, b64: btoa('via C') })).status,
    ).toBe(200);
    const patched = await call(c.url, 'PATCH', `/v1/messages/${id}`, { customFields: { model: 'm1' } });
    expect(patched.status).toBe(200);
    expect((patched.body.meta as { customFields?: unknown }).customFields).toEqual({ model: 'm1' });

    // Reads: the same answer on the owner and on each non-owner.
    const reads = [
      `/v1/messages/${id}`,
      `/v1/messages?channelId=${CHANNEL}&channelType=1`,
      '/v1/messages?fromUid=llm',
      '/v1/messages?field=model&value=m1',
      '/v1/messages',
      `/v1/channels/1/${CHANNEL}/active`,
    ];
    const sorted = (body: unknown) =>
      Array.isArray(body)
        ? [...body].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)))
        : body;
    for (const path of reads) {
      const owner = await call(a.url, 'GET', path);
      expect(owner.status, path).toBe(200);
      for (const p of [b, c]) {
        const answer = await call(p.url, 'GET', path);
        expect({ path, status: answer.status, body: sorted(answer.body) }).toEqual({
          path,
          status: 200,
          body: sorted(owner.body),
        });
      }
    }
    expect((await call(b.url, 'GET', `/v1/messages/${id}`)).body).toMatchObject({
      status: 'streaming',
      text: 'on A, via B, via C',
      lastChunkId: 2,
    });

    // Ends through non-owners: the message, then the channel's other open message.
    expect(await call(b.url, 'POST', `/v1/messages/${id}/end`, {})).toEqual({
      status: 200,
      body: { messageId: id, reason: 'success' },
    });
    expect(await call(c.url, 'POST', `/v1/channels/1/${CHANNEL}/end`, {})).toEqual({
      status: 200,
      body: { ended: 1 },
    });
    // The end is acknowledged before the save completes it: wait for the store's copy.
    for (const m of [id, other]) await storedOn(a, m);
    for (const p of [a, b, c]) {
      expect((await call(p.url, 'GET', `/v1/messages/${id}`)).body).toMatchObject({
        status: 'ended',
        reason: 'success',
        text: 'on A, via B, via C',
      });
      expect((await call(p.url, 'GET', `/v1/messages/${other}`)).body).toMatchObject({
        status: 'ended',
        reason: 'force',
      });
      expect((await call(p.url, 'GET', `/v1/channels/1/${CHANNEL}/active`)).body).toEqual({ active: false });
    }
    const stored = `/v1/store/messages?channelType=1&channelId=${CHANNEL}`;
    const fromOwner = await call(a.url, 'GET', stored);
    expect(fromOwner.status).toBe(200);
    expect((fromOwner.body.items as unknown[]).length).toBe(2);
    for (const p of [b, c]) expect(await call(p.url, 'GET', stored)).toEqual(fromOwner);
    report({
      scenario: '10-cluster-faults message routes',
      seed,
      profile: profile.name,
      routes: reads.length + 6,
    });
  });
});
