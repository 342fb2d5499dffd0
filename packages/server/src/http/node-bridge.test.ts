import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectionInfoOf, nodeListener, toRequest } from './node-bridge';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

async function serve(handler: (request: Request) => Promise<Response>): Promise<string> {
  server = createServer(nodeListener(handler));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('node bridge', () => {
  it('turns an IncomingMessage into a Request with method, URL, headers, body and socket addresses', async () => {
    let seen:
      | { method: string; url: string; header: string | null; body: string; remote?: string }
      | undefined;
    const url = await serve(async (request) => {
      seen = {
        method: request.method,
        url: request.url,
        header: request.headers.get('x-test'),
        body: await request.text(),
        remote: connectionInfoOf(request)?.remoteAddress,
      };
      return new Response('ok', { status: 201, headers: { 'set-cookie': 'a=1', 'x-out': 'y' } });
    });
    const res = await fetch(`${url}/v1/x?q=1`, {
      method: 'POST',
      body: 'hello',
      headers: { 'x-test': 'yes' },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-out')).toBe('y');
    expect(res.headers.get('set-cookie')).toBe('a=1');
    expect(await res.text()).toBe('ok');
    expect(seen).toEqual({
      method: 'POST',
      url: `${url}/v1/x?q=1`,
      header: 'yes',
      body: 'hello',
      remote: '127.0.0.1',
    });
  });

  it('aborts the request signal and cancels a streaming body when the client goes away', async () => {
    let aborted!: () => void;
    const abortedP = new Promise<void>((r) => {
      aborted = r;
    });
    let cancelled!: () => void;
    const cancelledP = new Promise<void>((r) => {
      cancelled = r;
    });
    const url = await serve(async (request) => {
      request.signal.addEventListener('abort', () => aborted());
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('first'));
        },
        cancel: () => cancelled(),
      });
      return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
    });
    const controller = new AbortController();
    const res = await fetch(url, { signal: controller.signal });
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('first');
    controller.abort();
    await Promise.all([abortedP, cancelledP]);
  });

  it('streams a large body with backpressure to a slow reader without losing bytes', async () => {
    const chunk = new Uint8Array(64 * 1024).fill(97);
    const url = await serve(async () => {
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ === 256) controller.close();
          else controller.enqueue(chunk);
        },
      });
      return new Response(body);
    });
    const res = await fetch(url);
    let total = 0;
    for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) total += part.byteLength;
    expect(total).toBe(256 * chunk.byteLength);
  });

  it('errors the request body when the client goes away mid-upload, instead of leaving the reader waiting', async () => {
    let outcome!: (o: string) => void;
    const seen = new Promise<string>((r) => {
      outcome = r;
    });
    let arrived!: () => void;
    const started = new Promise<void>((r) => {
      arrived = r;
    });
    const url = await serve(async (request) => {
      arrived();
      await request.text().then(
        () => outcome('read'),
        () => outcome('errored'),
      );
      return new Response('never seen');
    });
    const socket = connect(Number(new URL(url).port), '127.0.0.1');
    socket.on('error', () => {});
    socket.write('POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\npartial');
    await started;
    socket.destroy();
    expect(await seen).toBe('errored');
  });

  it('answers a malformed Host or target with 400, never with an uncaught exception', async () => {
    let calls = 0;
    const url = await serve(async () => {
      calls++;
      return new Response('ok');
    });
    const port = Number(new URL(url).port);
    const raw = (head: string) =>
      new Promise<string>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        let text = '';
        socket.on('data', (d: Buffer) => {
          text += d.toString('latin1');
        });
        socket.on('error', () => {});
        socket.on('close', () => resolve(text));
        socket.write(`${head}\r\nConnection: close\r\n\r\n`);
      });
    for (const head of [
      'GET / HTTP/1.1\r\nHost: a b',
      'GET / HTTP/1.1\r\nHost: a%zz',
      'GET * HTTP/1.1\r\nHost: x',
    ]) {
      const reply = await raw(head);
      expect(reply.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
      expect(reply).toContain('"code":"BAD_REQUEST"');
    }
    expect(calls).toBe(0);
    expect((await fetch(url)).status).toBe(200);
  });

  it('gives a 500 JSON error when the handler throws', async () => {
    const url = await serve(async () => {
      throw new Error('boom');
    });
    const res = await fetch(url);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { code: 'INTERNAL', message: 'Internal server error.' } });
  });

  it('toRequest works without a response object (abort on request close)', () => {
    const fake = Object.assign(new EventEmitter(), {
      headers: { host: 'example.test' },
      rawHeaders: ['Host', 'example.test'],
      url: '/p',
      method: 'GET',
      socket: { remoteAddress: '10.0.0.1', localAddress: '10.0.0.2' },
    });
    const request = toRequest(fake as never);
    expect(request.url).toBe('http://example.test/p');
    fake.emit('close');
    expect(request.signal.aborted).toBe(true);
  });
});
