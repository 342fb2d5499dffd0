/**
 * The client against the real server's rate per principal: publishes past the rate are
 * refused with RATE_LIMITED and retryAfterMs, and the client waits and sends them again,
 * so every one lands exactly once; another principal meanwhile is never refused.
 */
// Internals that the server's public `Spool` keeps private, read by these tests only.

import { createSpool } from '@spool/server';
import { listen, type SpoolServer } from '@spool/server/node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { internalsOf } from '../../server/src/spool';
import { SpoolClient } from '../src/spool-client';
import { ws } from './fake-server';

const FAST = 'fast-publisher-token';
const CALM = 'calm-publisher-token';

let spool: ReturnType<typeof createSpool>;
let server: SpoolServer;
let port: number;
const cleanup: Array<() => void> = [];

beforeEach(async () => {
  spool = createSpool({
    auth: { tokens: { user: [FAST, CALM] } },
    principalLimits: { ratePerSec: 100, burst: 3 },
  });
  server = await listen(spool, { port: 0 });
  port = server.port;
});

afterEach(async () => {
  for (const c of cleanup.splice(0)) c();
  await server.close(); // closes the Spool instance too
});

function client(token: string): SpoolClient {
  const c = new SpoolClient(`ws://127.0.0.1:${port}/v1/ws`, { WebSocket: ws.WebSocket, token });
  cleanup.push(() => c.close());
  return c;
}

describe('a publisher faster than its rate', () => {
  it('is paced, not dropped: every publish lands exactly once; another principal is unaffected', async () => {
    const fast = client(FAST);
    const calm = client(CALM);
    // Counts the server's refusals, to show the publishes really were paced.
    let refused = 0;
    const limiter = internalsOf(spool).principalLimits;
    const take = limiter.take.bind(limiter);
    limiter.take = (principal) => {
      try {
        take(principal);
      } catch (err) {
        refused++;
        throw err;
      }
    };
    const refusals: string[] = [];
    fast.on('error', (e) => refusals.push(e.code));
    const n = 30;
    const ids = await Promise.all(Array.from({ length: n }, (_, i) => fast.publish('burst', { i })));
    expect(new Set(ids).size).toBe(n);
    expect(await calm.publish('calm', 'hello')).toMatch(/^\d+-\d+$/);
    const history = await fetch(`http://127.0.0.1:${port}/v1/topics/burst/history`, {
      headers: { authorization: `Bearer ${CALM}` },
    });
    const events = (await history.json()) as Array<{ id: string; data: { i: number } }>;
    expect(events).toHaveLength(n);
    expect(events.map((e) => e.data.i).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(events.map((e) => e.id).sort()).toEqual([...ids].sort());
    expect(refusals).toEqual([]); // pacing is not an error the application has to handle
    expect(refused).toBeGreaterThanOrEqual(n - 3); // the burst went through, the rest was paced
  });
});
