/**
 * The rate per principal: shared by all connections and requests of one credential, on
 * every path (HTTP, SSE, WebSocket), answered with 429 / RATE_LIMITED and `retryAfterMs`;
 * other principals are unaffected, and a producer's appends to its own message are paced
 * by the append window, never refused by the rate.
 */
import { createManualClock, type ManualClock, SpoolError } from '@spool/core';
import { describe, expect, it } from 'vitest';
import { LOCAL_PRINCIPAL, SYSTEM } from '../auth/principal';
import { PrincipalLimiter } from '../auth/principal-limits';
import { createSpoolInstance } from '../spool';
import { serverFixture, startServer, TestClient } from './helpers';

const fixture = serverFixture();
const ABUSER = 'abusive-user-token-1';
const OTHER = 'other-user-token-001';
const tokens = { user: [ABUSER, OTHER] };

describe('PrincipalLimiter', () => {
  it('lets a burst through, then refuses with the wait until the next token', () => {
    const clock = createManualClock(0);
    const limiter = new PrincipalLimiter({ ratePerSec: 4, burst: 2 }, clock);
    const alice = { id: 'alice', role: 'user' as const };
    limiter.take(alice);
    limiter.take(alice);
    let err: unknown;
    try {
      limiter.take(alice);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SpoolError);
    expect(err).toMatchObject({ code: 'RATE_LIMITED', details: { retryAfterMs: 250 } });
    limiter.take({ id: 'bob', role: 'user' }); // another principal has its own bucket
    clock.advance(250);
    expect(() => limiter.take(alice)).not.toThrow();
  });

  it('exempts the local principal and the server itself; forgets the least recently active past maxPrincipals', () => {
    const clock = createManualClock(0);
    const limiter = new PrincipalLimiter({ ratePerSec: 1, burst: 1, maxPrincipals: 2 }, clock);
    for (let i = 0; i < 10; i++) {
      limiter.take(LOCAL_PRINCIPAL);
      limiter.take(SYSTEM);
    }
    const a = { id: 'a', role: 'user' as const };
    limiter.take(a);
    expect(() => limiter.take(a)).toThrow(expect.objectContaining({ code: 'RATE_LIMITED' }));
    limiter.take({ id: 'b', role: 'user' });
    limiter.take({ id: 'c', role: 'user' }); // `a` is forgotten: it starts again with a full burst
    expect(() => limiter.take(a)).not.toThrow();
  });

  it('validates its options', () => {
    for (const bad of [{ ratePerSec: 0 }, { burst: 1.5 }, { nope: 1 }, null]) {
      expect(() => new PrincipalLimiter(bad as never, createManualClock(0))).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTION' }),
      );
    }
    expect(() => createSpoolInstance({ principalLimits: { ratePerSec: -1 } })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });
});

describe('on every path', () => {
  const start = async (clock: ManualClock, burst: number) =>
    fixture.track(
      await startServer({
        clock,
        auth: { tokens },
        principalLimits: { ratePerSec: 1, burst },
        ws: { publishRatePerSec: 1_000_000, publishBurst: 1_000_000 },
      }),
    );

  it('HTTP: the abusive principal gets 429 with Retry-After and retryAfterMs; another principal is unaffected', async () => {
    const server = await start(createManualClock(Date.now()), 3);
    const post = (token: string) =>
      fetch(`${server.url}/v1/topics/notes/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ data: 1 }),
      });
    for (let i = 0; i < 3; i++) expect((await post(ABUSER)).status).toBe(201);
    const refused = await post(ABUSER);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({ error: { code: 'RATE_LIMITED', retryAfterMs: 1000 } });
    expect((await post(OTHER)).status).toBe(201);
    // SSE opens count too.
    const sse = await fetch(`${server.url}/v1/topics/notes/events`, {
      headers: { authorization: `Bearer ${ABUSER}` },
    });
    expect(sse.status).toBe(429);
  });

  it('WebSocket: connections of one principal share its rate; other principals are unaffected', async () => {
    const server = await start(createManualClock(Date.now()), 3);
    const connect = async (token: string) => {
      const c = await TestClient.connect(`${server.wsUrl}?access_token=${token}`);
      fixture.keep(c);
      return c;
    };
    const a1 = await connect(ABUSER);
    const a2 = await connect(ABUSER);
    const other = await connect(OTHER);
    expect(await a1.request({ op: 'pub', topic: 'notes', data: 1 })).toMatchObject({ op: 'ack' });
    expect(await a1.request({ op: 'pub', topic: 'notes', data: 2 })).toMatchObject({ op: 'ack' });
    expect(await a2.request({ op: 'pub', topic: 'notes', data: 3 })).toMatchObject({ op: 'ack' });
    expect(await a2.request({ op: 'pub', topic: 'notes', data: 4 })).toMatchObject({
      op: 'err',
      code: 'RATE_LIMITED',
      retryAfterMs: 1000,
    });
    a1.send({ op: 'sub', topic: 'notes' });
    expect(await a1.next((f) => f.op === 'err')).toMatchObject({ code: 'RATE_LIMITED', topic: 'notes' });
    expect(await other.request({ op: 'pub', topic: 'notes', data: 5 })).toMatchObject({ op: 'ack' });
  });

  it('a producer over its rate still completes its message exactly: its own appends are paced by the window', async () => {
    const server = await start(createManualClock(Date.now()), 1);
    const c = await TestClient.connect(`${server.wsUrl}?access_token=${ABUSER}`);
    fixture.keep(c);
    const opened = await c.request({ op: 'msg.open', meta: { channelId: 'general', channelType: 1 } });
    expect(opened).toMatchObject({ op: 'ack' });
    const messageId = opened.messageId as string;
    // The rate is spent: another operation is refused...
    expect(await c.request({ op: 'pub', topic: 'notes', data: 1 })).toMatchObject({ code: 'RATE_LIMITED' });
    // ...but 300 appends to the message it opened, and its end, all go through.
    const parts = Array.from({ length: 300 }, (_, i) => `part ${i};`);
    for (let i = 0; i < parts.length; i++) {
      expect(await c.request({ op: 'msg.append', messageId, chunkId: i, text: parts[i] })).toMatchObject({
        op: 'ack',
      });
    }
    expect(await c.request({ op: 'msg.end', messageId })).toMatchObject({ op: 'ack' });
    const stored = await server.spool.store.get(messageId);
    expect(stored?.text).toBe(parts.join(''));
  });
});
