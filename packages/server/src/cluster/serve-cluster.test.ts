import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryMessageStore } from '@spool/core';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { adminClient, deleteKeys, nextPrefix, runPrefix, TEST_REDIS_URL } from '../broker/redis-test-env';
import { type ServeHandle, startServe } from '../cli/serve';
import { parseServeArgs, type ServeConfig } from '../cli/serve-options';
import { internalsOf } from '../spool';
import { call, endOf, TestMembership } from './cluster-test-kit';

// `spool serve` with SPOOL_REDIS_URL and a membership: two servers on one Redis answer each
// other's messages (docs/architecture.md, "Messages across instances").

const silent = pino({ level: 'silent' });
const admin = adminClient();
const started: ServeHandle[] = [];
const connections: Redis[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.shutdown('test over')));
  for (const r of connections.splice(0)) r.disconnect();
});
afterAll(async () => {
  await deleteKeys(admin, runPrefix);
  admin.disconnect();
});

function config(prefix: string): ServeConfig {
  const c = parseServeArgs(['serve', '--port', '0'], {
    SPOOL_REDIS_URL: TEST_REDIS_URL,
    SPOOL_REDIS_PREFIX: prefix,
  });
  if (c.kind !== 'serve') throw new Error('expected serve');
  return c.config;
}

async function serveOne(prefix: string, name: string, store: MemoryMessageStore): Promise<ServeHandle> {
  const redis = new Redis(TEST_REDIS_URL, { protocol: 2, maxRetriesPerRequest: 1 });
  connections.push(redis);
  const membership = new TestMembership({ instanceId: name, incarnation: randomUUID() }, redis, prefix);
  const serve = await startServe(config(prefix), {
    dashboardDir: join(tmpdir(), 'no-dashboard'),
    logger: silent,
    store,
    membership,
  });
  started.push(serve);
  return serve;
}

describe('spool serve in cluster mode', () => {
  it('forwards a non-owner’s writes and answers reads from the shared records', async () => {
    const prefix = nextPrefix();
    const store = new MemoryMessageStore();
    const a = await serveOne(prefix, 'A', store);
    const b = await serveOne(prefix, 'B', store);
    const opened = await call(a.url, 'POST', '/v1/messages', { channelId: 'general', channelType: 1 });
    const messageId = opened.body.messageId as string;
    expect(
      (await call(b.url, 'POST', `/v1/messages/${messageId}/chunks`, { chunkId: 0, text: 'hi' })).status,
    ).toBe(200);
    expect((await call(b.url, 'GET', `/v1/messages/${messageId}`)).body).toMatchObject({
      text: 'hi',
      status: 'streaming',
    });
    expect(internalsOf(a.spool).cache.getStream(messageId)?.text()).toBe('hi');
    expect((await call(b.url, 'POST', `/v1/messages/${messageId}/end`, {})).status).toBe(200);
    await endOf(internalsOf(a.spool), 'chan:1:general', messageId);
    expect((await call(b.url, 'GET', `/v1/messages/${messageId}`)).body).toMatchObject({
      text: 'hi',
      status: 'ended',
      reason: 'success',
    });
  });
});
