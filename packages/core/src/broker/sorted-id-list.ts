import { compareStreamIdParts, type StreamIdParts } from './stream-id';

/**
 * An item kept by {@link SortedIdList}: it carries its own ID parts (one object per item,
 * not two: streams hold many), and whether it was removed.
 */
export interface IdSlot extends StreamIdParts {
  dead: boolean;
}

/**
 * Items sorted by stream ID in one array, with binary search: O(log n) lookups and
 * O(log n + k) range scans. Most inserts are appends (stream IDs only grow, and new
 * deliveries come in ID order), so they are O(1). Removal marks the slot dead instead of
 * splicing: removals at the head just move `head`, and the array is compacted when dead
 * slots outnumber live ones, so each removal costs O(1) amortised. Callers never compact
 * while they iterate: compaction only happens inside `insert` and `tidy`.
 */
export class SortedIdList<T extends IdSlot> {
  private items: T[] = [];
  private head = 0;
  /** Number of live items. */
  size = 0;

  /** Index (in the internal array) of the first slot, dead or alive, with id >= `id`. */
  lowerBound(id: StreamIdParts): number {
    let lo = this.head;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareStreamIdParts(this.items[mid]!, id) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The live item with this ID. */
  get(id: StreamIdParts): T | undefined {
    const i = this.lowerBound(id);
    const item = this.items[i];
    return item && !item.dead && compareStreamIdParts(item, id) === 0 ? item : undefined;
  }

  /**
   * Inserts `item` in ID order. Returns the live item already holding that ID instead, if
   * there is one (nothing is inserted then).
   */
  insert(item: T): T {
    const items = this.items;
    const last = items[items.length - 1];
    if (last === undefined || compareStreamIdParts(last, item) < 0) {
      this.maybeCompact();
      this.items.push(item);
      this.size++;
      return item;
    }
    const i = this.lowerBound(item);
    const at = items[i];
    if (at && compareStreamIdParts(at, item) === 0) {
      if (!at.dead) return at;
      items[i] = item;
    } else {
      items.splice(i, 0, item);
    }
    this.size++;
    return item;
  }

  /** Marks a live item dead. */
  remove(item: T): void {
    if (item.dead) return;
    item.dead = true;
    this.size--;
    const items = this.items;
    while (this.head < items.length && items[this.head]!.dead) this.head++;
    if (this.head === items.length) {
      this.items = [];
      this.head = 0;
    }
  }

  /** Removes the live item with this ID; returns it. */
  delete(id: StreamIdParts): T | undefined {
    const item = this.get(id);
    if (item) this.remove(item);
    return item;
  }

  first(): T | undefined {
    return this.items[this.head];
  }

  last(): T | undefined {
    const items = this.items;
    for (let i = items.length - 1; i >= this.head; i--) if (!items[i]!.dead) return items[i];
    return undefined;
  }

  /** Live items with id >= `from` (ascending), at most `limit` of them. */
  ascending(from: StreamIdParts, to: StreamIdParts | undefined, limit: number): T[] {
    const out: T[] = [];
    const items = this.items;
    for (let i = this.lowerBound(from); i < items.length && out.length < limit; i++) {
      const item = items[i]!;
      if (to && compareStreamIdParts(item, to) > 0) break;
      if (!item.dead) out.push(item);
    }
    return out;
  }

  /** Live items with id <= `from` (descending) and >= `to`, at most `limit` of them. */
  descending(from: StreamIdParts, to: StreamIdParts, limit: number): T[] {
    const out: T[] = [];
    const items = this.items;
    let i = this.lowerBound(from);
    if (i >= items.length || compareStreamIdParts(items[i]!, from) > 0) i--;
    for (; i >= this.head && out.length < limit; i--) {
      const item = items[i]!;
      if (compareStreamIdParts(item, to) < 0) break;
      if (!item.dead) out.push(item);
    }
    return out;
  }

  /**
   * Live items with id >= `start`, in order. Safe against removals while iterating (a
   * removed item is skipped); inserts during the iteration may or may not be seen.
   */
  *from(start: StreamIdParts): IterableIterator<T> {
    const items = this.items;
    for (let i = this.lowerBound(start); i < items.length; i++) if (!items[i]!.dead) yield items[i]!;
  }

  /** Every live item in ID order. */
  *[Symbol.iterator](): IterableIterator<T> {
    const items = this.items;
    for (let i = this.head; i < items.length; i++) if (!items[i]!.dead) yield items[i]!;
  }

  /** Compacts now if the dead slots are worth reclaiming. */
  tidy(): void {
    this.maybeCompact();
  }

  private maybeCompact(): void {
    const span = this.items.length - this.head;
    const dead = span - this.size;
    if (this.head > 1024 && this.head > this.items.length >>> 1) {
      this.items = this.items.slice(this.head).filter((x) => !x.dead);
      this.head = 0;
    } else if (dead > 32 && dead > this.size) {
      this.items = this.items.slice(this.head).filter((x) => !x.dead);
      this.head = 0;
    }
  }
}
