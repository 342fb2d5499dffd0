/**
 * Resume after K missed events, on a log of 1,000 → 1,000,000 events: Spool (a WebSocket
 * `sub` with `after`) against socket.io 4.8's connection-state recovery, each in the same
 * run, server and client in this process.
 *
 * One round, for each subject: a client is connected and has received the latest event; its
 * connection is cut (socket.io: the engine closes, the server persists the session); K more
 * events are published; the client reconnects and resumes. Two latencies end at the K-th
 * missed event received: from the new connection's start (TCP connect and handshake
 * included), and from its transport being open (the catchup itself, less network noise). socket.io finds the client's offset with a scan of its packet buffer
 * (`packets.findIndex` in socket.io-adapter's SessionAwareAdapter), so its cost grows with
 * the log; Spool's log finds a position by binary search (docs/architecture.md, "Core parts").
 * Both logs hold every event published: Spool's retention is the log size, socket.io keeps
 * packets for `maxDisconnectionDuration` (30 minutes here, so none expires mid-run).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSpool } from '@spool/server';
import { listen } from '@spool/server/node';
import { Server as IoServer, type Socket as IoServerSocket } from 'socket.io';
import { type Socket as IoSocket, io as ioClient } from 'socket.io-client';
import WebSocket from 'ws';
import { type BenchOutput, median, pick, QUICK, type Row, report } from './harness';
import type { LineChartSpec } from './report/chart-spec';

const LOG_SIZES = pick([1_000, 10_000, 100_000, 1_000_000], [1_000, 10_000, 100_000]);
const K = 100;
/**
 * A Spool catchup of 100 events takes about half a millisecond, so one garbage collection
 * moves a round by as much as the differences worth seeing: 41 rounds per size keep the
 * median steady (15 swung it by 10–20% from run to run).
 */
const ROUNDS = pick(41, 5);
/** Rounds thrown away per log size, before its 41. */
const WARMUP = 10;
const PAD = 'x'.repeat(40);
const data = (n: number) => ({ n, p: PAD });

/** One resume, in ms: from the new connection's start, and from its transport being open. */
interface Timing {
  total: number;
  catchup: number;
}

interface Subject {
  name: string;
  /** One cut-and-resume. */
  round(): Promise<Timing>;
  close(): Promise<void>;
}

function once<T = unknown>(
  emitter: { once(ev: string, fn: (v: T) => void): unknown },
  ev: string,
): Promise<T> {
  return new Promise((resolve) => emitter.once(ev, resolve));
}

async function spoolSubject(logSize: number): Promise<Subject> {
  const spool = createSpool({
    topics: { retention: { maxEvents: logSize, maxBytes: 2 ** 40, maxAgeMs: 24 * 3600_000 } },
  });
  for (let i = 0; i < logSize; i++) await spool.publish('bench', data(i));
  const { url, close } = await listen(spool, { host: '127.0.0.1', port: 0 });
  const wsUrl = `${url.replace('http', 'ws')}/v1/ws`;

  /** Opens a socket and subscribes; resolves once `subok` came, with a way to read events. */
  async function subscribe(after: string | undefined, credit: number) {
    const ws = new WebSocket(wsUrl, ['spool.v1'], { perMessageDeflate: false });
    let opened = 0;
    const events: string[] = [];
    let onEvent: (() => void) | undefined;
    ws.on('message', (raw: Buffer) => {
      const m = JSON.parse(raw.toString()) as { op: string; id?: string };
      if (m.op === 'ev') {
        events.push(m.id!);
        onEvent?.();
      } else if (m.op === 'reset' || m.op === 'err') {
        ws.emit('error', new Error(`resume refused: ${raw.toString()}`));
      }
    });
    const subok = new Promise<void>((resolve, reject) => {
      ws.once('error', reject);
      ws.on('message', (raw: Buffer) => {
        if (raw.toString().startsWith('{"op":"subok"')) resolve();
      });
    });
    await once(ws, 'open');
    opened = performance.now();
    ws.send(JSON.stringify({ op: 'sub', topic: 'bench', credit, ...(after ? { after } : {}) }));
    await subok;
    const until = (n: number) =>
      new Promise<void>((resolve, reject) => {
        ws.once('error', reject);
        if (events.length >= n) return resolve();
        onEvent = () => {
          if (events.length >= n) resolve();
        };
      });
    return { ws, events, until, opened: () => opened };
  }

  let seq = logSize;
  return {
    name: 'Spool (sub with after)',
    async round() {
      const first = await subscribe(undefined, 1024);
      await spool.publish('bench', data(seq++));
      await first.until(1);
      const last = first.events[0]!;
      first.ws.terminate();
      for (let i = 0; i < K; i++) await spool.publish('bench', data(seq++));
      const t0 = performance.now();
      const again = await subscribe(last, K);
      await again.until(K);
      const t1 = performance.now();
      again.ws.terminate();
      if (again.events.length !== K)
        throw new Error(`Spool resumed with ${again.events.length} events, not ${K}`);
      return { total: t1 - t0, catchup: t1 - again.opened() };
    },
    close,
  };
}

async function socketIoSubject(logSize: number): Promise<Subject> {
  const http = createServer();
  const io = new IoServer(http, {
    transports: ['websocket'],
    perMessageDeflate: false,
    connectionStateRecovery: { maxDisconnectionDuration: 30 * 60_000, skipMiddlewares: true },
  });
  let latest: IoServerSocket | undefined;
  io.on('connection', (socket) => {
    latest = socket;
    if (!socket.recovered) void socket.join('bench'); // a recovered socket gets its rooms back
  });
  for (let i = 0; i < logSize; i++) io.to('bench').emit('ev', data(i));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

  let seq = logSize;
  return {
    name: 'socket.io connection-state recovery',
    async round() {
      const client: IoSocket = ioClient(url, {
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
      });
      let received = 0;
      let onEvent: (() => void) | undefined;
      client.on('ev', () => {
        received++;
        onEvent?.();
      });
      const until = (n: number) =>
        new Promise<void>((resolve) => {
          if (received >= n) return resolve();
          onEvent = () => {
            if (received >= n) resolve();
          };
        });
      await once(client, 'connect');
      io.to('bench').emit('ev', data(seq++));
      await until(1);
      // Cut the transport; wait until the server has persisted the session (its 'disconnect').
      const serverGone = once(latest!, 'disconnect');
      const clientGone = once(client, 'disconnect');
      client.io.engine.close();
      await Promise.all([serverGone, clientGone]);
      for (let i = 0; i < K; i++) io.to('bench').emit('ev', data(seq++));
      const t0 = performance.now();
      let opened = 0;
      // The Manager's 'open': the engine.io handshake is done, the CONNECT with pid and offset goes next.
      client.io.once('open', () => {
        opened = performance.now();
      });
      const connected = once(client, 'connect');
      client.connect();
      await connected;
      if (!client.recovered) throw new Error('socket.io did not recover the session');
      await until(1 + K);
      const t1 = performance.now();
      client.close();
      if (received !== 1 + K) throw new Error(`socket.io resumed with ${received - 1} events, not ${K}`);
      return { total: t1 - t0, catchup: t1 - opened };
    },
    close: async () => {
      io.close();
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}

interface SizeResult {
  logSize: number;
  spool: Timing;
  socketio: Timing;
}

const medianTiming = (ts: Timing[]): Timing => ({
  total: median(ts.map((t) => t.total)),
  catchup: median(ts.map((t) => t.catchup)),
});

async function measure(logSize: number): Promise<SizeResult> {
  const subjects = [await spoolSubject(logSize), await socketIoSubject(logSize)];
  const timings: Timing[][] = [[], []];
  try {
    // Rounds alternate which subject goes first.
    for (let r = -WARMUP; r < ROUNDS; r++) {
      const order = r % 2 ? [1, 0] : [0, 1];
      for (const i of order) {
        const t = await subjects[i]!.round();
        if (r >= 0) timings[i]!.push(t);
      }
    }
  } finally {
    for (const s of subjects) await s.close();
  }
  return { logSize, spool: medianTiming(timings[0]!), socketio: medianTiming(timings[1]!) };
}

export default async function run(): Promise<BenchOutput> {
  const results: SizeResult[] = [];
  // A whole pass at the smallest size, thrown away: the first size measured on code just
  // compiled read socket.io's catchup anywhere from 0.7 to 1.5 ms from one run to the next.
  await measure(LOG_SIZES[0]!);
  (globalThis as { gc?: () => void }).gc?.();
  for (const n of LOG_SIZES) {
    results.push(await measure(n));
    (globalThis as { gc?: () => void }).gc?.(); // drop the big logs before building the next
  }
  const rows: Row[] = [];
  for (const field of ['catchup', 'total'] as const) {
    const what = field === 'catchup' ? 'transport open → Kth event' : 'new connection → Kth event';
    for (const r of results) {
      const n = r.logSize.toLocaleString('en-US');
      rows.push(
        { name: `socket.io recovery, log of ${n} (${what})`, value: r.socketio[field], unit: 'ms' },
        {
          name: `Spool resume, log of ${n} (${what})`,
          value: r.spool[field],
          unit: 'ms',
          peer: 'socket.io',
          ratio: r.spool[field] / r.socketio[field],
        },
      );
    }
  }
  const first = results[0]!;
  const last = results.at(-1)!;
  const growth = `log of ${last.logSize.toLocaleString('en-US')} vs ${first.logSize.toLocaleString('en-US')}`;
  rows.push(
    {
      name: `socket.io catchup growth, ${growth}`,
      value: last.socketio.catchup / first.socketio.catchup,
      unit: 'x',
    },
    { name: `Spool catchup growth, ${growth}`, value: last.spool.catchup / first.spool.catchup, unit: 'x' },
  );
  const table = report(`Resume after ${K} missed events, WebSocket, median of ${ROUNDS} rounds (ms)`, rows);
  const quick = QUICK ? ' · quick mode, provisional' : '';
  const chart = (field: keyof Timing): LineChartSpec => ({
    kind: 'line',
    id: field,
    title:
      field === 'catchup'
        ? `Catchup of ${K} missed events against the log's size`
        : `Resume after ${K} missed events, new connection included`,
    subtitle: `${field === 'catchup' ? 'transport open' : 'new connection'} to the ${K}th missed event, median of ${ROUNDS} rounds${quick}`,
    xLabel: 'events in the log',
    yLabel: 'latency (ms)',
    xScale: 'log',
    series: [
      { name: 'Spool (sub with after)', points: results.map((r) => ({ x: r.logSize, y: r.spool[field] })) },
      {
        name: 'socket.io connection-state recovery',
        points: results.map((r) => ({ x: r.logSize, y: r.socketio[field] })),
      },
    ],
  });
  return {
    tables: [table],
    charts: [chart('catchup'), chart('total')],
    notes: [
      'The catchup rows start once the new transport is open (Spool: WebSocket open, then `sub`; socket.io: engine.io open, then CONNECT with pid and offset), so TCP and handshake noise stays out of the comparison.',
    ],
  };
}
