import { SpoolError } from '../errors';
import {
  type ConsumerState,
  type EntrySlot,
  entryReply,
  type GroupState,
  type MemoryStream,
  type Nack,
  nextOrWrap,
  UNKNOWN_ENTRIES_READ,
} from './memory-stream';
import { OwnedIdList, SortedIdList } from './sorted-id-list';
import type {
  PendingEntry,
  StreamEntry,
  XautoclaimReply,
  XinfoConsumer,
  XinfoGroup,
  XpendingSummary,
} from './stream-broker';
import { compareStreamIdParts as cmp, formatStreamId, parseStreamId, type StreamIdParts } from './stream-id';

/**
 * Consumer-group operations on a {@link MemoryStream}, one function per Redis code path
 * (t_stream.c in Redis 7.0): delivery with PEL bookkeeping, history reads, XACK,
 * XPENDING, XCLAIM and XAUTOCLAIM. `now` is the command's time snapshot.
 */

export function noGroupError(key: string, group: string, suffix = ''): SpoolError {
  return new SpoolError('NOGROUP', `NOGROUP No such key '${key}' or consumer group '${group}'${suffix}`);
}

export function newGroup(name: string, lastId: StreamIdParts, entriesRead: number): GroupState {
  return {
    name,
    lastId,
    entriesRead,
    pel: new SortedIdList<Nack>(),
    consumers: new Map(),
  };
}

/** Looks a consumer up, creating it (seen now) when missing. */
export function consumerFor(group: GroupState, name: string, now: number): ConsumerState {
  let consumer = group.consumers.get(name);
  if (!consumer) {
    consumer = { name, seenTime: now, pel: new OwnedIdList<Nack>() };
    group.consumers.set(name, consumer);
  }
  return consumer;
}

/** Gives `nack` to `consumer`, moving it out of its previous owner's PEL. */
function assign(nack: Nack, consumer: ConsumerState): void {
  const previous = nack.consumer;
  if (previous === consumer) return;
  // Order matters: the previous list must already see the NACK as gone when it settles.
  nack.consumer = consumer;
  previous.pel.forget();
  consumer.pel.insert(nack);
}

/**
 * Adds a new NACK owned by `consumer` and returns it; or returns undefined, adding nothing,
 * when a live NACK already holds that ID.
 */
function addToPel(
  group: GroupState,
  consumer: ConsumerState,
  entry: EntrySlot,
  now: number,
): Nack | undefined {
  const nack: Nack = {
    ms: entry.ms,
    seq: entry.seq,
    dead: false,
    idText: entry.idText,
    consumer,
    deliveryTime: now,
    deliveryCount: 1,
  };
  if (group.pel.insert(nack) !== nack) return undefined;
  consumer.pel.insert(nack);
  return nack;
}

function dropNack(group: GroupState, nack: Nack): void {
  group.pel.remove(nack);
  nack.consumer.pel.forget();
}

/**
 * Delivers entries after the group's last-delivered ID to `consumerName` (XREADGROUP `>`),
 * creating or reassigning pending entries. Returns undefined when nothing is served, so the
 * consumer is not created (Redis creates it only when it serves).
 *
 * `wake` selects the condition Redis uses when serving a blocked reader (any ID above the
 * group's, even a deleted one) instead of the synchronous one (a live entry above it).
 */
export function deliverNew(
  stream: MemoryStream,
  group: GroupState,
  consumerName: string,
  count: number,
  noAck: boolean,
  now: number,
  maxPending: number,
  wake: boolean,
): StreamEntry[] | undefined {
  const top = wake ? stream.lastId : stream.lastValidId();
  if (!top || cmp(top, group.lastId) <= 0) return undefined;
  let limit = count > 0 ? count : Number.POSITIVE_INFINITY;
  if (!noAck && maxPending !== Number.POSITIVE_INFINITY) {
    const room = maxPending - (group.consumers.get(consumerName)?.pel.size ?? 0);
    if (room <= 0) return undefined;
    limit = Math.min(limit, room);
  }
  const consumer = consumerFor(group, consumerName, now);
  consumer.seenTime = now;
  const slots = stream.after(group.lastId, limit);
  const reply: StreamEntry[] = new Array(slots.length);
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[i]!;
    stream.advanceGroup(group, slot);
    if (!noAck && !addToPel(group, consumer, slot, now)) {
      // XGROUP SETID moved the group back over an entry someone still holds: Redis hands
      // it to this consumer and restarts its delivery count.
      const nack = group.pel.get(slot)!;
      assign(nack, consumer);
      nack.deliveryTime = now;
      nack.deliveryCount = 1;
    }
    reply[i] = entryReply(slot);
  }
  return reply;
}

/**
 * XREADGROUP with an explicit ID: this consumer's pending entries after `after`, with null
 * fields for entries deleted since. Entries still present count as delivered again.
 */
export function readHistory(
  stream: MemoryStream,
  group: GroupState,
  consumerName: string,
  after: StreamIdParts,
  count: number,
  now: number,
): StreamEntry[] {
  const consumer = consumerFor(group, consumerName, now);
  consumer.seenTime = now;
  const limit = count > 0 ? count : Number.POSITIVE_INFINITY;
  const nacks = consumer.pel.ascending(nextOrWrap(after), undefined, limit);
  return nacks.map((nack) => {
    const entry = stream.entries.get(nack);
    if (!entry) return { id: nack.idText, fields: null };
    nack.deliveryTime = now;
    nack.deliveryCount++;
    return entryReply(entry);
  });
}

/**
 * XACK: every ID is checked before any is acknowledged, as in Redis.
 *
 * Workers acknowledge what one read gave them, in the order it came, and one read's NACKs
 * sit side by side in the group's PEL. So each ID is first compared with the NACK after the
 * previous one found (the same string object, usually: a pointer comparison); only a miss
 * parses the ID and searches the PEL. No index by ID text is kept, which would cost a hash
 * insert and delete per delivery.
 */
export function ack(group: GroupState, ids: readonly string[]): number {
  const pel = group.pel;
  const found: Nack[] = [];
  let next = -1;
  for (const text of ids) {
    let nack = next === -1 ? undefined : pel.at(next);
    if (nack !== undefined && nack.idText === text) {
      next++;
    } else {
      // Parsing also validates: an invalid ID fails the whole call before anything is acked.
      next = pel.indexOf(parseStreamId(text));
      if (next === -1) continue;
      nack = pel.at(next++)!;
    }
    if (!nack.dead) found.push(nack);
  }
  let acked = 0;
  for (const nack of found) {
    if (nack.dead) continue;
    dropNack(group, nack);
    acked++;
  }
  return acked;
}

const byCodePoint = (a: string, b: string): number => {
  // Redis orders names by their bytes; UTF-8 byte order is code point order.
  const ai = a[Symbol.iterator]();
  const bi = b[Symbol.iterator]();
  for (;;) {
    const x = ai.next();
    const y = bi.next();
    if (x.done || y.done) return x.done ? (y.done ? 0 : -1) : 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
};

/** Names in Redis's order (a radix tree of bytes). */
export function sortedNames<T extends { name: string }>(items: Iterable<T>): T[] {
  return [...items].sort((a, b) => byCodePoint(a.name, b.name));
}

/** XINFO GROUPS. */
export function groupsInfo(stream: MemoryStream): XinfoGroup[] {
  return sortedNames(stream.groups.values()).map((g) => ({
    name: g.name,
    consumers: g.consumers.size,
    pending: g.pel.size,
    lastDeliveredId: formatStreamId(g.lastId),
    entriesRead: g.entriesRead === UNKNOWN_ENTRIES_READ ? null : g.entriesRead,
    lag: stream.lag(g),
  }));
}

/** XINFO CONSUMERS: idle is the time since the consumer last read or claimed. */
export function consumersInfo(group: GroupState, now: number): XinfoConsumer[] {
  return sortedNames(group.consumers.values()).map((c) => ({
    name: c.name,
    pending: c.pel.size,
    idle: Math.max(0, now - c.seenTime),
  }));
}

export function pendingSummary(group: GroupState): XpendingSummary {
  if (group.pel.size === 0) return { count: 0, smallest: null, largest: null, consumers: [] };
  return {
    count: group.pel.size,
    smallest: group.pel.first()!.idText,
    largest: group.pel.last()!.idText,
    consumers: sortedNames(group.consumers.values())
      .filter((c) => c.pel.size > 0)
      .map((c) => ({ name: c.name, pending: c.pel.size })),
  };
}

export function pendingRange(
  group: GroupState,
  start: StreamIdParts,
  end: StreamIdParts,
  count: number,
  consumerName: string | undefined,
  minIdle: number,
  now: number,
): PendingEntry[] {
  const out: PendingEntry[] = [];
  let left = Math.max(0, count);
  if (left === 0) return out;
  let nacks: Iterable<Nack>;
  if (consumerName !== undefined) {
    const consumer = group.consumers.get(consumerName);
    if (!consumer) return out;
    nacks = consumer.pel.from(start);
  } else {
    nacks = group.pel.from(start);
  }
  for (const nack of nacks) {
    if (cmp(nack, end) > 0) break;
    if (minIdle && now - nack.deliveryTime < minIdle) continue;
    out.push({
      id: nack.idText,
      consumer: nack.consumer.name,
      idle: Math.max(0, now - nack.deliveryTime),
      deliveries: nack.deliveryCount,
    });
    if (--left === 0) break;
  }
  return out;
}

export interface ClaimArgs {
  ids: readonly StreamIdParts[];
  minIdle: number;
  deliveryTime: number;
  retryCount: number;
  force: boolean;
  justId: boolean;
}

/** XCLAIM. Deleted entries are dropped from the PEL; the consumer is created on the first claim. */
export function claim(
  stream: MemoryStream,
  group: GroupState,
  consumerName: string,
  args: ClaimArgs,
  now: number,
): Array<StreamEntry | string> {
  const out: Array<StreamEntry | string> = [];
  let consumer: ConsumerState | undefined;
  for (const id of args.ids) {
    let nack = group.pel.get(id);
    const entry = stream.entries.get(id);
    if (!entry) {
      if (nack) dropNack(group, nack);
      continue;
    }
    let fresh = false;
    if (args.force && !nack) {
      // FORCE makes a PEL entry no consumer held yet (delivery count starts at 1).
      consumer ??= consumerFor(group, consumerName, now);
      nack = addToPel(group, consumer, entry, now);
      fresh = true;
    }
    if (!nack) continue;
    if (!fresh && args.minIdle && now - nack.deliveryTime < args.minIdle) continue;
    consumer ??= consumerFor(group, consumerName, now);
    consumer.seenTime = now;
    assign(nack, consumer);
    nack.deliveryTime = args.deliveryTime;
    if (args.retryCount >= 0) nack.deliveryCount = args.retryCount;
    else if (!args.justId) nack.deliveryCount++;
    out.push(args.justId ? entry.idText : entryReply(entry));
  }
  return out;
}

/** XAUTOCLAIM, with Redis's cursor and its budget of 10 PEL visits per requested entry. */
export function autoclaim(
  stream: MemoryStream,
  group: GroupState,
  consumerName: string,
  minIdle: number,
  start: StreamIdParts,
  count: number,
  justId: boolean,
  now: number,
): XautoclaimReply<StreamEntry | string> {
  const entries: Array<StreamEntry | string> = [];
  const deleted: string[] = [];
  let consumer: ConsumerState | undefined;
  let attempts = count * 10;
  let left = count;
  const it = group.pel.from(start);
  let eof = false;
  while (attempts-- > 0 && left > 0) {
    const step = it.next();
    if (step.done) {
      eof = true;
      break;
    }
    const nack = step.value;
    const entry = stream.entries.get(nack);
    if (!entry) {
      dropNack(group, nack);
      deleted.push(nack.idText);
      left--;
      continue;
    }
    if (minIdle && now - nack.deliveryTime < minIdle) continue;
    consumer ??= consumerFor(group, consumerName, now);
    consumer.seenTime = now;
    assign(nack, consumer);
    nack.deliveryTime = now;
    if (!justId) nack.deliveryCount++;
    entries.push(justId ? entry.idText : entryReply(entry));
    left--;
  }
  let next = '0-0';
  if (!eof) {
    const step = it.next();
    if (!step.done) next = step.value.idText;
  }
  return { next, entries, deleted };
}

/** XGROUP DELCONSUMER: drops the consumer and its pending entries; returns how many it had. */
export function deleteConsumer(group: GroupState, consumer: ConsumerState): number {
  const pending = consumer.pel.size;
  for (const nack of consumer.pel) {
    group.pel.remove(nack);
  }
  group.consumers.delete(consumer.name);
  return pending;
}
