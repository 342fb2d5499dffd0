/**
 * Authorization cannot be skipped by accident: every producer operation names its
 * principal, SYSTEM (the server itself) is the one that is not authorized, and no HTTP or
 * WebSocket path reaches a producer operation without the caller's principal.
 */
import { channelTopic } from '@spool/core';
import type { ChatProducer } from '@spool/core/internal';
import { describe, expect, it } from 'vitest';
import { type Principal, SYSTEM } from '../auth/principal';
import { startDemo } from '../demo/demo';
import { createSpoolInstance, type SpoolInstance } from '../spool';
import { serverFixture, startServer, TestClient } from './helpers';

const fixture = serverFixture();
const meta = { channelId: 'p', channelType: 1 };

/** Records the principal of every producer operation (open, append, end) on `spool`. */
function recordPrincipals(spool: SpoolInstance): Array<{ op: string; principal: unknown }> {
  const calls: Array<{ op: string; principal: unknown }> = [];
  const producer = spool.messages as ChatProducer & Record<string, unknown>;
  for (const op of ['open', 'append', 'end'] as const) {
    const real = producer[op].bind(producer) as (...args: unknown[]) => Promise<unknown>;
    producer[op] = ((...args: unknown[]) => {
      calls.push({ op, principal: args[args.length - 1] });
      return real(...args);
    }) as never;
  }
  return calls;
}

describe('producer operations and their principal', () => {
  it('refuse a missing principal with UNAUTHENTICATED (and the types require one)', async () => {
    const spool = createSpoolInstance();
    try {
      const nobody = undefined as unknown as Principal;
      await expect(spool.messages.open(meta, nobody)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
      const { messageId } = await spool.messages.open(meta, SYSTEM);
      await expect(spool.messages.append(messageId, 0, { text: 'x' }, nobody)).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
      });
      // @ts-expect-error a principal is required: leaving it out does not compile
      await expect(spool.messages.end(messageId, 'success')).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
      });
      await expect(
        spool.messages.end(messageId, 'success', { role: 'admin' } as unknown as Principal),
      ).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
      expect(spool.cache.getStream(messageId)?.chunkCount).toBe(0);
    } finally {
      await spool.close();
    }
  });

  it('skip authorization for SYSTEM only, never for a principal that merely shares its id', async () => {
    const spool = createSpoolInstance({
      auth: { tokens: { admin: ['admin-token-1'] }, authorize: () => false },
    });
    try {
      const { messageId } = await spool.messages.open(meta, SYSTEM);
      await spool.messages.append(messageId, 0, { text: 'ok' }, SYSTEM);
      const forged: Principal = { id: SYSTEM.id, role: 'admin' };
      await expect(spool.messages.open(meta, forged)).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(spool.messages.append(messageId, 1, { text: 'x' }, forged)).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      await expect(spool.messages.end(messageId, 'success', forged)).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      // Nor may it re-open SYSTEM's message as its own retry.
      await expect(spool.messages.open({ ...meta, messageId }, forged)).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      const run = await spool.run(meta, async (write) => {
        await write('the server writes');
      });
      expect(await run.done).toBe('success');
    } finally {
      await spool.close();
    }
  });

  it('no HTTP or WebSocket path reaches a producer operation without the caller’s principal', async () => {
    const token = 'user-token-1';
    const server = fixture.track(await startServer({ auth: { tokens: { user: [token] } } }));
    const demo = startDemo(server.spool, {
      producer: { minIntervalMs: 3_600_000, maxIntervalMs: 3_600_000 },
    });
    try {
      const calls = recordPrincipals(server.spool);
      const auth = { authorization: `Bearer ${token}` };
      const http = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(`${server.url}${path}`, {
          method,
          headers: { 'content-type': 'application/json', ...auth },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        return { status: res.status, body: (await res.json()) as Record<string, string> };
      };
      // Every route about messages, channels and the demo, and every producer op of the socket.
      const toured = new Set<string>();
      const route = (method: string, pattern: string) => toured.add(`${method} ${pattern}`);

      route('POST', '/v1/messages');
      const { messageId } = (await http('POST', '/v1/messages', meta)).body as { messageId: string };
      route('POST', '/v1/messages/:id/chunks');
      expect((await http('POST', `/v1/messages/${messageId}/chunks`, { chunkId: 0, text: 'a' })).status).toBe(
        200,
      );
      route('PATCH', '/v1/messages/:id');
      expect((await http('PATCH', `/v1/messages/${messageId}`, { clientMsgNo: 'n' })).status).toBe(200);
      route('GET', '/v1/messages/:id');
      expect((await http('GET', `/v1/messages/${messageId}`)).status).toBe(200);
      route('GET', '/v1/messages');
      expect((await http('GET', '/v1/messages')).status).toBe(200);
      route('GET', '/v1/channels/:type/:id/active');
      expect((await http('GET', '/v1/channels/1/p/active')).status).toBe(200);
      route('GET', '/v1/channels/:type/:id/messages');
      expect((await http('GET', '/v1/channels/1/p/messages')).status).toBe(200);
      route('POST', '/v1/messages/:id/end');
      expect((await http('POST', `/v1/messages/${messageId}/end`, {})).status).toBe(200);
      route('POST', '/v1/channels/:type/:id/end');
      expect((await http('POST', '/v1/channels/1/p/end', {})).status).toBe(200);
      route('POST', '/v1/demo/replies');
      const demoReply = await http('POST', '/v1/demo/replies', { channel: channelTopic(1, 'p') });
      expect(demoReply.status).toBe(201);

      const ws = await TestClient.connect(server.wsUrl, { headers: auth });
      fixture.keep(ws);
      const opened = await ws.request({ op: 'msg.open', meta });
      const id = opened.messageId as string;
      expect((await ws.request({ op: 'msg.append', messageId: id, chunkId: 0, text: 'b' })).op).toBe('ack');
      expect((await ws.request({ op: 'msg.end', messageId: id })).op).toBe('ack');
      const second = (await ws.request({ op: 'msg.open', meta })).messageId as string;
      expect((await ws.request({ op: 'msg.cancel', messageId: second })).op).toBe('ack');

      // The tour covers every such route there is: a new one must be added here.
      const routes = server.spool.router
        .list()
        .filter((r) => /^\/v1\/(messages|channels|demo)/.test(r.pattern))
        .map((r) => `${r.method} ${r.pattern}`);
      expect(new Set(routes)).toEqual(toured);

      const byCaller = calls.filter((c) => c.principal !== SYSTEM);
      expect(byCaller.map((c) => c.op)).toEqual([
        'open',
        'append',
        'end',
        'open',
        'append',
        'end',
        'open',
        'end',
      ]);
      for (const { principal } of byCaller) {
        expect(principal).toMatchObject({ id: expect.stringMatching(/^user:/), role: 'user' });
      }
      // The demo reply is a producer the server runs (SYSTEM), after the caller was authorized for it.
      expect(calls.filter((c) => c.principal === SYSTEM).map((c) => c.op)[0]).toBe('open');
    } finally {
      demo.stopProducing();
      await demo.producer.stop();
      await demo.stopWorkers();
    }
  });
});
