/** An item the {@link DeadlineQueue} can hold: the queue keeps both fields up to date. */
export interface DeadlineItem {
  /** The key the queue orders by (ms). */
  deadlineAt: number;
  /** Position in the heap, or -1 when not queued. */
  heapIndex: number;
}

/**
 * An indexed binary min-heap of deadlines. Items carry their own position, so removing an
 * ended stream or moving its deadline is O(log n) with no allocation and no stale entries.
 * The cache keeps one timer armed for `peek()` instead of one timer per stream.
 *
 * @example
 * const q = new DeadlineQueue<{ deadlineAt: number; heapIndex: number }>();
 * q.push({ deadlineAt: 5, heapIndex: -1 });
 * q.peek()?.deadlineAt; // 5
 */
export class DeadlineQueue<T extends DeadlineItem> {
  readonly #heap: T[] = [];

  get size(): number {
    return this.#heap.length;
  }

  /** The item with the earliest deadline. */
  peek(): T | undefined {
    return this.#heap[0];
  }

  push(item: T): void {
    item.heapIndex = this.#heap.length;
    this.#heap.push(item);
    this.#up(item.heapIndex);
  }

  /** Removes `item` if queued; returns whether it was. */
  remove(item: T): boolean {
    const i = item.heapIndex;
    if (i < 0 || this.#heap[i] !== item) return false;
    const last = this.#heap.pop()!;
    item.heapIndex = -1;
    if (last !== item) {
      this.#heap[i] = last;
      last.heapIndex = i;
      this.#down(i);
      this.#up(last.heapIndex);
    }
    return true;
  }

  /** Moves a queued item's deadline, in either direction. */
  update(item: T, deadlineAt: number): void {
    const earlier = deadlineAt < item.deadlineAt;
    item.deadlineAt = deadlineAt;
    if (earlier) this.#up(item.heapIndex);
    else this.#down(item.heapIndex);
  }

  /** Every queued item, in no particular order (for sweeps and tests). */
  items(): readonly T[] {
    return this.#heap;
  }

  #up(i: number): void {
    const heap = this.#heap;
    const item = heap[i]!;
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (parent.deadlineAt <= item.deadlineAt) break;
      heap[i] = parent;
      parent.heapIndex = i;
      i = parentIndex;
    }
    heap[i] = item;
    item.heapIndex = i;
  }

  #down(i: number): void {
    const heap = this.#heap;
    const n = heap.length;
    const item = heap[i]!;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && heap[right]!.deadlineAt < heap[child]!.deadlineAt) child = right;
      const smaller = heap[child]!;
      if (smaller.deadlineAt >= item.deadlineAt) break;
      heap[i] = smaller;
      smaller.heapIndex = i;
      i = child;
    }
    heap[i] = item;
    item.heapIndex = i;
  }
}
