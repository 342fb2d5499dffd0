import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

/**
 * A redis-server of a test's own on a free port, without persistence, for faults that must
 * never touch a shared Redis: stopped (empty on restart), paused, killed. Needs
 * `redis-server` on the PATH.
 *
 * @example
 * const redis = await PrivateRedis.start();
 * await redis.pause(2_000); // CLIENT PAUSE 2000 ALL
 * await redis.stop({ kill: true }); // the data is gone
 * await redis.restart(); // empty, on the same port
 */
export class PrivateRedis {
  #child: ChildProcess | undefined;

  private constructor(
    /** The free port it listens on, on 127.0.0.1. */
    readonly port: number,
  ) {}

  /** Starts one on a free port; resolves once it answers PING. */
  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.restart();
    return redis;
  }

  /** `redis://127.0.0.1:<port>`. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** The running server's process (to SIGSTOP and SIGCONT it). */
  get process(): ChildProcess {
    if (!this.#child) throw new Error('the private redis-server is not running');
    return this.#child;
  }

  /** Starts it (again, empty, on the same port); resolves once it answers PING. */
  async restart(): Promise<void> {
    this.#child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    const probe = new Redis({
      port: this.port,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on('error', () => {});
    for (let i = 0; ; i++) {
      try {
        await probe.connect();
        await probe.ping();
        break;
      } catch {
        if (i > 200) throw new Error(`redis-server on port ${this.port} did not start`);
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    probe.disconnect();
  }

  /**
   * `CLIENT PAUSE <ms> ALL`: every client's commands wait until the pause ends by itself
   * (connections stay open; Redis's clock runs on). Resolves once the pause is in force.
   */
  async pause(ms: number): Promise<void> {
    const admin = new Redis({ port: this.port, maxRetriesPerRequest: 0, retryStrategy: () => null });
    admin.on('error', () => {});
    try {
      await admin.call('CLIENT', 'PAUSE', String(ms), 'ALL');
    } finally {
      admin.disconnect();
    }
  }

  /** Shuts it down without saving (SIGKILL when `kill`); resolves once the process is gone. */
  async stop({
    kill = false,
  }: {
    /** SIGKILL instead of `SHUTDOWN NOSAVE` (a crash rather than a stop). @default false */
    kill?: boolean;
  } = {}): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    if (kill) child.kill('SIGKILL');
    else {
      const admin = new Redis({ port: this.port, maxRetriesPerRequest: 0 });
      admin.on('error', () => {});
      await admin.call('SHUTDOWN', 'NOSAVE').catch(() => {}); // the connection closes: expected
      admin.disconnect();
    }
    await exited;
  }
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise((resolve) => s.close(resolve));
  return port;
}
