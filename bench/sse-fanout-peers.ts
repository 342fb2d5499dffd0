/**
 * The servers bench/sse-fanout.ts compares, each a 1-publisher broadcast of one event to
 * every open `text/event-stream` response, in this process:
 * - `better-sse`: better-sse 0.16 sessions registered on a channel, `channel.broadcast`;
 * - `raw`: a `res.write` loop over the open responses, the event serialised once;
 * - `spool`: Spool's SSE endpoint (`GET /v1/topics/bench/events`), publishing through
 *   `spool.publish`.
 * Each one writes something (its `retry:` field or preamble) only after the reader is
 * registered, so the subscriber process can wait for the first bytes before publishing.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSpool } from '@spool/server';
import { listen as serveOnNode } from '@spool/server/node';
import { createChannel, createSession } from 'better-sse';
import type { BenchServer } from './fanout-driver';

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function betterSseServer(): Promise<BenchServer> {
  const channel = createChannel();
  const http = createServer((req, res) => {
    // keepAlive off: the other servers send no heartbeat within a run either.
    createSession(req, res, { keepAlive: null }).then(
      (session) => channel.register(session),
      () => res.destroy(),
    );
  });
  let seq = 0;
  const port = await listen(http);
  return {
    name: 'better-sse channel.broadcast',
    kind: 'sse',
    url: `http://127.0.0.1:${port}/`,
    publish: (data) => {
      channel.broadcast(data, 'message', { eventId: `1-${seq++}` });
    },
    close: () => closeServer(http),
  };
}

export async function rawSseServer(): Promise<BenchServer> {
  const open = new Set<ServerResponse>();
  const http = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    open.add(res);
    req.on('close', () => open.delete(res));
    res.write('retry: 2000\n\n');
  });
  let seq = 0;
  const port = await listen(http);
  return {
    name: 'raw res.write loop',
    kind: 'sse',
    url: `http://127.0.0.1:${port}/`,
    publish: (data) => {
      const text = `id: 1-${seq++}\ndata: ${JSON.stringify(data)}\n\n`;
      for (const res of open) res.write(text);
    },
    close: () => closeServer(http),
  };
}

export async function spoolSseServer(): Promise<BenchServer> {
  const spool = createSpool({ topics: { retention: { maxEvents: 100_000, maxBytes: 64 * 2 ** 20 } } });
  const { url, close } = await serveOnNode(spool, { host: '127.0.0.1', port: 0 });
  return {
    name: 'Spool SSE endpoint',
    kind: 'sse',
    url: `${url}/v1/topics/bench/events`,
    publish: (data) => {
      void spool.publish('bench', data);
    },
    close,
  };
}
