import { utf8ByteLength } from '../cache/memory-cost';
import { SpoolError } from '../errors';
import { type Clock, realClock, type TimerHandle } from '../time/clock';

/**
 * Sends one chunk and resolves with what acknowledges it (the `msg.delta` event ID).
 * `attempt` counts from 1: above 1 the chunk was refused before and is being sent again.
 */
export type ChunkSend = (
  chunkId: number,
  payload: string | Uint8Array,
  attempt: number,
) => Promise<string | undefined>;

export interface ChunkPacerOptions {
  /**
   * Chunks sent and not yet acknowledged, at most. Matches the server's `ws.appendWindow`.
   * @default 256
   */
  window?: number;
  /**
   * Text waiting behind the window is merged into one chunk up to this many UTF-8 bytes.
   * @default 16384
   */
  maxChunkBytes?: number;
  /**
   * Bytes waiting behind the window, at most. Past it the chunk fails with `QUEUE_FULL`, and
   * so does the whole message: a producer far faster than the network should await `append`.
   * @default 4194304 (4 MiB)
   */
  maxQueuedBytes?: number;
  /**
   * Times a chunk refused for rate (`RATE_LIMITED`, `MEMORY_LIMIT_REACHED`) is sent again
   * before it finally fails. It waits the `retryAfterMs` the refusal names, else 100 ms
   * doubling up to 5 s.
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
  maxChunkBytes: 16_384,
  maxQueuedBytes: 4 * 2 ** 20,
  maxRetries: 8,
} as const;

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
const sizeOf = (p: string | Uint8Array) => (typeof p === 'string' ? utf8ByteLength(p) : p.byteLength);

/**
 * Paces one message's chunks (docs/protocol.md "Producing a long message"): at most
 * `window` are in flight, the rest wait in a bounded queue where text merges into bigger
 * chunks, and a chunk refused for rate is sent again, before any chunk not sent yet, after
 * the delay the server names. A chunk that finally fails fails the pacer: every later
 * chunk rejects with that error and `onFail` runs once, so the message can end with reason
 * `error` instead of `success` with a hole. Every promise it returns is handled, so a
 * producer that never awaits them causes no unhandled rejection.
 *
 * @example
 * const pacer = new ChunkPacer((chunkId, text) => request({ op: 'msg.append', chunkId, text }), {
 *   onFail: () => request({ op: 'msg.end', reason: 'error' }),
 * });
 * for await (const token of llm) pacer.push(token);
 * await pacer.drained();
 * if (pacer.failure) throw pacer.failure;
 */
export class ChunkPacer {
  readonly window: number;
  readonly maxChunkBytes: number;
  readonly maxQueuedBytes: number;
  readonly maxRetries: number;
  /** The error of the chunk that finally failed, once one has. */
  failure: unknown;
  #send: ChunkSend;
  #onFail: ((err: unknown) => void) | undefined;
  #clock: Clock;
  #queue: Chunk[] = [];
  /** Refused chunks waiting their turn, by chunk ID: sent again one at a time, before anything in `#queue`. */
  #retry: Chunk[] = [];
  /** The refused chunk now waiting for its delay or its answer. */
  #resending: Chunk | undefined;
  #timer: TimerHandle;
  #inFlight = 0;
  #queued = 0;
  #next = 0;
  #idle: Array<() => void> = [];

  constructor(send: ChunkSend, options: ChunkPacerOptions = {}) {
    const o = { ...chunkPacerDefaults, ...options };
    for (const k of ['window', 'maxChunkBytes', 'maxQueuedBytes'] as const)
      if (!Number.isSafeInteger(o[k]) || o[k] < 1)
        throw new SpoolError('INVALID_OPTION', `\`${k}\` must be a positive integer, got ${o[k]}`);
    if (!Number.isSafeInteger(o.maxRetries) || o.maxRetries < 0)
      throw new SpoolError('INVALID_OPTION', `\`maxRetries\` must be an integer >= 0, got ${o.maxRetries}`);
    this.window = o.window;
    this.maxChunkBytes = o.maxChunkBytes;
    this.maxQueuedBytes = o.maxQueuedBytes;
    this.maxRetries = o.maxRetries;
    this.#send = send;
    this.#onFail = o.onFail;
    this.#clock = o.clock ?? realClock;
  }

  /** Chunks sent and not acknowledged yet. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Bytes waiting behind the window. */
  get queuedBytes(): number {
    return this.#queued;
  }

  /**
   * Queues a payload; resolves once the chunk carrying it is acknowledged (merged payloads
   * share one chunk and one promise). Rejects with the pacer's failure after one.
   */
  push(payload: string | Uint8Array): Promise<string | undefined> {
    if (this.failure !== undefined) return this.#rejected(this.failure);
    const bytes = sizeOf(payload);
    if (this.#queued + bytes > this.maxQueuedBytes) {
      this.fail(
        new SpoolError(
          'QUEUE_FULL',
          `More than ${this.maxQueuedBytes} bytes wait to be sent: await append() to follow the network.`,
        ),
      );
      return this.#rejected(this.failure);
    }
    this.#queued += bytes;
    const last = this.#queue[this.#queue.length - 1];
    if (
      last &&
      typeof last.payload === 'string' &&
      typeof payload === 'string' &&
      last.bytes + bytes <= this.maxChunkBytes
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
    this.#queue.push({ id: -1, payload, bytes, attempt: 1, done, ok, ko });
    this.#pump();
    return done;
  }

  /** Resolves once every chunk is acknowledged, or at once after a failure. Never rejects. */
  drained(): Promise<void> {
    if (this.failure !== undefined || this.#idleNow()) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Fails the pacer with `err` (the first failure wins): waiting chunks reject, nothing more is sent. */
  fail(err: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = err ?? new SpoolError('INTERNAL', 'failed');
    this.#clock.clearTimeout(this.#timer);
    if (this.#resending) this.#retry.push(this.#resending);
    this.#resending = undefined;
    for (const c of this.#queue.splice(0).concat(this.#retry.splice(0))) c.ko(this.failure);
    this.#queued = 0;
    this.#settle();
    this.#onFail?.(this.failure);
  }

  #rejected(err: unknown): Promise<never> {
    const p = Promise.reject(err);
    p.catch(noop);
    return p;
  }

  #pump(): void {
    while (this.failure === undefined && !this.#resending && this.#inFlight < this.window) {
      const c = this.#queue.shift();
      if (!c) return;
      this.#queued -= c.bytes;
      c.id = this.#next++;
      this.#dispatch(c);
    }
  }

  #dispatch(c: Chunk): void {
    this.#inFlight++;
    this.#send(c.id, c.payload, c.attempt).then(
      (id) => {
        this.#inFlight--;
        c.ok(id);
        if (c === this.#resending) {
          this.#resending = undefined;
          // The resend went through: the next refused chunk needs no further wait.
          this.#resendNext(0);
        } else if (!this.#resending) this.#pump();
        this.#settle();
      },
      (err: unknown) => {
        this.#inFlight--;
        const e = err as { code?: string; details?: { retryAfterMs?: unknown } } | undefined;
        const after = e?.details?.retryAfterMs;
        if (
          this.failure === undefined &&
          c.attempt <= this.maxRetries &&
          (typeof after === 'number' || e?.code === 'RATE_LIMITED' || e?.code === 'MEMORY_LIMIT_REACHED')
        ) {
          const delay = typeof after === 'number' ? after : Math.min(5000, 100 * 2 ** (c.attempt - 1));
          c.attempt++;
          this.#retry.push(c);
          this.#retry.sort((a, b) => a.id - b.id);
          if (c === this.#resending) this.#resending = undefined;
          if (!this.#resending) this.#resendNext(delay);
        } else {
          c.ko(err);
          this.fail(err);
        }
      },
    );
  }

  /** Sends the lowest refused chunk again after `delay` ms, one at a time; none left: the queue. */
  #resendNext(delay: number): void {
    const c = this.#retry.shift();
    if (!c) {
      this.#pump();
      return;
    }
    this.#resending = c;
    if (delay <= 0) this.#dispatch(c);
    else
      this.#timer = this.#clock.setTimeout(() => {
        if (this.failure === undefined) this.#dispatch(c);
      }, delay);
  }

  #idleNow(): boolean {
    return !this.#inFlight && !this.#queue.length && !this.#retry.length && !this.#resending;
  }

  #settle(): void {
    if (this.failure === undefined && !this.#idleNow()) return;
    for (const resolve of this.#idle.splice(0)) resolve();
  }
}
