/**
 * Heap per idle WebSocket connection, 5,000 connections: Spool (authenticated, no
 * subscription) against a plain `ws` server that keeps a message listener per socket.
 * The clients live in a child process, so only the server's heap is measured. Target:
 * Spool at most 1.3x plain ws.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSpool } from '@spool/server';
import { WebSocketServer } from 'ws';
import { ask, forkBench } from './child';
import { heapAfterGc, median, report } from './harness';

const CONNECTIONS = 5000;
const SAMPLES = 3;

function clients(): ChildProcess {
  return forkBench(new URL('./fanout-idle-clients.ts', import.meta.url));
}

/** Bytes of server heap per connection: (heap with N idle sockets − heap before) / N. */
async function measure(start: () => Promise<{ url: string; close(): Promise<void> }>): Promise<number> {
  const server = await start();
  const child = clients();
  try {
    await ask(child, { cmd: 'connect', url: server.url, count: 50 }); // warm up code paths
    await ask(child, { cmd: 'disconnect' });
    const before = heapAfterGc();
    await ask(child, { cmd: 'connect', url: server.url, count: CONNECTIONS });
    const after = heapAfterGc();
    await ask(child, { cmd: 'disconnect' });
    return (after - before) / CONNECTIONS;
  } finally {
    child.kill();
    await server.close();
  }
}

async function plainWs() {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  wss.on('connection', (ws) => {
    ws.on('message', (data) => ws.send(data));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  return {
    url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}

async function spool() {
  const s = createSpool();
  const { url, close } = await s.listen({ host: '127.0.0.1', port: 0 });
  return { url: `${url.replace('http', 'ws')}/v1/ws`, close };
}

export default async function run(): Promise<void> {
  const ws: number[] = [];
  const sp: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    ws.push(await measure(plainWs));
    sp.push(await measure(spool));
  }
  const plain = median(ws);
  const ours = median(sp);
  report(`Heap per idle WebSocket connection (${CONNECTIONS} connections, median of ${SAMPLES})`, [
    { name: 'plain ws', value: plain, unit: 'bytes/conn' },
    {
      name: 'Spool',
      value: ours,
      unit: 'bytes/conn',
      peer: 'plain ws',
      ratio: ours / plain,
      target: '<= 1.3x',
    },
  ]);
}
