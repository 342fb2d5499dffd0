/**
 * A redis-server of a scenario's own on a free port, without persistence, for the faults
 * that must never touch the shared Redis: restarted empty, paused.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

export interface OwnRedis {
  /** `redis://127.0.0.1:<port>`. */
  url: string;
  /** SIGKILLs it and starts it again, empty, on the same port. */
  restart(): Promise<void>;
  /**
   * `CLIENT PAUSE <ms> ALL`: every client's commands wait until the pause ends by itself
   * (connections stay open; Redis's clock runs on). Resolves once the pause is in force.
   */
  pause(ms: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts one; resolves once it answers PING. */
export async function ownRedisServer(): Promise<OwnRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    const probe = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => {});
    for (let i = 0; ; i++) {
      try {
        await probe.connect();
        await probe.ping();
        break;
      } catch {
        if (i > 200) throw new Error(`redis-server on port ${port} did not start`);
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    probe.disconnect();
  };
  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    restart: async () => {
      await stop();
      await start();
    },
    pause: async (ms) => {
      const admin = new Redis({ port, maxRetriesPerRequest: 0, retryStrategy: () => null });
      admin.on('error', () => {});
      try {
        await admin.call('CLIENT', 'PAUSE', String(ms), 'ALL');
      } finally {
        admin.disconnect();
      }
    },
    stop,
  };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise((resolve) => s.close(resolve));
  return port;
}
