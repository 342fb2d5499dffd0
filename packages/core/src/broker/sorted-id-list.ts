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
  protected items: T[] = [];
  protected head = 0;
  /** Number of live items. */
  size = 0;

  /** Whether `item` counts as present in this list. A subclass may narrow it. */
  protected live(item: T): boolean {
    return !item.dead;
  }

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

  /**
   * Position of the slot holding this ID (live or not), or -1: for a caller that walks on
   * from there with {@link at}. Positions hold until the list changes (an insert, `tidy`, or
   * the removal that empties it), so look up first and remove afterwards.
   */
  indexOf(id: StreamIdParts): number {
    const i = this.lowerBound(id);
    const item = this.items[i];
    return item && compareStreamIdParts(item, id) === 0 ? i : -1;
  }

  /** The slot at a position from {@link indexOf}, live or not; undefined past either end. */
  at(i: number): T | undefined {
    return i >= this.head ? this.items[i] : undefined;
  }

  /** The live item with this ID. */
  get(id: StreamIdParts): T | undefined {
    const i = this.indexOf(id);
    const item = i === -1 ? undefined : this.items[i]!;
    return item && this.live(item) ? item : undefined;
  }

  /**
   * Inserts `item` in ID order. Returns the live item already holding that ID instead, if
   * there is one (nothing is inserted then). A stale slot holding the same ID (dead, or this
   * very item from an earlier stay) is reused.
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
      if (at !== item && this.live(at)) return at;
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
    this.release();
  }

  /** Accounts for one item that stopped being live (it stays in the array until compaction). */
  protected release(): void {
    this.size--;
    const items = this.items;
    while (this.head < items.length && !this.live(items[this.head]!)) this.head++;
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
    for (let i = items.length - 1; i >= this.head; i--) if (this.live(items[i]!)) return items[i];
    return undefined;
  }

  /** Live items with id >= `from` (ascending), at most `limit` of them. */
  ascending(from: StreamIdParts, to: StreamIdParts | undefined, limit: number): T[] {
    const out: T[] = [];
    const items = this.items;
    for (let i = this.lowerBound(from); i < items.length && out.length < limit; i++) {
      const item = items[i]!;
      if (to && compareStreamIdParts(item, to) > 0) break;
      if (this.live(item)) out.push(item);
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
      if (this.live(item)) out.push(item);
    }
    return out;
  }

  /**
   * Live items with id >= `start`, in order. Safe against removals while iterating (a
   * removed item is skipped); inserts during the iteration may or may not be seen.
   */
  *from(start: StreamIdParts): IterableIterator<T> {
    const items = this.items;
    for (let i = this.lowerBound(start); i < items.length; i++) if (this.live(items[i]!)) yield items[i]!;
  }

  /** Every live item in ID order. */
  *[Symbol.iterator](): IterableIterator<T> {
    const items = this.items;
    for (let i = this.head; i < items.length; i++) if (this.live(items[i]!)) yield items[i]!;
  }

  /** Compacts now if the dead slots are worth reclaiming. */
  tidy(): void {
    this.maybeCompact();
  }

  private maybeCompact(): void {
    const span = this.items.length - this.head;
    const dead = span - this.size;
    if (this.head > 1024 && this.head > this.items.length >>> 1) {
      this.compact();
    } else if (dead > 32 && dead > this.size) {
      this.compact();
    }
  }

  private compact(): void {
    this.items = this.items.slice(this.head).filter((x) => this.live(x));
    this.head = 0;
  }
}

/**
 * The PEL of one consumer: the group's NACK objects themselves, with no second object per
 * delivery. A NACK counts as present while it is live and its owner's list is this one, so
 * one that moves to another consumer (XCLAIM) just stops counting here; its stale reference
 * goes at the next compaction, or is reused if it comes back.
 */
export class OwnedIdList<T extends IdSlot & { consumer: { pel: unknown } }> extends SortedIdList<T> {
  protected override live(item: T): boolean {
    return !item.dead && item.consumer.pel === this;
  }

  /**
   * Accounts for one item having left this list: call it right after the item was
   * acknowledged (marked dead) or given to another owner.
   */
  forget(): void {
    this.release();
  }
}
