import { SpoolError } from '@spool/core';
import { Redis, type RedisOptions } from 'ioredis';

/** One pooled connection for blocking reads, and its server-side client ID (for CLIENT UNBLOCK). */
export interface BlockingConnection {
  readonly redis: Redis;
  id: number | undefined;
}

/**
 * A bounded pool of connections for blocking XREAD / XREADGROUP: a blocked command holds
 * its connection until it returns, so each concurrent blocking read needs its own (a
 * worker with `concurrency: 8` and a few waiting readers must not queue behind one
 * socket). Connections are opened on demand up to `size`; further readers wait in
 * arrival order for one to come back.
 */
export class BlockingPool {
  private readonly idle: BlockingConnection[] = [];
  private readonly all = new Set<BlockingConnection>();
  private readonly waiting: Array<{
    resolve(c: BlockingConnection): void;
    reject(e: unknown): void;
  }> = [];
  private closed = false;

  constructor(
    private readonly options: RedisOptions,
    private readonly size: number,
    private readonly onError: (err: Error) => void,
  ) {}

  /** Server-side IDs of the open connections. */
  ids(): number[] {
    return [...this.all].map((c) => c.id).filter((id): id is number => id !== undefined);
  }

  /**
   * Runs a blocking command on a pooled connection. If `signal` aborts, the command is
   * ended on the server with `CLIENT UNBLOCK` (sent through `admin`), or, if that cannot
   * reach it, by dropping the connection; the call then rejects with ABORTED, unless a
   * reply with data arrived meanwhile, which is returned rather than lost.
   */
  async run(argv: Array<string | number>, signal: AbortSignal | undefined, admin: Redis): Promise<unknown> {
    const conn = await this.acquire(signal);
    let settled = false;
    let dropped = false;
    let unblocking: Promise<void> | undefined;
    const onAbort = () => {
      unblocking = this.unblock(conn, admin, () => settled).then((ok) => {
        if (!ok && !settled) {
          dropped = true;
          this.discard(conn);
        }
      });
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const raw = await conn.redis.call(argv[0] as string, argv.slice(1));
      if (unblocking && raw === null) throw abortedError(signal);
      return raw;
    } catch (err) {
      if (this.closed) throw closedError();
      if (unblocking) throw abortedError(signal);
      throw err;
    } finally {
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      // Never hand the connection on while a CLIENT UNBLOCK aimed at it may still land.
      if (unblocking) void unblocking.then(() => dropped || this.release(conn));
      else this.release(conn);
    }
  }

  /** `CLIENT UNBLOCK`; the command may still be on its way to Redis, so a miss is retried briefly. */
  private async unblock(conn: BlockingConnection, admin: Redis, settled: () => boolean): Promise<boolean> {
    for (let attempt = 0; attempt < 20 && !settled() && !this.closed; attempt++) {
      if (conn.id === undefined) return false;
      try {
        if (Number(await admin.call('CLIENT', 'UNBLOCK', conn.id)) === 1) return true;
      } catch {
        return false;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    return settled();
  }

  private async acquire(signal: AbortSignal | undefined): Promise<BlockingConnection> {
    if (this.closed) throw closedError();
    let conn = this.idle.pop();
    if (!conn && this.all.size < this.size) conn = this.open();
    if (!conn) conn = await this.queue(signal);
    if (conn.id === undefined) {
      try {
        conn.id = Number(await conn.redis.call('CLIENT', 'ID'));
      } catch (err) {
        this.discard(conn);
        throw err;
      }
    }
    return conn;
  }

  private release(conn: BlockingConnection): void {
    if (!this.all.has(conn)) return;
    const next = this.waiting.shift();
    if (next) next.resolve(conn);
    else this.idle.push(conn);
  }

  /** Drops a connection whose state is unknown (a read we could not unblock), and lets a waiter open a new one. */
  private discard(conn: BlockingConnection): void {
    if (!this.all.delete(conn)) return;
    const i = this.idle.indexOf(conn);
    if (i !== -1) this.idle.splice(i, 1);
    conn.redis.disconnect();
    const next = this.waiting.shift();
    if (next) next.resolve(this.open());
  }

  close(): void {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w.reject(closedError());
    for (const conn of this.all) conn.redis.disconnect();
    this.all.clear();
    this.idle.length = 0;
  }

  private open(): BlockingConnection {
    const redis = new Redis({ ...this.options, enableAutoPipelining: false, lazyConnect: false });
    const conn: BlockingConnection = { redis, id: undefined };
    redis.on('error', this.onError);
    // A reconnect gets a new client ID; fetch it again before the next read.
    redis.on('ready', () => {
      conn.id = undefined;
    });
    this.all.add(conn);
    return conn;
  }

  private queue(signal: AbortSignal | undefined): Promise<BlockingConnection> {
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiting.indexOf(entry);
        if (i !== -1) this.waiting.splice(i, 1);
        reject(abortedError(signal));
      };
      const entry = {
        resolve: (c: BlockingConnection) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(c);
        },
        reject: (e: unknown) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      this.waiting.push(entry);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

export function abortedError(signal: AbortSignal | undefined): SpoolError {
  return new SpoolError('ABORTED', 'The blocked stream read was cancelled through its AbortSignal.', {
    cause: signal?.reason,
  });
}

export function closedError(): SpoolError {
  return new SpoolError('BROKER_CLOSED', 'The broker is closed: create a new RedisBroker.');
}
