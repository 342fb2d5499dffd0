/**
 * A fake Spool server for the client's tests against a socket: a real `ws` WebSocketServer on port 0
 * that records every frame and lets the test answer by hand.
 */
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type * as WS from 'ws';
import type { WebSocketConstructor } from '../src/options';

export { until } from '../src/__tests__/until';

// Through require, not import: the client:dom project resolves with the `browser`
// condition, under which `ws` is a stub that throws.
export const ws = createRequire(import.meta.url)('ws') as typeof WS;
const { WebSocket: NodeWebSocket, WebSocketServer } = ws;

export type Frame = Record<string, unknown> & { op: string };

export interface FakeConnection {
  url: string;
  protocol: string;
  frames: Frame[];
  /** Resolves with the first frame (already received or coming) that matches. */
  next(match?: (f: Frame) => boolean): Promise<Frame>;
  send(frame: object): void;
  sendRaw(text: string): void;
  /** Cuts the TCP connection without a close frame. */
  terminate(): void;
  /** Closes with a close frame (code and reason), as a server refusing the client does. */
  close(code: number, reason?: string): void;
  closed: Promise<void>;
}

export interface FakeServer {
  url: string;
  port: number;
  connections: FakeConnection[];
  /** Resolves with the n-th connection (0-based), waiting for it if needed. */
  connection(n: number): Promise<FakeConnection>;
  close(): Promise<void>;
}

/** The WebSocket a test injects: the environment's own if it has one (happy-dom), else `ws`'s. */
export const TestWebSocket: WebSocketConstructor =
  (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket ?? NodeWebSocket;

export async function startFakeServer(): Promise<FakeServer> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: (p) => [...p][0] ?? false });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const port = (wss.address() as AddressInfo).port;
  const connections: FakeConnection[] = [];
  const waiting: Array<() => void> = [];
  wss.on('connection', (socket, req) => {
    const frames: Frame[] = [];
    const watchers = new Set<() => void>();
    let closedResolve!: () => void;
    const conn: FakeConnection = {
      url: req.url ?? '',
      protocol: socket.protocol,
      frames,
      next(match = () => true) {
        return new Promise((resolve) => {
          const check = () => {
            const f = frames.find(match);
            if (!f) return false;
            frames.splice(frames.indexOf(f), 1);
            watchers.delete(check as () => void);
            resolve(f);
            return true;
          };
          if (!check()) watchers.add(check as () => void);
        });
      },
      send: (frame) => socket.send(JSON.stringify(frame)),
      sendRaw: (text) => socket.send(text),
      terminate: () => socket.terminate(),
      close: (code, reason) => socket.close(code, reason),
      closed: new Promise((resolve) => {
        closedResolve = resolve;
      }),
    };
    socket.on('message', (data) => {
      frames.push(JSON.parse(String(data)) as Frame);
      for (const w of [...watchers]) w();
    });
    socket.on('close', () => closedResolve());
    socket.on('error', () => {});
    connections.push(conn);
    for (const w of waiting.splice(0)) w();
  });
  return {
    url: `ws://127.0.0.1:${port}/v1/ws`,
    port,
    connections,
    connection(n) {
      return new Promise((resolve) => {
        const check = () => {
          if (connections[n]) resolve(connections[n]);
          else waiting.push(check);
        };
        check();
      });
    },
    async close() {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
