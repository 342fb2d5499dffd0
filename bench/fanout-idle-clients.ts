/**
 * The client side of bench/idle-connections.ts, in its own process: opens N idle
 * WebSocket clients (subprotocol spool.v1) and closes them on request.
 */
import WebSocket from 'ws';

let sockets: WebSocket[] = [];

process.on('message', async (m: { cmd: 'connect'; url: string; count: number } | { cmd: 'disconnect' }) => {
  if (m.cmd === 'connect') {
    for (let i = 0; i < m.count; i += 100) {
      const wave: Promise<void>[] = [];
      for (let j = i; j < Math.min(m.count, i + 100); j++) {
        const ws = new WebSocket(m.url, ['spool.v1'], { perMessageDeflate: false });
        sockets.push(ws);
        wave.push(
          new Promise((resolve, reject) => {
            ws.once('open', () => resolve());
            ws.once('error', reject);
          }),
        );
      }
      await Promise.all(wave);
    }
  } else {
    const closing = sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          ws.once('close', () => resolve());
          ws.terminate();
        }),
    );
    await Promise.all(closing);
    sockets = [];
  }
  process.send!('done');
});
