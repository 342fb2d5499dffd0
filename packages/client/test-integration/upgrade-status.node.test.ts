/**
 * Node's `ws` shows the HTTP status of a refused upgrade: the client reports it with the
 * status, stops on 403 and 404, and retries (asking getToken again) on the others.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createManualClock, type SpoolError } from '@spool/core';
import { createSpool } from '@spool/server';
import { attach } from '@spool/server/node';
import { afterEach, describe, expect, it } from 'vitest';
import { SpoolClient } from '../src/spool-client';
import { until, ws } from './fake-server';

const cleanup: Array<() => unknown> = [];

afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as AddressInfo).port;
}

/** A server answering every upgrade with `status`; counts the attempts. */
async function answering(status: number): Promise<{ url: string; attempts: () => number }> {
  let attempts = 0;
  const server = createServer();
  server.on('upgrade', (_req, socket) => {
    attempts++;
    socket.end(`HTTP/1.1 ${status} Refused\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });
  const port = await listen(server);
  return { url: `ws://127.0.0.1:${port}/v1/ws`, attempts: () => attempts };
}

function client(url: string, options: ConstructorParameters<typeof SpoolClient>[1] = {}) {
  const c = new SpoolClient(url, { WebSocket: ws.WebSocket, random: () => 0.5, ...options });
  cleanup.push(() => c.close());
  const errors: SpoolError[] = [];
  c.on('error', (e) => errors.push(e));
  return { c, errors };
}

describe('an HTTP status answering the upgrade', () => {
  it('a wrong path on a real Spool server: NOT_FOUND with status 404, and the client stops', async () => {
    const spool = createSpool();
    cleanup.push(() => spool.close());
    const server = createServer();
    attach(spool, server);
    const port = await listen(server);
    const { c, errors } = client(`ws://127.0.0.1:${port}/`);
    const pub = c.publish('notes', 1).catch((e: SpoolError) => e);
    await until(() => c.state === 'closed', 'closed');
    expect(errors.map((e) => [e.code, e.details])).toEqual([['NOT_FOUND', { status: 404 }]]);
    expect(errors[0]!.message).toContain('/v1/ws');
    expect(await pub).toBe(errors[0]);
  });

  it('403: FORBIDDEN with the status, no retry', async () => {
    const clock = createManualClock(0);
    const server = await answering(403);
    const { c, errors } = client(server.url, { clock });
    await until(() => c.state === 'closed', 'closed');
    expect(errors.map((e) => [e.code, e.details])).toEqual([['FORBIDDEN', { status: 403 }]]);
    await clock.advanceAsync(60_000);
    expect(server.attempts()).toBe(1);
  });

  it.each([
    [401, 'UNAUTHENTICATED'],
    [502, 'CONNECT_FAILED'],
    [503, 'CONNECT_FAILED'],
  ] as const)('%i: %s with the status, then a retry with a fresh token', async (status, code) => {
    const clock = createManualClock(0);
    const server = await answering(status);
    let asked = 0;
    const { c, errors } = client(server.url, {
      clock,
      backoff: { baseMs: 100, maxMs: 100 },
      getToken: () => `token-${++asked}`,
    });
    await until(() => errors.length === 1, 'the first error');
    expect(errors[0]).toMatchObject({ code, details: { status } });
    expect(c.state).toBe('reconnecting');
    await clock.advanceAsync(100);
    await until(() => errors.length === 2, 'the second attempt');
    expect(server.attempts()).toBe(2);
    expect(asked).toBe(2);
  });
});
