/** The client's tokens against the real server's token auth. */
import { type SpoolError, SYS_TOPIC } from '@spool/core';
import { createSpool } from '@spool/server';
import { listen, type SpoolServer } from '@spool/server/node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SpoolClient } from '../src/spool-client';
import { subscribeSse } from '../src/sse/sse-subscription';
import { ws } from './fake-server';

const ADMIN = 'admin-token-0001';
const USER = 'user-token-00001';

let spool: ReturnType<typeof createSpool>;
let server: SpoolServer;
let port: number;
const cleanup: Array<() => void> = [];

beforeEach(async () => {
  spool = createSpool({ auth: { tokens: { admin: [ADMIN], user: [USER] } } });
  server = await listen(spool, { port: 0 });
  port = server.port;
});

afterEach(async () => {
  for (const c of cleanup.splice(0)) c();
  await server.close(); // closes the Spool instance too
});

function client(options: ConstructorParameters<typeof SpoolClient>[1]): SpoolClient {
  const c = new SpoolClient(`ws://127.0.0.1:${port}/v1/ws`, {
    WebSocket: ws.WebSocket,
    backoff: { baseMs: 2, maxMs: 10 },
    ...options,
  });
  cleanup.push(() => c.close());
  return c;
}

describe('tokens against the real server', () => {
  it('asks getToken again on reconnect, so a refreshed token gets in', async () => {
    const tokens = ['expired-token-01', 'expired-token-02', USER];
    let asked = 0;
    const c = client({ getToken: async () => tokens[Math.min(asked++, tokens.length - 1)]! });
    const refusals: string[] = [];
    c.on('error', (e) => refusals.push(e.code));
    // Queued until a connection is let in and acknowledges it.
    const id = await c.publish('notes', { hi: 1 });
    expect(id).toMatch(/^\d+-\d+$/);
    expect(asked).toBe(3);
    expect(refusals).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED']);
  });

  it('a user may not subscribe to $sys: the subscription ends with FORBIDDEN', async () => {
    const c = client({ token: USER });
    const errors: string[] = [];
    const sub = c.subscribe(SYS_TOPIC, { onError: (e: SpoolError) => errors.push(e.code) });
    await expect(sub[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(errors).toEqual(['FORBIDDEN']);
  });

  it('SSE sends the token as a bearer header, and ends with UNAUTHENTICATED without one', async () => {
    const denied = subscribeSse(`http://127.0.0.1:${port}`, 'notes', { after: '0-0' });
    cleanup.push(() => denied.unsubscribe());
    await expect(denied[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });

    const sub = subscribeSse(`http://127.0.0.1:${port}`, 'notes', { after: '0-0', token: USER });
    cleanup.push(() => sub.unsubscribe());
    const it = sub[Symbol.asyncIterator]();
    const publisher = client({ token: USER });
    await publisher.publish('notes', 'over sse', { event: 'note' });
    expect((await it.next()).value).toMatchObject({ topic: 'notes', event: 'note', data: 'over sse' });
  });
});
