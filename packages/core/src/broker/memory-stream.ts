import { type IdSlot, type OwnedIdList, SortedIdList } from './sorted-id-list';
import type { TrimArgs } from './stream-args';
import type { StreamEntry, XinfoStreamReply } from './stream-broker';
import {
  compareStreamIdParts as cmp,
  formatStreamId,
  isZeroStreamId,
  MAX_STREAM_ID,
  MIN_STREAM_ID,
  nextStreamId,
  type StreamIdParts,
} from './stream-id';

/**
 * The in-memory model of one Redis stream, with the same bookkeeping Redis 7.0 keeps
 * (t_stream.c): `last_id`, `first_id`, `max_deleted_entry_id`, `entries_added`, and per
 * group `last_id` and `entries_read`, so that XINFO's `lag` and `entries-read` come out as
 * Redis computes them.
 */

/** Redis's `stream-node-max-entries`: approximate trimming removes whole nodes of this size. */
export const STREAM_NODE_ENTRIES = 100;

/** Redis's SCG_INVALID_ENTRIES_READ. */
export const UNKNOWN_ENTRIES_READ = -1;

export interface EntrySlot extends IdSlot {
  readonly idText: string;
  /** The fields as every reply shows them: built once, frozen, shared by all reads. */
  readonly fields: Readonly<Record<string, string>>;
  /** The radix-tree node this entry would sit in, for trimming by whole nodes. */
  readonly node: StreamNode;
}

/**
 * What Redis's trimming sees of a radix-tree node (a listpack of up to 100 entries): how
 * many live entries it holds, and its last entry's ID, deleted or not.
 */
export interface StreamNode {
  live: number;
  filled: number;
  lastId: StreamIdParts;
}

/**
 * A pending entry (Redis's NACK), owned by one consumer. The same object sits in the group's
 * PEL and in its owner's: one allocation per delivery.
 */
export interface Nack extends IdSlot {
  readonly idText: string;
  consumer: ConsumerState;
  deliveryTime: number;
  deliveryCount: number;
}

export interface ConsumerState {
  readonly name: string;
  seenTime: number;
  readonly pel: OwnedIdList<Nack>;
}

export interface GroupState {
  readonly name: string;
  lastId: StreamIdParts;
  entriesRead: number;
  /** The group's PEL, in ID order. */
  readonly pel: SortedIdList<Nack>;
  readonly consumers: Map<string, ConsumerState>;
}

export class MemoryStream {
  readonly entries = new SortedIdList<EntrySlot>();
  lastId: StreamIdParts = MIN_STREAM_ID;
  firstId: StreamIdParts = MIN_STREAM_ID;
  maxDeletedId: StreamIdParts = MIN_STREAM_ID;
  entriesAdded = 0;
  readonly groups = new Map<string, GroupState>();
  private tail: StreamNode | undefined;

  get length(): number {
    return this.entries.size;
  }

  /** Appends an entry whose ID is known to be greater than `lastId`. */
  append(id: StreamIdParts, idText: string, fields: Readonly<Record<string, string>>): void {
    // Redis starts a new node when the tail one is full, or gone (its entries all deleted).
    let node = this.tail;
    if (!node || node.live === 0 || node.filled >= STREAM_NODE_ENTRIES) {
      node = { live: 0, filled: 0, lastId: id };
      this.tail = node;
    }
    node.live++;
    node.filled++;
    node.lastId = id;
    const slot: EntrySlot = { ms: id.ms, seq: id.seq, idText, fields, node, dead: false };
    this.entries.insert(slot);
    this.entriesAdded++;
    this.lastId = slot;
    if (this.entries.size === 1) this.firstId = slot;
  }

  /** The last entry that is not deleted (Redis's `streamLastValidID`). */
  lastValidId(): StreamIdParts | undefined {
    return this.entries.last();
  }

  /** XDEL of one ID: true if it existed. Keeps `max_deleted_entry_id` as Redis does. */
  deleteEntry(id: StreamIdParts): boolean {
    const slot = this.entries.delete(id);
    if (!slot) return false;
    slot.node.live--;
    if (cmp(id, this.maxDeletedId) > 0) this.maxDeletedId = id;
    return true;
  }

  /** After deletions: Redis sets first_id to 0-0 on an empty stream, else to the first live entry. */
  refreshFirstId(): void {
    this.firstId = this.entries.first() ?? MIN_STREAM_ID;
  }

  /**
   * Trims from the head like Redis's `streamTrim`: whole nodes while the result stays
   * within the threshold; then, unless approximate, single entries. Returns how many were
   * removed.
   */
  trim(args: TrimArgs): number {
    let deleted = 0;
    while (this.entries.size > 0) {
      if (args.kind === 'maxlen' && this.entries.size <= args.maxLen) break;
      const head = this.entries.first()!;
      const nodeEntries = this.liveInNode(head.node);
      if (args.limit && deleted + nodeEntries.length > args.limit) break;
      const removeNode =
        args.kind === 'maxlen'
          ? this.entries.size - nodeEntries.length >= args.maxLen
          : cmp(head.node.lastId, args.minId) < 0;
      if (removeNode) {
        for (const e of nodeEntries) this.remove(e);
        deleted += nodeEntries.length;
        continue;
      }
      if (args.approx) break;
      for (const e of nodeEntries) {
        const stop = args.kind === 'maxlen' ? this.entries.size <= args.maxLen : cmp(e, args.minId) >= 0;
        if (stop) break;
        this.remove(e);
        deleted++;
      }
      break;
    }
    if (deleted) {
      this.entries.tidy();
      this.refreshFirstId();
    }
    return deleted;
  }

  private remove(e: EntrySlot): void {
    this.entries.remove(e);
    e.node.live--;
  }

  private liveInNode(node: StreamNode): EntrySlot[] {
    const out: EntrySlot[] = [];
    for (const e of this.entries) {
      if (e.node !== node) break;
      out.push(e);
    }
    return out;
  }

  /** Redis's `streamRangeHasTombstones(s, start, NULL)`. */
  rangeHasTombstones(start: StreamIdParts): boolean {
    if (this.entries.size === 0 || isZeroStreamId(this.maxDeletedId)) return false;
    if (cmp(this.firstId, this.maxDeletedId) > 0) return false;
    return cmp(start, this.maxDeletedId) <= 0;
  }

  /** Redis's `streamEstimateDistanceFromFirstEverEntry`: an ID's logical read counter, or -1. */
  estimateDistance(id: StreamIdParts): number {
    if (!this.entriesAdded) return 0;
    if (this.entries.size === 0 && cmp(id, this.lastId) < 1) return this.entriesAdded;
    const cmpLast = cmp(id, this.lastId);
    if (cmpLast === 0) return this.entriesAdded;
    if (cmpLast > 0) return UNKNOWN_ENTRIES_READ;
    const cmpIdFirst = cmp(id, this.firstId);
    if (isZeroStreamId(this.maxDeletedId) || cmp(this.maxDeletedId, this.firstId) < 0) {
      if (cmpIdFirst < 0) return this.entriesAdded - this.length;
      if (cmpIdFirst === 0) return this.entriesAdded - this.length + 1;
    }
    return UNKNOWN_ENTRIES_READ;
  }

  /** XINFO GROUPS `lag` (Redis 7.0's `streamReplyWithCGLag`), or null when unknowable. */
  lag(group: GroupState): number | null {
    if (!this.entriesAdded) return 0;
    if (group.entriesRead !== UNKNOWN_ENTRIES_READ && !this.rangeHasTombstones(group.lastId)) {
      return this.entriesAdded - group.entriesRead;
    }
    const read = this.estimateDistance(group.lastId);
    return read === UNKNOWN_ENTRIES_READ ? null : this.entriesAdded - read;
  }

  /** Moves a group's last-delivered ID forward over `id`, counting reads as Redis does. */
  advanceGroup(group: GroupState, id: StreamIdParts): void {
    if (cmp(id, group.lastId) <= 0) return;
    if (group.entriesRead !== UNKNOWN_ENTRIES_READ && !this.rangeHasTombstones(id)) {
      group.entriesRead++;
    } else if (this.entriesAdded) {
      group.entriesRead = this.estimateDistance(id);
    }
    group.lastId = id;
  }

  /** XINFO STREAM. */
  info(): XinfoStreamReply {
    const first = this.entries.first();
    const last = this.entries.last();
    return {
      length: this.length,
      lastGeneratedId: formatStreamId(this.lastId),
      maxDeletedEntryId: formatStreamId(this.maxDeletedId),
      entriesAdded: this.entriesAdded,
      recordedFirstEntryId: formatStreamId(this.firstId),
      groups: this.groups.size,
      firstEntry: first ? entryReply(first) : null,
      lastEntry: last ? entryReply(last) : null,
    };
  }

  /** Entries with start <= id <= end, ascending, at most `limit`. */
  range(start: StreamIdParts, end: StreamIdParts, limit: number): EntrySlot[] {
    if (cmp(start, end) > 0) return [];
    return this.entries.ascending(start, end, limit);
  }

  /** Entries with end >= id >= start, descending, at most `limit`. */
  revRange(end: StreamIdParts, start: StreamIdParts, limit: number): EntrySlot[] {
    if (cmp(start, end) > 0) return [];
    return this.entries.descending(end, start, limit);
  }

  /** Entries after `after` (exclusive), ascending, at most `limit`. */
  after(after: StreamIdParts, limit: number): EntrySlot[] {
    const start = nextOrWrap(after);
    return this.entries.ascending(start, MAX_STREAM_ID, limit);
  }
}

/** Redis's `streamIncrID` whose failure is ignored by the caller: the largest ID wraps to 0-0. */
export function nextOrWrap(id: StreamIdParts): StreamIdParts {
  return nextStreamId(id) ?? MIN_STREAM_ID;
}

/**
 * A stream entry as a reply. Its `fields` record is the entry's own, frozen when it was
 * added: every read shares it, and no caller can change what the broker holds.
 */
export function entryReply(slot: EntrySlot): StreamEntry {
  return { id: slot.idText, fields: slot.fields };
}
