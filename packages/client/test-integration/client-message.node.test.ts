/** `client.message(id)` against the real server: own messages, and messages fetched over HTTP. */
import type { SpoolError } from '@spool/core';
import { createSpool } from '@spool/server';
import { listen, type SpoolServer } from '@spool/server/node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
// Internals that the server's public `Spool` keeps private, read by these tests only.
import { internalsOf } from '../../server/src/spool';
import { SpoolProducer } from '../src/producer';
import { until, ws } from './fake-server';

const USER = 'user-token-00001';
let spool: ReturnType<typeof createSpool>;
let server: SpoolServer;
let url: string;
const clients: SpoolProducer[] = [];

beforeEach(async () => {
  spool = createSpool({ auth: { tokens: { user: [USER] } } });
  server = await listen(spool, { port: 0 });
  url = `ws://127.0.0.1:${server.port}/v1/ws`;
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server.close(); // closes the Spool instance too
});

function client(): { c: SpoolProducer; errors: SpoolError[] } {
  const c = new SpoolProducer(url, { WebSocket: ws.WebSocket, token: USER });
  clients.push(c);
  const errors: SpoolError[] = [];
  c.on('error', (e) => errors.push(e));
  return { c, errors };
}

describe('client.message(id) against the server', () => {
  it('follows a message this client writes, without subscribing to its channel', async () => {
    const { c } = client();
    const w = c.openMessage({ channelId: 'general', channelType: 1, fromUid: 'me' });
    const msg = c.message(w.messageId);
    expect(msg.getSnapshot().status).toBe('streaming');
    await w.append('Hello, ');
    expect(msg.getSnapshot().text).toBe('Hello, ');
    await w.append('world');
    await w.end();
    expect(msg.getSnapshot()).toMatchObject({ text: 'Hello, world', status: 'ended', reason: 'success' });
  });

  it('reads a message another producer wrote: open from the cache, ended from the store', async () => {
    const run = await spool.run({ channelId: 'general', channelType: 1, fromUid: 'bot' }, async (write) => {
      await write('Hi ');
      await write('there');
    });
    await run.done;
    await until(() => internalsOf(spool).cache.getStream(run.messageId) === undefined, 'completion');
    const { c, errors } = client();
    const msg = c.message(run.messageId);
    expect(msg.getSnapshot().status).toBe('unknown');
    await until(() => msg.getSnapshot().status !== 'unknown', 'the lookup');
    expect(msg.getSnapshot()).toMatchObject({
      text: 'Hi there',
      status: 'ended',
      reason: 'success',
      meta: { channelId: 'general', fromUid: 'bot' },
    });
    expect(errors).toEqual([]);

    // Still open: the cache answers with the text so far.
    const api = (path: string, body: unknown) =>
      fetch(`${url.replace(/^ws(.*)\/v1\/ws$/, 'http$1')}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${USER}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((r) => r.json() as Promise<{ messageId: string }>);
    const { messageId } = await api('/v1/messages', { channelId: 'general', channelType: 1 });
    await api(`/v1/messages/${messageId}/chunks`, { chunkId: 0, text: 'so far' });
    const live = c.message(messageId);
    await until(() => live.getSnapshot().status !== 'unknown', 'the second lookup');
    expect(live.getSnapshot()).toMatchObject({ text: 'so far', status: 'streaming' });
  });

  it('an unknown ID: unknown, and MESSAGE_NOT_FOUND on the error listener', async () => {
    const { c, errors } = client();
    c.message('123456789');
    await until(() => errors.length === 1, 'the error');
    expect(errors[0]).toMatchObject({ code: 'MESSAGE_NOT_FOUND', details: { status: 404 } });
    expect(c.message('123456789').getSnapshot().status).toBe('unknown');
  });
});
