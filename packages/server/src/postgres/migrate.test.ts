import { createServer } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type Child, spawnChild } from './__tests__/child';
import { connectPostgresStore, migratePostgres } from './connect';
import { assertSchemaCurrent, type MigrateResult, migrate } from './migrate';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations';
import { pgRunner } from './pg-runner';
import { adminPool, dropSchema, TEST_DATABASE_URL, uniqueSchema } from './pg-test-env';

const admin = adminPool();
const schemas: string[] = [];
const children: Child[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
  for (const s of schemas.splice(0)) await dropSchema(admin, s);
});
afterAll(() => admin.end());

function schema(): string {
  const s = uniqueSchema();
  schemas.push(s);
  return s;
}

async function versions(s: string): Promise<number[]> {
  const { rows } = await admin.query<{ version: number }>(
    `SELECT version FROM "${s}".schema_migrations ORDER BY version`,
  );
  return rows.map((r) => r.version);
}

const all = MIGRATIONS.map((m) => m.version);

describe('migrate', () => {
  it('creates the schema, applies every migration once, and then nothing', async () => {
    const s = schema();
    expect(await migratePostgres({ connectionString: TEST_DATABASE_URL, schema: s })).toEqual({
      schema: s,
      applied: all,
      version: LATEST_SCHEMA_VERSION,
    });
    expect(await migratePostgres({ connectionString: TEST_DATABASE_URL, schema: s })).toEqual({
      schema: s,
      applied: [],
      version: LATEST_SCHEMA_VERSION,
    });
    expect(await versions(s)).toEqual(all);
    const { rows } = await admin.query<{ indexname: string }>(
      'SELECT indexname FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname',
      [s],
    );
    expect(rows.map((r) => r.indexname)).toEqual(
      expect.arrayContaining([
        'messages_channel_first_idx',
        'messages_channel_last_idx',
        'messages_custom_fields_idx',
        'messages_sender_idx',
      ]),
    );
  });

  it('upgrades a schema from an older version with only the migrations it lacks', async () => {
    const s = schema();
    const runner = pgRunner(admin);
    expect((await migrate(runner, { schema: s, target: 1 })).applied).toEqual([1]);
    expect(await migrate(runner, { schema: s })).toMatchObject({ applied: all.slice(1) });
    expect(await versions(s)).toEqual(all);
  });

  it('applies each migration once when two pools migrate at the same time', async () => {
    const s = schema();
    const results = await Promise.all(
      [0, 1].map(() => migratePostgres({ connectionString: TEST_DATABASE_URL, schema: s })),
    );
    expect(results.map((r) => r.applied).sort()).toEqual([[], all]);
    expect(await versions(s)).toEqual(all);
  });

  it('applies each migration once when two processes start together', async () => {
    const s = schema();
    const pair = [0, 1].map(() =>
      spawnChild('./migrate-child.ts', { DATABASE_URL: TEST_DATABASE_URL, SCHEMA: s }),
    );
    children.push(...pair);
    for (const c of pair) await c.line((l) => l === 'ready');
    for (const c of pair) c.send('go');
    const results = (await Promise.all(pair.map((c) => c.line((l) => l.startsWith('{'))))).map(
      (l) => JSON.parse(l) as MigrateResult,
    );
    expect(results.map((r) => r.applied).sort()).toEqual([[], all]);
    expect(await versions(s)).toEqual(all);
  });

  it('refuses a schema migrated by a newer build, and a bad schema name', async () => {
    const s = schema();
    const runner = pgRunner(admin);
    await migrate(runner, { schema: s });
    await admin.query(`INSERT INTO "${s}".schema_migrations (version, name) VALUES ($1, 'future')`, [
      LATEST_SCHEMA_VERSION + 1,
    ]);
    await expect(migrate(runner, { schema: s })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(assertSchemaCurrent(runner, s)).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    for (const bad of ['Spool', 'a-b', '1abc', 'pg_x', '', 'x'.repeat(64), 'a"; DROP']) {
      await expect(migrate(runner, { schema: bad })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    }
    await expect(migrate(runner, { schema: s, target: 99 })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    });
  });

  it('opens a store with migrate: false only on a current schema', async () => {
    const s = schema();
    const open = () =>
      connectPostgresStore({ connectionString: TEST_DATABASE_URL, schema: s, migrate: false });
    await expect(open()).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringMatching(/spool migrate/),
    });
    await migrate(pgRunner(admin), { schema: s, target: 1 });
    await expect(open()).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await migrate(pgRunner(admin), { schema: s });
    const store = await open();
    expect(await store.stats()).toMatchObject({ kind: 'postgres', schema: s, messages: 0, outboxBacklog: 0 });
    await store.close();
  });

  it('fails with STORE_UNAVAILABLE when PostgreSQL cannot be reached', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await expect(
      connectPostgresStore({
        connectionString: `postgres://postgres@127.0.0.1:${port}/test`,
        schema: schema(),
      }),
    ).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });
});
