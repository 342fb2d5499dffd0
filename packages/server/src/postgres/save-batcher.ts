import { SpoolError } from '@spool/core';

/** Options of {@link SaveBatcher}. */
export interface SaveBatcherOptions<T> {
  /** Writes one batch in one transaction; all or nothing. */
  write: (items: T[]) => Promise<void>;
  /** Items with the same key replace each other: only the last one of a batch is written. */
  keyOf: (item: T) => string;
  /**
   * For a batch that failed: whether the failure may come from one item's data (then each
   * item is written on its own, so one bad item fails alone). Connection failures fail the
   * whole batch at once.
   */
  isolate: (error: unknown) => boolean;
  /** Most items per batch. */
  maxBatchSize: number;
}

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for saves: while one batch is being written, later saves queue, and the
 * next batch takes them all (up to `maxBatchSize`) in one statement and one commit. A
 * lone save goes out at once (after the current microtask, so saves made in the same
 * tick share a batch); a burst costs a few round trips and commits instead of one each.
 *
 * One batch is in flight at a time, so a message saved twice is written in call order:
 * the later save always wins, as it would with one INSERT per call.
 *
 * @example
 * const batcher = new SaveBatcher({ write: insertRows, keyOf: (m) => m.messageId, isolate: isDataError, maxBatchSize: 500 });
 * await Promise.all(messages.map((m) => batcher.add(m)));
 */
export class SaveBatcher<T> {
  readonly #options: SaveBatcherOptions<T>;
  #queue: Pending<T>[] = [];
  #running: Promise<void> | undefined;

  constructor(options: SaveBatcherOptions<T>) {
    if (!Number.isSafeInteger(options.maxBatchSize) || options.maxBatchSize < 1)
      throw new SpoolError(
        'INVALID_OPTION',
        `\`maxBatchSize\` must be a positive integer, got ${String(options.maxBatchSize)}.`,
      );
    this.#options = options;
  }

  /** Number of saves waiting for a batch (not counting the one being written). */
  get queued(): number {
    return this.#queue.length;
  }

  /** Resolves once `item` is committed; rejects with the batch's (or its own) failure. */
  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#running ??= this.#run();
    });
  }

  /** Resolves when every save added so far has settled. */
  async drain(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async #run(): Promise<void> {
    // Let the saves of the current tick join the first batch.
    await Promise.resolve();
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#options.maxBatchSize);
        await this.#writeBatch(batch);
      }
    } finally {
      this.#running = undefined;
    }
  }

  async #writeBatch(batch: Pending<T>[]): Promise<void> {
    // The last save of each key wins; every save of that key settles with it.
    const groups = new Map<string, Pending<T>[]>();
    for (const p of batch) {
      const key = this.#options.keyOf(p.item);
      const group = groups.get(key);
      if (group) group.push(p);
      else groups.set(key, [p]);
    }
    const last = (group: Pending<T>[]) => group[group.length - 1]!.item;
    try {
      await this.#options.write([...groups.values()].map(last));
      for (const p of batch) p.resolve();
      return;
    } catch (error) {
      if (groups.size === 1 || !this.#options.isolate(error)) {
        for (const p of batch) p.reject(error);
        return;
      }
    }
    for (const group of groups.values()) {
      try {
        await this.#options.write([last(group)]);
        for (const p of group) p.resolve();
      } catch (error) {
        for (const p of group) p.reject(error);
      }
    }
  }
}
