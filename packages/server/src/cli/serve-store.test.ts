/**
 * `spool serve` on a database: PostgreSQL (`SPOOL_DATABASE_URL`, a schema per test,
 * dropped afterwards) and the embedded PGlite (`--data`). Finished messages outlive the
 * server, each gets exactly one `spool:completed` record (written by the outbox relay), and
 * `spool migrate` applies the migrations. (Real processes: serve-durability.test.ts.)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMPLETED_STREAM, type StreamBroker } from '@spool/core';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { adminPool, dropSchema, TEST_DATABASE_URL, uniqueSchema } from '../postgres/pg-test-env';
import { runCli } from './run-cli';
import { type ServeHandle, startServe } from './serve';
import { parseServeArgs, type ServeConfig } from './serve-options';

const silent = pino({ level: 'silent' });
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function config(env: Record<string, string>, argv: string[] = []): ServeConfig {
  const c = parseServeArgs(['serve', '--port', '0', ...argv], env);
  if (c.kind !== 'serve') throw new Error('expected serve');
  return c.config;
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'spool-serve-store-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function start(cfg: ServeConfig): Promise<ServeHandle> {
  const serve = await startServe(cfg, { dashboardDir: join(tmpdir(), 'no-dashboard'), logger: silent });
  cleanup.push(() => serve.shutdown('test over'));
  return serve;
}

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies of several routes, checked by the assertions
async function call(base: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = await res.json();
  if (res.status >= 300) throw Object.assign(new Error(`${method} ${path}: ${res.status}`), { json });
  return json;
}

/** Opens, writes and ends one message over HTTP; resolves with its ID. */
async function produce(base: string, channelId: string, chunks: string[], seen?: string[]): Promise<string> {
  const { messageId, id } = await call(base, 'POST', '/v1/messages', { channelId, channelType: 1 });
  seen?.push(id);
  for (const [chunkId, text] of chunks.entries()) {
    const appended = await call(base, 'POST', `/v1/messages/${messageId}/chunks`, { chunkId, text });
    seen?.push(appended.id);
  }
  await call(base, 'POST', `/v1/messages/${messageId}/end`, { reason: 'success' });
  return messageId as string;
}

async function eventually<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The `spool:completed` records, counted by message ID. */
async function completions(broker: StreamBroker): Promise<Map<string, Array<Record<string, string>>>> {
  const byId = new Map<string, Array<Record<string, string>>>();
  const entries = await broker.xrange(COMPLETED_STREAM, '-', '+').catch(() => []);
  for (const e of entries) {
    const f = { ...e.fields } as Record<string, string>;
    byId.set(f.messageId!, [...(byId.get(f.messageId!) ?? []), f]);
  }
  return byId;
}

describe('spool serve on PostgreSQL', () => {
  async function schemaForTest(): Promise<string> {
    const schema = uniqueSchema();
    const admin = adminPool();
    cleanup.push(async () => {
      await dropSchema(admin, schema);
      await admin.end();
    });
    return schema;
  }

  it('saves finished messages in the schema it creates, with one completion record each, across a restart', async () => {
    const schema = await schemaForTest();
    const env = { SPOOL_DATABASE_URL: TEST_DATABASE_URL, SPOOL_DATABASE_SCHEMA: schema };
    const first = await start(config(env));
    const ready = await call(first.url, 'GET', '/readyz');
    expect(ready).toMatchObject({ ready: true, checks: { store: { ok: true, kind: 'postgres' } } });
    const ids = [
      await produce(first.url, 'pg', ['Hel', 'lo']),
      await produce(first.url, 'pg', ['wörld ', '👋']),
      await produce(first.url, 'pg', []),
    ];
    const records = await eventually(
      'a completion record per message',
      () => completions(first.broker),
      (m) => ids.every((id) => m.has(id)),
    );
    for (const id of ids) expect(records.get(id)).toEqual([expect.objectContaining({ persisted: 'true' })]);
    expect(records.size).toBe(3);
    await eventually(
      'the outbox emptied',
      () => call(first.url, 'GET', '/v1/stats'),
      (st) => st.store.outboxBacklog === 0,
    );
    expect((await call(first.url, 'GET', '/v1/stats')).store).toEqual({
      kind: 'postgres',
      messages: 3,
      outboxBacklog: 0,
      deadLetters: 0,
    });
    await first.shutdown('restart');

    const admin = adminPool();
    cleanup.push(() => admin.end());
    const { rows } = await admin.query<{ n: string; backlog: string }>(
      `SELECT (SELECT count(*) FROM "${schema}".messages)::text AS n, (SELECT count(*) FROM "${schema}".outbox)::text AS backlog`,
    );
    expect(rows[0]).toEqual({ n: '3', backlog: '0' });

    const second = await start(config(env));
    const texts = await Promise.all(ids.map((id) => call(second.url, 'GET', `/v1/messages/${id}`)));
    expect(texts.map((m) => [m.status, m.text])).toEqual([
      ['ended', 'Hello'],
      ['ended', 'wörld 👋'],
      ['ended', ''],
    ]);
  });

  it('refuses to start with STORE_UNAVAILABLE when PostgreSQL cannot be reached', async () => {
    // A port nothing listens on: taken, then released.
    const free = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as AddressInfo;
        s.close(() => resolve(port));
      });
    });
    const url = new URL(TEST_DATABASE_URL);
    url.port = String(free);
    await expect(start(config({ SPOOL_DATABASE_URL: url.toString() }))).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
    });
  });

  it('`spool migrate` applies the migrations once, then finds the schema current', async () => {
    const schema = await schemaForTest();
    const out: string[] = [];
    const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => out.push(t), onSignal: () => {} };
    const argv = ['migrate', '--database-url', TEST_DATABASE_URL, '--database-schema', schema];
    expect(await runCli(argv, {}, {}, io)).toBe(0);
    expect(out.pop()).toMatch(new RegExp(`schema "${schema}": applied migration\\(s\\) 1`));
    expect(await runCli(argv, {}, {}, io)).toBe(0);
    expect(out.pop()).toMatch(/is current/);
  });
});

describe('spool serve --data (embedded PGlite)', () => {
  it('keeps finished messages across a restart, and refuses a second server on the same directory', async () => {
    const dir = await tempDir();
    const cfg = config({}, ['--data', join(dir, 'data')]);
    const first = await start(cfg);
    expect(await call(first.url, 'GET', '/readyz')).toMatchObject({
      checks: { store: { ok: true, kind: 'pglite' } },
    });
    const id = await produce(first.url, 'embedded', ['kept ', 'on disk']);
    await eventually(
      'its record',
      () => completions(first.broker),
      (m) => m.has(id),
    );
    await expect(start(cfg)).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    // `spool migrate` takes the same lock: refused while the server runs.
    const out: string[] = [];
    const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => out.push(t), onSignal: () => {} };
    expect(await runCli(['migrate', '--data', join(dir, 'data')], {}, {}, io)).toBe(2);
    expect(out.pop()).toMatch(/is in use by process \d+/);
    await first.shutdown('restart');
    expect(await runCli(['migrate', '--data', join(dir, 'data')], {}, {}, io)).toBe(0);
    expect(out.pop()).toMatch(/schema "spool" is current/);

    const second = await start(cfg);
    const saved = await call(second.url, 'GET', `/v1/messages/${id}`);
    expect([saved.status, saved.text, saved.reason]).toEqual(['ended', 'kept on disk', 'success']);
  }, 60_000);
});
