/** `client.history(channel, { before, limit })` against the real server, in memory mode. */
import type { ChannelHistoryItem } from '@spool/core';
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
  spool = createSpool({
    auth: {
      tokens: { user: [USER] },
      authorize: (_p, _action, topic) => topic !== 'chan:1:secret',
    },
  });
  server = await listen(spool, { port: 0 });
  url = `ws://127.0.0.1:${server.port}/v1/ws`;
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server.close(); // closes the Spool instance too
});

function client(token = USER): SpoolProducer {
  const c = new SpoolProducer(url, { WebSocket: ws.WebSocket, token });
  clients.push(c);
  return c;
}

const general = { channelType: 1, channelId: 'general' };

describe('client.history against the server', () => {
  it('pages a channel newest first, finished messages and the one still streaming, each once', async () => {
    const c = client();
    const texts: string[] = [];
    for (let i = 0; i < 5; i++) {
      const w = c.openMessage({ ...general, fromUid: 'bot' });
      await w.append(`reply `);
      await w.append(`${i} ✓`);
      await w.end();
      texts.push(`reply ${i} ✓`);
      await until(() => internalsOf(spool).cache.getStream(w.messageId) === undefined, 'completion');
    }
    const open = c.openMessage({ ...general, fromUid: 'bot' });
    await open.append('typing…');
    texts.push('typing…');

    const seen: ChannelHistoryItem[] = [];
    let before: string | undefined;
    for (;;) {
      const page = await c.history(general, { limit: 4, ...(before ? { before } : {}) });
      seen.push(...page.items);
      if (page.next === null) break;
      before = page.next;
    }
    expect(seen.map((m) => m.text)).toEqual([...texts].reverse());
    expect(seen[0]).toMatchObject({ messageId: open.messageId, status: 'streaming', persisted: false });
    expect(seen.slice(1).every((m) => m.status === 'ended' && m.persisted)).toBe(true);
    await open.end();
  });

  it('rejects with the server code: a malformed cursor, a bad limit, a forbidden channel, a bad token', async () => {
    const c = client();
    await expect(c.history(general, { before: 'soon' })).rejects.toMatchObject({
      code: 'INVALID_EVENT_ID',
      details: { status: 400 },
    });
    await expect(c.history(general, { limit: 0 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(c.history({ channelType: 1, channelId: 'secret' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      details: { status: 403 },
    });
    await expect(client('not-a-token-0001').history(general)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    // A channel name that needs escaping reaches the right channel.
    expect(await c.history({ channelType: 1, channelId: 'a/b c?' })).toEqual({ items: [], next: null });
  });
});
