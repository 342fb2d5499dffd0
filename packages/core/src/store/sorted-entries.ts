/**
 * An array kept sorted by `compare`, with binary search: the memory store's indexes (by
 * channel and event ID, by sender, by custom field). `compare` must order every entry
 * of one list strictly (ties broken by message ID), so an entry is found by value.
 */
export class SortedEntries<T> {
  readonly items: T[] = [];
  readonly #compare: (a: T, b: T) => number;

  constructor(compare: (a: T, b: T) => number) {
    this.#compare = compare;
  }

  get length(): number {
    return this.items.length;
  }

  /** Index of the first entry for which `below(entry)` is false; `below` must be monotone. */
  partition(below: (entry: T) => boolean): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (below(this.items[mid]!)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(entry: T): void {
    this.items.splice(
      this.partition((e) => this.#compare(e, entry) <= 0),
      0,
      entry,
    );
  }

  /** Removes the entry equal to `entry` under `compare`; false when there is none. */
  remove(entry: T): boolean {
    const at = this.partition((e) => this.#compare(e, entry) < 0);
    if (at < this.items.length && this.#compare(this.items[at]!, entry) === 0) {
      this.items.splice(at, 1);
      return true;
    }
    return false;
  }
}

/** Orders canonical message IDs (decimal strings without leading zeros) as numbers. */
export function compareMessageIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
