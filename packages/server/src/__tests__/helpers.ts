import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';
import WebSocket from 'ws';
import { listen } from '../node/attach';
import type { SpoolOptions } from '../options';
import { createSpoolInstance, type SpoolInstance } from '../spool';

/** A server-to-client frame as tests read it. */
export type Frame = Record<string, unknown> & { op: string };

/** A started Spool on 127.0.0.1:0, and its URLs. */
export interface TestServer {
  spool: SpoolInstance;
  url: string;
  wsUrl: string;
  close(): Promise<void>;
}

export async function startServer(options: SpoolOptions = {}): Promise<TestServer> {
  const spool = createSpoolInstance(options);
  const started = await listen(spool, { host: '127.0.0.1', port: 0 });
  const port = (started.server.address() as AddressInfo).port;
  return {
    spool,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/v1/ws`,
    close: () => started.close(),
  };
}

/**
 * A `ws` client that records every frame and lets a test wait for the next frame that
 * matches (no sleeps: it resolves on the frame's arrival).
 */
export class TestClient {
  readonly frames: Frame[] = [];
  private cursor = 0;
  private waiters: Array<() => void> = [];
  private nextRef = 1;
  closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.frames.push(JSON.parse(data.toString()) as Frame);
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        const waiters = this.waiters;
        this.waiters = [];
        for (const w of waiters) w();
      });
    });
  }

  static async connect(
    url: string,
    options: { protocols?: string[]; headers?: Record<string, string> } = {},
  ): Promise<TestClient> {
    const ws = new WebSocket(url, options.protocols ?? ['spool.v1'], { headers: options.headers ?? {} });
    const client = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Sends a request with a fresh `ref`; resolves to its `ack` or `err`. */
  async request(frame: Record<string, unknown>): Promise<Frame> {
    const ref = this.nextRef++;
    this.send({ ...frame, ref });
    return this.next((f) => (f.op === 'ack' || f.op === 'err') && f.ref === ref);
  }

  /** The next frame (after those already taken) that matches; waits for it. */
  async next(match: (f: Frame) => boolean = () => true): Promise<Frame> {
    for (;;) {
      for (let i = this.cursor; i < this.frames.length; i++) {
        const f = this.frames[i]!;
        if (match(f)) {
          this.frames.splice(i, 1);
          return f;
        }
      }
      if (this.ws.readyState === WebSocket.CLOSED)
        throw new Error(`socket closed while waiting; frames: ${JSON.stringify(this.frames.slice(-5))}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Waits until `n` `ev` frames of `topic` have arrived (granting credit as they come); returns them in order. */
  async events(topic: string, n: number): Promise<Frame[]> {
    const out: Frame[] = [];
    while (out.length < n) out.push(await this.next((f) => f.op === 'ev' && f.topic === topic));
    return out;
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    await this.closed;
  }
}

/**
 * For a test file: `track` registers the server a test started, `client()` connects to it
 * (`keep` registers a client connected some other way), and all are closed after each test.
 *
 * @example
 * const fixture = serverFixture();
 * it('…', async () => {
 *   const server = fixture.track(await startServer());
 *   const c = await fixture.client();
 * });
 */
export function serverFixture(): {
  track(server: TestServer): TestServer;
  client(): Promise<TestClient>;
  keep(...clients: TestClient[]): void;
} {
  let current: TestServer | undefined;
  const clients: TestClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await current?.close();
    current = undefined;
  });
  return {
    track(server) {
      current = server;
      return server;
    },
    async client() {
      if (!current) throw new Error('start a server (fixture.track) before connecting a client');
      const c = await TestClient.connect(current.wsUrl);
      clients.push(c);
      return c;
    },
    keep(...more) {
      clients.push(...more);
    },
  };
}
