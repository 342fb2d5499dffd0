import { SpoolError } from '../errors';
import { type Clock, realClock } from '../time/clock';

/**
 * Sends one chunk and resolves with what acknowledges it (the `msg.delta` event ID).
 * `attempt` counts from 1: above 1 the chunk was refused before and is being sent again.
 */
export type ChunkSend = (
  chunkId: number,
  payload: string | Uint8Array,
  attempt: number,
) => Promise<string | undefined>;

/**
 * Options of {@link ChunkPacer}: how many chunks may be unacknowledged, and how text waiting behind them is
 * merged.
 */
export interface ChunkPacerOptions {
  /**
   * Chunks sent and not yet acknowledged, at most. Matches the server's `ws.appendWindow`.
   * @default 256
   */
  window?: number;
  /**
   * Text waiting behind the window is merged into one chunk up to this size. Sizes are a
   * string's length (UTF-16 code units, at most 3 UTF-8 bytes each) or a byte array's.
   * @default 16384
   */
  maxChunkSize?: number;
  /**
   * Size waiting behind the window, at most. Past it the chunk fails with `QUEUE_FULL`, and
   * so does the whole message: a producer far faster than the network should await `append`.
   * @default 4194304
   */
  maxQueuedSize?: number;
  /**
   * Times a chunk refused for rate (`RATE_LIMITED`, `MEMORY_LIMIT_REACHED`, or any refusal
   * naming `retryAfterMs`) is sent again before it finally fails. It waits the
   * `retryAfterMs` the refusal names, else 100 ms doubling up to 5 s.
   * @default 8
   */
  maxRetries?: number;
  /** Called once, with the error of the first chunk that finally failed. */
  onFail?: (err: unknown) => void;
  /** @default realClock */
  clock?: Clock;
}

/** The defaults of {@link ChunkPacerOptions}. */
export const chunkPacerDefaults = {
  window: 256,
  maxChunkSize: 16_384,
  maxQueuedSize: 4 * 2 ** 20,
  maxRetries: 8,
} as const;

/** What {@link chunkPacer} returns. */
export interface ChunkPacer {
  /**
   * Queues a payload; resolves once the chunk carrying it is acknowledged (merged payloads
   * share one chunk and one promise). Rejects with the pacer's failure after one.
   */
  push(payload: string | Uint8Array): Promise<string | undefined>;
  /** Resolves once every chunk is acknowledged, or at once after a failure. Never rejects. */
  drained(): Promise<void>;
  /** Fails the pacer with `err` (the first failure wins): waiting chunks reject, nothing more is sent. */
  fail(err: unknown): void;
  /** The error of the chunk that finally failed, once one has. */
  readonly failure: unknown;
}

interface Chunk {
  /** -1 until first sent: IDs are given in sending order, so merged chunks stay contiguous. */
  id: number;
  payload: string | Uint8Array;
  bytes: number;
  attempt: number;
  done: Promise<string | undefined>;
  ok(id: string | undefined): void;
  ko(err: unknown): void;
}

const noop = () => {};

/**
 * A rejected promise that is already handled: a caller may ignore it safely (no unhandled
 * rejection), or await it and get `err`.
 *
 * @example
 * return finished ? handledRejection(new SpoolError('STREAM_CLOSED', 'already ended')) : send();
 */
export function handledRejection(err: unknown): Promise<never> {
  const p = Promise.reject(err);
  p.catch(noop);
  return p;
}

/**
 * Paces one message's chunks (docs/protocol.md "Producing a long message"): at most
 * `window` are in flight, the rest wait in a bounded queue where text merges into bigger
 * chunks, and a chunk refused for rate is sent again, before any chunk not sent yet, after
 * the delay the server names. A chunk that finally fails fails the pacer: every later
 * chunk rejects with that error and `onFail` runs once, so the message can end with reason
 * `error` instead of `success` with a hole. Every promise it returns is handled, so a
 * producer that never awaits them causes no unhandled rejection. Used by the client's
 * `MessageWriter` and the server's `spool.run`.
 *
 * (A closure rather than a class: the client bundles it, and local names minify where
 * `#private` names do not.)
 *
 * @example
 * const pacer = chunkPacer((chunkId, text) => request({ op: 'msg.append', chunkId, text }), {
 *   onFail: () => request({ op: 'msg.end', reason: 'error' }),
 * });
 * for await (const token of llm) pacer.push(token);
 * await pacer.drained();
 * if (pacer.failure) throw pacer.failure;
 */
export function chunkPacer(send: ChunkSend, options: ChunkPacerOptions = {}): ChunkPacer {
  const o = { ...chunkPacerDefaults, ...options };
  for (const k in chunkPacerDefaults) {
    const v = o[k as keyof typeof chunkPacerDefaults];
    if (!(v >= (k === 'maxRetries' ? 0 : 1)))
      throw new SpoolError('INVALID_OPTION', `\`${k}\` must be >= 1, got ${v}`);
  }
  const clock = o.clock ?? realClock;
  /**
   * Waiting to be sent: refused chunks first, by chunk ID, then chunks never sent (ID -1),
   * in order. Text merges into the last one while it has never been sent.
   */
  const queue: Chunk[] = [];
  let paused = false;
  let timer: unknown;
  let failure: unknown;
  let inFlight = 0;
  let queued = 0;
  let next = 0;
  const idle: Array<() => void> = [];

  const settle = () => {
    if (failure !== undefined || (!inFlight && !queue.length))
      for (const resolve of idle.splice(0)) resolve();
  };
  const pump = () => {
    while (failure === undefined && !paused && inFlight < o.window && queue.length) {
      const c = queue.shift()!;
      queued -= c.bytes;
      if (c.id < 0) c.id = next++;
      dispatch(c);
    }
  };
  const fail = (err: unknown) => {
    if (failure !== undefined) return;
    failure = err ?? new SpoolError('INTERNAL', 'failed');
    clock.clearTimeout(timer);
    for (const c of queue.splice(0)) c.ko(failure);
    queued = 0;
    settle();
    o.onFail?.(failure);
  };
  const dispatch = (c: Chunk) => {
    inFlight++;
    send(c.id, c.payload, c.attempt).then(
      (id) => {
        inFlight--;
        c.ok(id);
        pump();
        settle();
      },
      (err: { code?: string; details?: { retryAfterMs?: unknown } } | undefined) => {
        inFlight--;
        const after = err?.details?.retryAfterMs;
        if (
          failure === undefined &&
          c.attempt++ <= o.maxRetries &&
          (typeof after === 'number' || /^(RATE|MEMORY)_LIMIT/.test(String(err?.code)))
        ) {
          // Back in line before every chunk not sent yet (and after refused ones with lower IDs);
          // nothing goes out until the wait the refusal names is over.
          let at = 0;
          while (at < queue.length && queue[at]!.id >= 0 && queue[at]!.id < c.id) at++;
          queue.splice(at, 0, c);
          queued += c.bytes;
          paused = true;
          clock.clearTimeout(timer);
          timer = clock.setTimeout(
            () => {
              paused = false;
              pump();
            },
            typeof after === 'number' ? after : Math.min(5000, 100 * 2 ** (c.attempt - 2)),
          );
        } else {
          c.ko(err);
          fail(err);
        }
      },
    );
  };

  return {
    push(payload) {
      if (failure !== undefined) return handledRejection(failure);
      // A string's length (UTF-16 code units: its size in a JS heap, and at most 3 UTF-8 bytes
      // each on the wire) or a byte array's: cheap, and bound enough for both.
      const bytes = payload.length;
      if (queued + bytes > o.maxQueuedSize) {
        fail(new SpoolError('QUEUE_FULL', `Over ${o.maxQueuedSize} queued: await append()`));
        return handledRejection(failure);
      }
      queued += bytes;
      const last = queue[queue.length - 1];
      if (
        last &&
        last.id < 0 &&
        typeof last.payload === 'string' &&
        typeof payload === 'string' &&
        last.bytes + bytes <= o.maxChunkSize
      ) {
        last.payload += payload;
        last.bytes += bytes;
        return last.done;
      }
      let ok!: Chunk['ok'];
      let ko!: Chunk['ko'];
      const done = new Promise<string | undefined>((resolve, reject) => {
        ok = resolve;
        ko = reject;
      });
      done.catch(noop);
      queue.push({ id: -1, payload, bytes, attempt: 1, done, ok, ko });
      pump();
      return done;
    },
    drained: () =>
      failure !== undefined || (!inFlight && !queue.length)
        ? Promise.resolve()
        : new Promise((resolve) => idle.push(resolve)),
    fail,
    get failure() {
      return failure;
    },
  };
}
