/**
 * Heap per idle connection, 10,000 connections: Spool (authenticated, no subscription)
 * against a plain `ws` server that keeps a message listener per socket, and socket.io
 * (WebSocket transport, default options). The clients live in a child process, so only the
 * server's heap is measured. Target: Spool at most 1.3x plain ws.
 *
 * Needs an open-files limit above the connection count in both processes (`ulimit -n`,
 * 20,000 on the reference machine); the benchmark checks it first and says how to raise it.
 */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSpool } from '@spool/server';
import { listen } from '@spool/server/node';
import { Server as IoServer } from 'socket.io';
import { WebSocketServer } from 'ws';
import { ask, forkBench } from './child';
import type { IdleCommand } from './fanout-idle-clients';
import { type BenchOutput, heapAfterGc, median, pick, QUICK, report } from './harness';
import type { BarChartSpec } from './report/chart-spec';

/** `SPOOL_BENCH_IDLE_CONNECTIONS` overrides (e.g. a quick run at the full 10,000). */
const CONNECTIONS = Number(process.env['SPOOL_BENCH_IDLE_CONNECTIONS'] ?? pick(10_000, 2_000));
const SAMPLES = pick(5, 2);

interface Subject {
  url: string;
  kind: 'ws' | 'socketio';
  close(): Promise<void>;
}

function checkOpenFiles(): void {
  const limit = Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
  if (Number.isFinite(limit) && limit < CONNECTIONS + 256) {
    throw new Error(
      `idle-connections needs an open-files limit above ${CONNECTIONS + 256} (ulimit -n is ${limit}); run \`ulimit -n 20000\` in the shell first.`,
    );
  }
}

/** Bytes of server heap per connection: (heap with N idle sockets − heap before) / N. */
async function measure(start: () => Promise<Subject>): Promise<number> {
  const server = await start();
  const child = forkBench(new URL('./fanout-idle-clients.ts', import.meta.url));
  const connect = (count: number): IdleCommand => ({
    cmd: 'connect',
    kind: server.kind,
    url: server.url,
    count,
  });
  try {
    await ask(child, connect(50)); // warm up code paths
    await ask(child, { cmd: 'disconnect' });
    const before = heapAfterGc();
    await ask(child, connect(CONNECTIONS));
    const after = heapAfterGc();
    await ask(child, { cmd: 'disconnect' });
    return (after - before) / CONNECTIONS;
  } finally {
    child.kill();
    await server.close();
  }
}

async function plainWs(): Promise<Subject> {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  wss.on('connection', (ws) => {
    ws.on('message', (data) => ws.send(data));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  return {
    url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}`,
    kind: 'ws',
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}

async function socketIo(): Promise<Subject> {
  const http = createServer();
  const io = new IoServer(http, { transports: ['websocket'], perMessageDeflate: false });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    kind: 'socketio',
    close: async () => {
      io.close();
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}

async function spool(): Promise<Subject> {
  const s = createSpool();
  const { url, close } = await listen(s, { host: '127.0.0.1', port: 0 });
  return { url: `${url.replace('http', 'ws')}/v1/ws`, kind: 'ws', close };
}

export default async function run(): Promise<BenchOutput> {
  checkOpenFiles();
  const samples = { ws: [] as number[], socketio: [] as number[], spool: [] as number[] };
  // Subjects interleave per round, so load from other processes hits them alike.
  for (let i = 0; i < SAMPLES; i++) {
    samples.ws.push(await measure(plainWs));
    samples.socketio.push(await measure(socketIo));
    samples.spool.push(await measure(spool));
  }
  const plain = median(samples.ws);
  const sio = median(samples.socketio);
  const ours = median(samples.spool);
  const n = CONNECTIONS.toLocaleString('en-US');
  const table = report(`Heap per idle connection (${n} connections, median of ${SAMPLES})`, [
    { name: 'plain ws', value: plain, unit: 'bytes/conn' },
    { name: 'socket.io', value: sio, unit: 'bytes/conn' },
    {
      name: 'Spool',
      value: ours,
      unit: 'bytes/conn',
      peer: 'plain ws',
      ratio: ours / plain,
      target: '<= 1.3x',
    },
    { name: 'Spool vs socket.io', value: ours, unit: 'bytes/conn', peer: 'socket.io', ratio: ours / sio },
  ]);
  const chart: BarChartSpec = {
    kind: 'bar',
    id: 'heap',
    title: `Server heap per idle connection, ${n} connections`,
    subtitle: `median of ${SAMPLES} rounds${QUICK ? ' · quick mode, provisional' : ''}`,
    yLabel: 'bytes per connection',
    categories: ['heap per connection'],
    series: [
      { name: 'Spool', values: [ours] },
      { name: 'plain ws', values: [plain] },
      { name: 'socket.io', values: [sio] },
    ],
  };
  return { tables: [table], charts: [chart] };
}
