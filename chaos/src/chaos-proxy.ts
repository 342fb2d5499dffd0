/**
 * A seeded TCP proxy in front of a Spool instance. It injects the network faults of the
 * scenarios, each decided by the proxy's own seeded random source, so a run replays:
 * - cut: each connection gets a byte budget (both directions); the chunk that overruns it
 *   is forwarded only up to the budget, then both sides are destroyed, so cuts land
 *   mid-frame, mid-handshake and mid-catchup;
 * - stall: with some probability per chunk, a direction stops forwarding for a while;
 * - throttle: the server-to-client direction is held to a byte rate;
 * - freeze: the server-to-client direction stops reading entirely (a client that does not
 *   read its socket), until thawed;
 * - the upstream can be switched or removed (refused), for restarts behind one address.
 */
import { createServer, type Server, Socket } from 'node:net';
import { between } from './seed';

export interface CutFault {
  minBytes: number;
  maxBytes: number;
}

export interface StallFault {
  /** Chance per forwarded chunk that its direction stalls. */
  probability: number;
  maxMs: number;
}

export interface ChaosProxyOptions {
  /** Upstream port; undefined refuses connections (the instance is down). */
  target: number | undefined;
  random: () => number;
  cut?: CutFault;
  stall?: StallFault;
  /** Server-to-client bytes per second, per connection. */
  throttleBytesPerSec?: number;
}

export interface ChaosProxy {
  readonly port: number;
  target: number | undefined;
  /** Faults can be changed while the proxy runs; they apply to the next chunk. */
  cut: CutFault | undefined;
  stall: StallFault | undefined;
  throttleBytesPerSec: number | undefined;
  readonly cuts: number;
  readonly stalls: number;
  readonly connections: number;
  /** For each cut, ms until the next connection arrived: how fast clients came back. */
  readonly recoveries: number[];
  /** Connections open now. */
  readonly open: number;
  /** Stops reading from the server on every current and future connection. */
  freeze(): void;
  thaw(): void;
  /** Destroys every open connection now (counted as cuts). */
  cutAll(): void;
  close(): Promise<void>;
}

interface Direction {
  from: Socket;
  to: Socket;
  holds: number;
}

export async function startChaosProxy(options: ChaosProxyOptions): Promise<ChaosProxy> {
  const { random } = options;
  let cuts = 0;
  let stalls = 0;
  let connections = 0;
  let frozen = false;
  const recoveries: number[] = [];
  /** When cuts happened that no new connection has answered yet. */
  let unanswered: number[] = [];
  const noteCut = () => {
    cuts++;
    unanswered.push(performance.now());
  };
  const kills = new Set<() => void>();
  const downstreams = new Set<Direction>();
  const hold = (d: Direction) => {
    if (d.holds++ === 0) d.from.pause();
  };
  const release = (d: Direction) => {
    if (--d.holds === 0 && !d.from.destroyed) d.from.resume();
  };

  const proxy: ChaosProxy = {
    port: 0,
    target: options.target,
    cut: options.cut,
    stall: options.stall,
    throttleBytesPerSec: options.throttleBytesPerSec,
    get cuts() {
      return cuts;
    },
    get stalls() {
      return stalls;
    },
    get connections() {
      return connections;
    },
    recoveries,
    get open() {
      return kills.size;
    },
    freeze() {
      if (frozen) return;
      frozen = true;
      for (const d of downstreams) hold(d);
    },
    thaw() {
      if (!frozen) return;
      frozen = false;
      for (const d of downstreams) release(d);
    },
    cutAll() {
      for (const kill of [...kills]) {
        noteCut();
        kill();
      }
    },
    close: async () => {
      for (const kill of [...kills]) kill();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const server: Server = createServer((client) => {
    connections++;
    const now = performance.now();
    for (const at of unanswered) recoveries.push(now - at);
    unanswered = [];
    const upstream = new Socket();
    // Without this, Nagle's algorithm and delayed ACKs stall small frames for ~40 ms.
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const up: Direction = { from: client, to: upstream, holds: 0 };
    const down: Direction = { from: upstream, to: client, holds: 0 };
    let dead = false;
    let cutting = false;
    const kill = () => {
      if (dead) return;
      dead = true;
      client.destroy();
      upstream.destroy();
      kills.delete(kill);
      downstreams.delete(down);
    };
    kills.add(kill);
    for (const s of [client, upstream]) {
      s.on('error', kill);
      s.on('close', kill);
    }
    if (proxy.target === undefined) {
      kill();
      return;
    }
    downstreams.add(down);
    if (frozen) hold(down);
    upstream.connect(proxy.target, '127.0.0.1');
    // Both directions draw on one budget, so a producer's connection is cut as readily as
    // a consumer's.
    let budget = proxy.cut ? between(random, proxy.cut.minBytes, proxy.cut.maxBytes) : Infinity;
    const forward = (d: Direction, downstream: boolean) => (chunk: Buffer) => {
      if (dead || cutting) return;
      if (proxy.cut && chunk.length > budget) {
        const part = chunk.subarray(0, budget);
        noteCut();
        if (part.length === 0) {
          kill();
          return;
        }
        // Let the partial frame through, then cut without a close frame.
        cutting = true;
        d.to.write(part, () => kill());
        return;
      }
      budget -= chunk.length;
      if (!d.to.write(chunk)) {
        hold(d);
        d.to.once('drain', () => release(d));
      }
      const stall = proxy.stall;
      if (stall && random() < stall.probability) {
        stalls++;
        hold(d);
        setTimeout(() => release(d), between(random, 1, stall.maxMs));
      }
      const rate = proxy.throttleBytesPerSec;
      if (downstream && rate !== undefined) {
        hold(d);
        setTimeout(() => release(d), Math.ceil((chunk.length / rate) * 1000));
      }
    };
    client.on('data', forward(up, false));
    upstream.on('data', forward(down, true));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy did not bind a TCP port');
  (proxy as { port: number }).port = address.port;
  return proxy;
}
