import { SpoolError } from '../errors';
import type { Clock, TimerHandle } from '../time/clock';
import type { StreamReadReply } from './stream-broker';

/** Tries to serve a blocked reader from `key`: a reply ends the wait, undefined keeps waiting; a throw fails it. */
export type ServeAttempt = (key: string) => StreamReadReply | undefined;

interface Waiter {
  done: boolean;
  serve(key: string): void;
  fail(err: unknown): void;
}

/** The error a read cancelled through its AbortSignal rejects with. */
export function abortedError(signal: AbortSignal): SpoolError {
  return new SpoolError('ABORTED', 'The blocked stream read was cancelled through its AbortSignal.', {
    cause: signal.reason,
  });
}

/**
 * Readers blocked in XREAD / XREADGROUP, queued per key in arrival order: when a key gets
 * data, its readers are offered it first come, first served, as Redis serves clients
 * blocked on a key. Timers run on the injected clock.
 */
export class BlockedReads {
  private readonly byKey = new Map<string, Waiter[]>();

  constructor(private readonly clock: Clock) {}

  /** Number of blocked readers (a reader blocked on several keys counts once). */
  get size(): number {
    const all = new Set<Waiter>();
    for (const list of this.byKey.values()) for (const w of list) all.add(w);
    return all.size;
  }

  /** Blocks until `attempt` serves, `blockMs` passes (0 = forever; resolves null) or `signal` aborts. */
  wait(
    keys: readonly string[],
    attempt: ServeAttempt,
    blockMs: number,
    signal: AbortSignal | undefined,
  ): Promise<StreamReadReply> {
    return new Promise<StreamReadReply>((resolve, reject) => {
      const unique = [...new Set(keys)];
      let timer: TimerHandle | undefined;
      const onAbort = () => finish(() => reject(abortedError(signal!)));
      const finish = (settle: () => void) => {
        if (waiter.done) return;
        waiter.done = true;
        if (timer !== undefined) this.clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        for (const key of unique) this.unlist(key, waiter);
        settle();
      };
      const waiter: Waiter = {
        done: false,
        serve(key) {
          try {
            const reply = attempt(key);
            if (reply !== undefined) finish(() => resolve(reply));
          } catch (err) {
            finish(() => reject(err));
          }
        },
        fail(err) {
          finish(() => reject(err));
        },
      };
      for (const key of unique) {
        const list = this.byKey.get(key);
        if (list) list.push(waiter);
        else this.byKey.set(key, [waiter]);
      }
      if (blockMs > 0) timer = this.clock.setTimeout(() => finish(() => resolve(null)), blockMs);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Offers `key`'s new state to its blocked readers, oldest first. */
  wake(key: string): void {
    const list = this.byKey.get(key);
    if (!list) return;
    for (const waiter of [...list]) if (!waiter.done) waiter.serve(key);
  }

  /** Fails every blocked reader (on close). */
  failAll(err: unknown): void {
    for (const list of [...this.byKey.values()]) for (const waiter of [...list]) waiter.fail(err);
  }

  private unlist(key: string, waiter: Waiter): void {
    const list = this.byKey.get(key);
    if (!list) return;
    const i = list.indexOf(waiter);
    if (i !== -1) list.splice(i, 1);
    if (list.length === 0) this.byKey.delete(key);
  }
}
