/**
 * The servers bench/fanout.ts compares, each a 1-publisher broadcast to every connected
 * subscriber on the topic/room `bench`, in this process:
 * - `socketio`: socket.io 4.8 broadcasting to a room;
 * - `naive`: a `ws` loop that serialises each event once and calls `send` per socket;
 * - `reference`: frames each event once (RFC 6455) and makes one write per socket per
 *   event-loop turn, the floor any fan-out can hope for. It answers the upgrade itself on
 *   the socket node:http hands over, so it writes only to sockets it owns;
 * - `spool`: `createSpool()` with its WebSocket adapter, publishing through `spool.publish`
 *   (public API only, so the benchmark follows whatever the send path becomes).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createSpool, type Spool } from '@spool/server';
import { listen as serveOnNode } from '@spool/server/node';
import { Server as IoServer } from 'socket.io';
import { WebSocketServer } from 'ws';
import type { BenchServer } from './fanout-driver';

export type { BenchServer } from './fanout-driver';

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function socketIoServer(): Promise<BenchServer> {
  const http = createServer();
  const io = new IoServer(http, { transports: ['websocket'], perMessageDeflate: false });
  io.on('connection', (socket) => {
    void socket.join('bench');
    socket.emit('joined');
  });
  const port = await listen(http);
  return {
    name: 'socket.io room broadcast',
    kind: 'socketio',
    url: `http://127.0.0.1:${port}`,
    publish: (data) => {
      io.to('bench').emit('ev', data);
    },
    close: async () => {
      io.close();
      await closeServer(http);
    },
  };
}

export async function naiveWsServer(): Promise<BenchServer> {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  let seq = 0;
  const port = await listen(http);
  return {
    name: 'naive ws loop',
    kind: 'ws',
    url: `ws://127.0.0.1:${port}`,
    publish: (data) => {
      const text = `{"op":"ev","topic":"bench","id":"1-${seq++}","event":"message","data":${JSON.stringify(data)}}`;
      for (const client of wss.clients) client.send(text);
    },
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await closeServer(http);
    },
  };
}

/** RFC 6455 §5.2: a final, unmasked text frame. */
function frame(payload: string): Buffer {
  const length = Buffer.byteLength(payload);
  const header = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const out = Buffer.allocUnsafe(header + length);
  out[0] = 0x81;
  if (header === 2) out[1] = length;
  else if (header === 4) {
    out[1] = 126;
    out.writeUInt16BE(length, 2);
  } else {
    out[1] = 127;
    out.writeBigUInt64BE(BigInt(length), 2);
  }
  out.write(payload, header);
  return out;
}

export async function referenceServer(): Promise<BenchServer> {
  const http = createServer();
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const sockets = new Set<Duplex>();
  // The socket handed over by `upgrade` is the one ws speaks on: write there, never `ws._socket`.
  http.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(socket);
      ws.on('close', () => sockets.delete(socket));
    });
  });
  let pending: Buffer[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const batch = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
    pending = [];
    for (const socket of sockets) socket.write(batch);
  };
  let seq = 0;
  const port = await listen(http);
  return {
    name: 'reference (frame once, 1 write/socket/turn)',
    kind: 'ws',
    url: `ws://127.0.0.1:${port}`,
    publish: (data) => {
      pending.push(
        frame(
          `{"op":"ev","topic":"bench","id":"1-${seq++}","event":"message","data":${JSON.stringify(data)}}`,
        ),
      );
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await closeServer(http);
    },
  };
}

export async function spoolServer(): Promise<BenchServer> {
  const spool: Spool = createSpool({
    topics: { retention: { maxEvents: 100_000, maxBytes: 64 * 2 ** 20 } },
    ws: { maxCredit: 16_384, maxQueuedBytes: 8 * 2 ** 20 },
  });
  const { url, close } = await serveOnNode(spool, { host: '127.0.0.1', port: 0 });
  return {
    name: 'Spool',
    kind: 'spool',
    url: `${url.replace('http', 'ws')}/v1/ws`,
    publish: (data) => {
      void spool.publish('bench', data);
    },
    close,
  };
}
