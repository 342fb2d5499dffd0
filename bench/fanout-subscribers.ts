/**
 * The subscriber side of bench/fanout.ts and bench/sse-fanout.ts, run in a separate process
 * (child_process.fork) so that clients and server do not share an event loop. It opens N
 * clients of one kind, counts the events each receives, and measures latency on a sample of
 * clients from the publish timestamp carried in each event (`process.hrtime` is
 * CLOCK_MONOTONIC, shared by every process on the machine).
 */
import { get } from 'node:http';
import { type Socket as IoSocket, io } from 'socket.io-client';
import WebSocket from 'ws';

/** `spool`: Spool's WebSocket protocol; `ws`: bare text frames; `sse`: any text/event-stream. */
export type SubscriberKind = 'spool' | 'ws' | 'socketio' | 'sse';

export type ParentCommand =
  | { cmd: 'connect'; kind: SubscriberKind; url: string; count: number }
  | { cmd: 'expect'; events: number }
  | { cmd: 'latency'; on: boolean }
  | { cmd: 'disconnect' };

export type ChildReply =
  | { type: 'connected' }
  | { type: 'done' }
  | { type: 'latency'; samples: number[] }
  | { type: 'disconnected' };

const SAMPLE_EVERY = 10; // latency is read on every 10th client
const CREDIT_BATCH = 4096;

let received: number[] = [];
let target = 0;
let doneClients = 0;
let latencyOn = false;
let samples: number[] = [];
let closers: Array<() => void> = [];

const nowUs = () => Number(process.hrtime.bigint() / 1000n);
const send = (reply: ChildReply) => process.send!(reply);

function onEvent(i: number, text: (() => string) | undefined): void {
  const n = ++received[i]!;
  if (latencyOn && text) {
    const s = text();
    const at = s.indexOf('"t":');
    if (at !== -1) samples.push(nowUs() - Number.parseFloat(s.slice(at + 4, s.indexOf(',', at))));
  }
  if (n === target && ++doneClients === received.length) send({ type: 'done' });
}

const DATA = Buffer.from('data:');

/**
 * SSE events in `chunk`: each event of these servers has exactly one `data:` field, so this
 * counts `data:` occurrences, including one split across the previous chunk's `tail`.
 */
function countSseEvents(tail: Buffer, chunk: Buffer): number {
  let n = 0;
  for (let at = chunk.indexOf(DATA); at !== -1; at = chunk.indexOf(DATA, at + DATA.length)) n++;
  if (tail.length > 0) {
    const seam = Buffer.concat([tail, chunk.subarray(0, DATA.length - 1)]);
    const at = seam.indexOf(DATA);
    if (at !== -1 && at < tail.length) n++;
  }
  return n;
}

/** Opens one SSE reader; resolves on its first body bytes (sent once the server registered it). */
function openSse(i: number, url: string, sampled: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`SSE ${url}: HTTP ${res.statusCode}`));
        return;
      }
      let tail: Buffer | undefined;
      res.on('data', (chunk: Buffer) => {
        if (tail === undefined) {
          tail = chunk.subarray(Math.max(0, chunk.length - (DATA.length - 1)));
          resolve(); // the preamble (retry, comment or id): no event yet
          return;
        }
        const n = countSseEvents(tail, chunk);
        tail = chunk.subarray(Math.max(0, chunk.length - (DATA.length - 1)));
        if (latencyOn && sampled) {
          for (const m of chunk.toString().matchAll(/"t":(\d+)/g)) samples.push(nowUs() - Number(m[1]));
        }
        for (let k = 0; k < n; k++) onEvent(i, undefined);
      });
    });
    req.once('error', reject);
    closers.push(() => req.destroy());
  });
}

async function connect(kind: SubscriberKind, url: string, count: number): Promise<void> {
  received = new Array(count).fill(0);
  target = 0;
  doneClients = 0;
  const opened: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const sampled = i % SAMPLE_EVERY === 0;
    if (kind === 'sse') {
      opened.push(openSse(i, url, sampled));
    } else if (kind === 'socketio') {
      const socket: IoSocket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false });
      socket.on('ev', (data: { t: number }) => {
        const n = ++received[i]!;
        if (latencyOn && sampled) samples.push(nowUs() - data.t);
        if (n === target && ++doneClients === received.length) send({ type: 'done' });
      });
      opened.push(new Promise((resolve) => socket.once('joined', () => resolve())));
      closers.push(() => socket.close());
    } else {
      const ws = new WebSocket(url, kind === 'spool' ? ['spool.v1'] : undefined, {
        perMessageDeflate: false,
      });
      let sinceCredit = 0;
      ws.on('message', (data: Buffer) => {
        if (kind === 'spool') {
          // Skip control frames (subok, hb); count `ev` frames only: byte 7 of `{"op":"ev"` is 'e'.
          if (data[7] !== 0x65 || data[8] !== 0x76) return;
          if (++sinceCredit === CREDIT_BATCH) {
            sinceCredit = 0;
            ws.send(`{"op":"credit","topic":"bench","n":${CREDIT_BATCH}}`);
          }
        }
        onEvent(i, sampled ? () => data.toString() : undefined);
      });
      opened.push(
        new Promise((resolve, reject) => {
          ws.once('error', reject);
          if (kind === 'spool') {
            ws.once('open', () => ws.send('{"op":"sub","topic":"bench","credit":16384}'));
            const onSubOk = (data: Buffer) => {
              if (data.toString().startsWith('{"op":"subok"')) {
                ws.off('message', onSubOk);
                resolve();
              }
            };
            ws.on('message', onSubOk);
          } else ws.once('open', () => resolve());
        }),
      );
      closers.push(() => ws.terminate());
    }
    // Connect in small waves so the server's accept queue never overflows.
    if (i % 50 === 49) await Promise.all(opened.slice(-50));
  }
  await Promise.all(opened);
}

process.on('message', (m: ParentCommand) => {
  switch (m.cmd) {
    case 'connect':
      connect(m.kind, m.url, m.count).then(
        () => send({ type: 'connected' }),
        (err: unknown) => {
          console.error('subscriber connect failed', err);
          process.exit(1);
        },
      );
      return;
    case 'expect':
      target += m.events;
      doneClients = received.filter((n) => n >= target).length;
      if (doneClients === received.length) send({ type: 'done' });
      return;
    case 'latency':
      latencyOn = m.on;
      if (m.on) samples = [];
      else send({ type: 'latency', samples });
      return;
    case 'disconnect':
      for (const close of closers) close();
      closers = [];
      received = [];
      send({ type: 'disconnected' });
      return;
  }
});
