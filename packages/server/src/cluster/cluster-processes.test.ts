import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { COMPLETED_STREAM } from '@spool/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { TestClient } from '../__tests__/helpers';
import { adminClient, deleteKeys, nextPrefix, runPrefix, TEST_REDIS_URL } from '../broker/redis-test-env';
import { call, declareDeadAcross } from './cluster-test-kit';
import type { InstanceRef } from './membership';

// Real `spool serve` processes on one Redis (docs/architecture.md, "Takeover and fencing"):
// the owner SIGKILLed, or SIGSTOPped past its takeover and SIGCONTed. The deaths are declared
// by the test (the membership's heartbeats are not this file's subject); the takeover claim,
// the owner records and the forwarded writes are the real ones.

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const entry = fileURLToPath(new URL('./__tests__/cluster-serve-entry.ts', import.meta.url));
const admin = adminClient();
const children = new Set<ChildProcess>();

afterEach(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
  }
  children.clear();
});
afterAll(async () => {
  await deleteKeys(admin, runPrefix);
  admin.disconnect();
});

interface Member {
  proc: ChildProcess;
  self: InstanceRef;
  url: string;
  wsUrl: string;
}

async function member(prefix: string, name: string): Promise<Member> {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx/esm', '--conditions=@spool/source', entry, 'serve', '--port', '0'],
    {
      cwd: root,
      env: {
        ...process.env,
        SPOOL_REDIS_URL: TEST_REDIS_URL,
        SPOOL_REDIS_PREFIX: prefix,
        SPOOL_TEST_INSTANCE: name,
        SPOOL_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.add(proc);
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const lines: Record<string, unknown>[] = [];
  let wake: () => void = () => {};
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      lines.push({ text: line });
    }
    wake();
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const find = async (match: (l: Record<string, unknown>) => boolean) => {
    for (;;) {
      const found = lines.find(match);
      if (found) return found;
      if (proc.exitCode !== null) throw new Error(`${name} exited with ${proc.exitCode}: ${stderr}`);
      await Promise.race([new Promise<void>((resolve) => (wake = resolve)), exited]);
    }
  };
  const self = (await find((l) => typeof l.incarnation === 'string')) as unknown as InstanceRef;
  const url = (await find((l) => typeof l.url === 'string')).url as string;
  return { proc, self, url, wsUrl: `${url.replace('http', 'ws')}/v1/ws` };
}

async function completionsOf(prefix: string, messageId: string): Promise<number> {
  const entries = await admin.xrange(`${prefix}${COMPLETED_STREAM}`, '-', '+');
  return entries.filter(([, fields]) => fields[fields.indexOf('messageId') + 1] === messageId).length;
}

const CHANNEL = { channelId: 'general', channelType: 1 };
const TOPIC = 'chan:1:general';

async function subscribe(wsUrl: string): Promise<TestClient> {
  const client = await TestClient.connect(wsUrl);
  client.send({ op: 'sub', topic: TOPIC });
  await client.next((f) => f.op === 'subok');
  return client;
}

describe('spool serve processes in a cluster', () => {
  it('takes over the open message of a SIGKILLed owner: msg.end error, stored with the text so far, one completion record', async () => {
    const prefix = nextPrefix();
    const [a, b] = await Promise.all([member(prefix, 'A'), member(prefix, 'B')]);
    const watcher = await subscribe(b.wsUrl);
    try {
      const opened = await call(a.url, 'POST', '/v1/messages', CHANNEL);
      const messageId = opened.body.messageId as string;
      expect(
        (await call(a.url, 'POST', `/v1/messages/${messageId}/chunks`, { chunkId: 0, text: 'so ' })).status,
      ).toBe(200);
      // Through B, forwarded to A.
      expect(
        (await call(b.url, 'POST', `/v1/messages/${messageId}/chunks`, { chunkId: 1, text: 'far' })).status,
      ).toBe(200);
      a.proc.kill('SIGKILL');
      await new Promise((resolve) => a.proc.once('exit', resolve));
      expect(await declareDeadAcross(admin, prefix, a.self)).toBe(1);

      const end = await watcher.next((f) => f.op === 'ev' && f.event === 'msg.end');
      expect(end.data).toEqual({ messageId, reason: 'error', persisted: true });
      expect((await call(b.url, 'GET', `/v1/messages/${messageId}`)).body).toMatchObject({
        status: 'ended',
        reason: 'error',
        text: 'so far',
      });
      expect(await completionsOf(prefix, messageId)).toBe(1);
    } finally {
      await watcher.close();
    }
  });

  it('retries the takeover of a SIGKILLed owner when the survivor that claimed it never finishes', async () => {
    const prefix = nextPrefix();
    const [a, b, c] = await Promise.all([member(prefix, 'A'), member(prefix, 'B'), member(prefix, 'C')]);
    const watcher = await subscribe(c.wsUrl);
    try {
      const opened = await call(a.url, 'POST', '/v1/messages', CHANNEL);
      const messageId = opened.body.messageId as string;
      await call(a.url, 'POST', `/v1/messages/${messageId}/chunks`, { chunkId: 0, text: 'left' });
      a.proc.kill('SIGKILL');
      await new Promise((resolve) => a.proc.once('exit', resolve));
      // The claim of a survivor that died right after winning it: nobody renews it.
      const key = `${prefix}takeover:${a.self.incarnation}`;
      expect(await admin.set(key, 'gone|0123', 'PX', 2000, 'NX')).toBe('OK');
      expect(await declareDeadAcross(admin, prefix, a.self)).toBe(2);

      const end = await watcher.next((f) => f.op === 'ev' && f.event === 'msg.end');
      expect(end.data).toEqual({ messageId, reason: 'error', persisted: true });
      await expect.poll(() => admin.get(key), { timeout: 10_000 }).toMatch(/^done\|[BC]\|/);
      // Each process has a store of its own here: the survivor that finished the takeover has the message.
      const survivor = (await admin.get(key))!.startsWith('done|B|') ? b : c;
      expect((await call(survivor.url, 'GET', `/v1/messages/${messageId}`)).body).toMatchObject({
        status: 'ended',
        reason: 'error',
        text: 'left',
      });
      expect(await completionsOf(prefix, messageId)).toBe(1);
      expect(watcher.frames.filter((f) => f.op === 'ev' && f.event === 'msg.end')).toEqual([]);
    } finally {
      await watcher.close();
    }
  });

  it('fences an owner SIGSTOPped past its takeover: after SIGCONT its late writes get FENCED and no client sees them', async () => {
    const prefix = nextPrefix();
    const [a, b] = await Promise.all([member(prefix, 'A'), member(prefix, 'B')]);
    const onA = await subscribe(a.wsUrl);
    const onB = await subscribe(b.wsUrl);
    try {
      const opened = await call(a.url, 'POST', '/v1/messages', CHANNEL);
      const messageId = opened.body.messageId as string;
      await call(a.url, 'POST', `/v1/messages/${messageId}/chunks`, { chunkId: 0, text: 'kept' });
      await onA.next((f) => f.op === 'ev' && f.event === 'msg.delta');

      a.proc.kill('SIGSTOP');
      expect(await declareDeadAcross(admin, prefix, a.self)).toBe(2);
      const end = await onB.next((f) => f.op === 'ev' && f.event === 'msg.end');
      expect(end.data).toEqual({ messageId, reason: 'error', persisted: true });
      a.proc.kill('SIGCONT');

      const late = await call(a.url, 'POST', `/v1/messages/${messageId}/chunks`, {
        chunkId: 1,
        text: ' late',
      });
      expect(late.status).toBe(409);
      expect((late.body.error as { code: string }).code).toBe('FENCED');
      // A answers later requests (so its socket is live), and never sent the late delta or an end.
      expect((await call(a.url, 'GET', `/v1/messages/${messageId}`)).status).toBe(404);
      expect(onA.frames.some((f) => f.op === 'ev' && JSON.stringify(f.data).includes(' late'))).toBe(false);
      // Topics are shared: A's readers get the survivor's one `msg.end` (reason error), never one of A's own.
      // (`next` took B's one `msg.end` off its frames: none may follow.)
      const ends = (frames: typeof onA.frames) =>
        frames.filter((f) => f.op === 'ev' && f.event === 'msg.end').map((f) => f.data);
      expect(ends(onB.frames)).toEqual([]);
      expect(ends(onA.frames).every((d) => JSON.stringify(d) === JSON.stringify(end.data))).toBe(true);
      expect(ends(onA.frames).length).toBeLessThanOrEqual(1);
      expect((await call(b.url, 'GET', `/v1/messages/${messageId}`)).body).toMatchObject({
        status: 'ended',
        reason: 'error',
        text: 'kept',
      });
      expect(await completionsOf(prefix, messageId)).toBe(1);
    } finally {
      await onA.close();
      await onB.close();
    }
  });
});
