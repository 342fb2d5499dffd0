/**
 * A JWT that expires during a live connection, against the real server: the server ends
 * the WebSocket (4401 TOKEN_EXPIRED) or the SSE stream (`event: error` TOKEN_EXPIRED) at
 * `exp`, the client asks `getToken` for a fresh token and resumes exactly: every event
 * once, in order, those published while it was away included. The server runs on a manual
 * clock, so `exp` arrives when the test says, not after a sleep.
 */
import { createManualClock, type ManualClock } from '@spool/core';
import { createSpool } from '@spool/server';
import { listen, type SpoolServer } from '@spool/server/node';
import { SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SpoolClient } from '../src/spool-client';
import type { SpoolEvent } from '../src/spool-event';
import { subscribeSse } from '../src/sse/sse-subscription';
import { until, ws } from './fake-server';

const SECRET = new TextEncoder().encode('a-jwt-secret-for-the-client-tests-0001');
const BEFORE = 30;
const AFTER = 30;

let spool: ReturnType<typeof createSpool>;
let clock: ManualClock;
let server: SpoolServer;
let port: number;
const cleanup: Array<() => void> = [];

beforeEach(async () => {
  clock = createManualClock(Date.now());
  spool = createSpool({
    auth: { jwt: { secret: new TextDecoder().decode(SECRET) } },
    clock,
    sse: { retryMs: 5 },
  });
  server = await listen(spool, { port: 0 });
  port = server.port;
});

afterEach(async () => {
  for (const c of cleanup.splice(0)) c();
  await server.close(); // closes the Spool instance too
});

/**
 * A `getToken` whose n-th token expires n minutes after the start (`exp` counts whole
 * seconds), so each fresh token outlives the moment the previous one expired.
 */
function tokens() {
  const base = Math.floor(clock.now() / 1000);
  const issued: number[] = [];
  const getToken = async () => {
    const exp = base + 60 * (issued.length + 1);
    issued.push(exp);
    return new SignJWT({ spool: { subscribe: ['notes'] } })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('reader')
      .setExpirationTime(exp)
      .sign(SECRET);
  };
  return { getToken, issued };
}

async function publishRange(from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) await spool.publish('notes', { i }, { event: 'n' });
}

function expectExactlyOnceInOrder(got: SpoolEvent[]): void {
  expect(got.map((e) => (e.data as { i: number }).i)).toEqual(
    Array.from({ length: BEFORE + AFTER }, (_, i) => i),
  );
  for (let i = 1; i < got.length; i++) {
    const [am, as] = got[i - 1]!.id.split('-').map(Number) as [number, number];
    const [bm, bs] = got[i]!.id.split('-').map(Number) as [number, number];
    expect(bm > am || (bm === am && bs > as)).toBe(true);
  }
}

describe('a token that expires during a live connection', () => {
  it('WebSocket: closed 4401 TOKEN_EXPIRED at exp; getToken again; every event once, in order', async () => {
    const { getToken, issued } = tokens();
    const client = new SpoolClient(`ws://127.0.0.1:${port}/v1/ws`, {
      WebSocket: ws.WebSocket,
      getToken,
      backoff: { baseMs: 2, maxMs: 10 },
    });
    cleanup.push(() => client.close());
    const errors: Array<{ code: string; close: unknown }> = [];
    client.on('error', (e) => errors.push({ code: e.code, close: e.details?.close }));
    const got: SpoolEvent[] = [];
    client.subscribe('notes', { after: '0-0', onEvent: (ev) => got.push(ev) });

    await publishRange(0, BEFORE);
    await until(() => got.length === BEFORE, 'the events before expiry');
    clock.advance(issued[0]! * 1000 - clock.now());
    await until(() => errors.length === 1, 'the expiry');
    // Published while the client is away or reconnecting: caught up from the log.
    await publishRange(BEFORE, BEFORE + AFTER);
    await until(() => got.length === BEFORE + AFTER, 'the events after expiry');

    expect(errors).toEqual([{ code: 'TOKEN_EXPIRED', close: 4401 }]);
    expect(issued).toHaveLength(2);
    expectExactlyOnceInOrder(got);
  });

  it('SSE: the stream ends with TOKEN_EXPIRED at exp; getToken again; every event once, in order', async () => {
    const { getToken, issued } = tokens();
    const states: string[] = [];
    const got: SpoolEvent[] = [];
    const sub = subscribeSse(`http://127.0.0.1:${port}`, 'notes', {
      after: '0-0',
      getToken,
      backoff: { baseMs: 2, maxMs: 10 },
      onEvent: (ev) => got.push(ev),
      onState: (s) => states.push(s),
    });
    cleanup.push(() => sub.unsubscribe());

    await publishRange(0, BEFORE);
    await until(() => got.length === BEFORE, 'the events before expiry');
    clock.advance(issued[0]! * 1000 - clock.now());
    await until(() => states.includes('reconnecting'), 'the end of the first stream');
    await publishRange(BEFORE, BEFORE + AFTER);
    await until(() => got.length === BEFORE + AFTER, 'the events after expiry');

    expect(issued).toHaveLength(2);
    expect(sub.active).toBe(true);
    // The error frame is the stream's end, never an event.
    expect(got.some((e) => e.event === 'error')).toBe(false);
    expectExactlyOnceInOrder(got);
  });
});
