/**
 * The client side of bench/idle-connections.ts, in its own process: opens N idle clients
 * (WebSocket with subprotocol spool.v1, or socket.io over its WebSocket transport) and
 * closes them on request.
 */
import { type Socket as IoSocket, io } from 'socket.io-client';
import WebSocket from 'ws';

export type IdleCommand =
  | { cmd: 'connect'; kind: 'ws' | 'socketio'; url: string; count: number }
  | { cmd: 'disconnect' };

let closers: Array<() => Promise<void>> = [];

function openWs(url: string): Promise<void> {
  const ws = new WebSocket(url, ['spool.v1'], { perMessageDeflate: false });
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once('close', () => resolve());
        ws.terminate();
      }),
  );
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
}

function openSocketIo(url: string): Promise<void> {
  const socket: IoSocket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false });
  closers.push(async () => {
    socket.close();
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
}

process.on('message', async (m: IdleCommand) => {
  try {
    if (m.cmd === 'connect') {
      // Waves of 100, so the server's accept queue never overflows.
      for (let i = 0; i < m.count; i += 100) {
        const wave: Promise<void>[] = [];
        for (let j = i; j < Math.min(m.count, i + 100); j++) {
          wave.push(m.kind === 'ws' ? openWs(m.url) : openSocketIo(m.url));
        }
        await Promise.all(wave);
      }
    } else {
      await Promise.all(closers.map((close) => close()));
      closers = [];
    }
    process.send!('done');
  } catch (err) {
    console.error('idle clients failed', err);
    process.exit(1);
  }
});
