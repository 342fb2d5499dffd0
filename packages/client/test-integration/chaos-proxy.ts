/**
 * A TCP proxy for resume tests that cuts connections at random moments: each connection
 * gets a random budget of bytes (both directions), and when a chunk overruns it, only the
 * part that fits is forwarded before both sides are destroyed. So cuts land mid-frame,
 * mid-handshake, and in the burst of a catchup, wherever the bytes happen to be.
 */
import { createServer, type Server, Socket } from 'node:net';
import { seededRandom } from '@spool/core/internal';

export interface ChaosProxy {
  port: number;
  /** Connections cut so far. */
  readonly cuts: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Stops cutting (budgets become infinite for new and current connections). */
  calm(): void;
  close(): Promise<void>;
}

export interface ChaosOptions {
  /** Upstream port. */
  target: number;
  /** Budgets are drawn uniformly from [minBytes, maxBytes]. */
  minBytes: number;
  maxBytes: number;
  /** Deterministic randomness for a reproducible run. */
  random: () => number;
}

/** A seeded PRNG (core's mulberry32): uniform in [0, 1). */
export const seeded = seededRandom;

export async function startChaosProxy(options: ChaosOptions): Promise<ChaosProxy> {
  let cuts = 0;
  let connections = 0;
  let calm = false;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    connections++;
    const upstream = new Socket();
    // Without this, Nagle's algorithm and delayed ACKs stall small frames for ~40 ms.
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    open.add(client);
    open.add(upstream);
    let budget = options.minBytes + Math.floor(options.random() * (options.maxBytes - options.minBytes + 1));
    let dead = false;
    let cutting = false;
    const kill = () => {
      if (dead) return;
      dead = true;
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', kill);
    upstream.on('error', kill);
    client.on('close', kill);
    upstream.on('close', kill);
    upstream.connect(options.target, '127.0.0.1');
    // Both directions draw on one budget, so a producer's connection is cut as readily
    // as a consumer's.
    const forward = (to: Socket) => (chunk: Buffer) => {
      if (dead || cutting) return;
      if (calm || chunk.length <= budget) {
        budget -= chunk.length;
        to.write(chunk);
        return;
      }
      const part = chunk.subarray(0, budget);
      cuts++;
      if (part.length === 0) {
        kill();
        return;
      }
      // Let the partial frame through, then cut without a close frame.
      cutting = true;
      to.write(part, () => kill());
    };
    client.on('data', forward(upstream));
    upstream.on('data', forward(client));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy did not bind a TCP port');
  return {
    port: address.port,
    get cuts() {
      return cuts;
    },
    get connections() {
      return connections;
    },
    calm() {
      calm = true;
    },
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
