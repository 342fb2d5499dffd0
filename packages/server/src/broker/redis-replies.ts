import type {
  PendingEntry,
  StreamEntry,
  StreamReadReply,
  XautoclaimReply,
  XinfoConsumer,
  XinfoGroup,
  XinfoStreamReply,
  XpendingSummary,
} from '@spool/core';
import { streamFieldsToRecord } from '@spool/core/internal';

/**
 * Parsers for Redis's RESP2 replies to the stream commands (the connection is opened with
 * `protocol: 2`, so replies have Redis's documented array shapes).
 */

type Raw = unknown;

export function parseEntry(raw: Raw): StreamEntry {
  const [id, fields] = raw as [string, string[] | null];
  // Frozen, as MemoryBroker's are: the contract says replies are immutable.
  return { id, fields: fields ? Object.freeze(streamFieldsToRecord(fields)) : null };
}

export function parseEntries(raw: Raw): StreamEntry[] {
  const list = raw as Raw[] | null;
  if (!list) return [];
  const out = new Array<StreamEntry>(list.length);
  for (let i = 0; i < list.length; i++) out[i] = parseEntry(list[i]);
  return out;
}

/** XREAD / XREADGROUP: `[[key, entries], ...]` or null. Keys lose the broker's prefix. */
export function parseRead(raw: Raw, prefixLength: number): StreamReadReply {
  if (!raw) return null;
  return (raw as Array<[string, Raw]>).map(([key, entries]) => ({
    key: key.slice(prefixLength),
    entries: parseEntries(entries),
  }));
}

export function parsePendingSummary(raw: Raw): XpendingSummary {
  const [count, smallest, largest, consumers] = raw as [
    number,
    string | null,
    string | null,
    [string, string][] | null,
  ];
  return {
    count,
    smallest,
    largest,
    consumers: (consumers ?? []).map(([name, pending]) => ({ name, pending: Number(pending) })),
  };
}

export function parsePendingRange(raw: Raw): PendingEntry[] {
  return (raw as [string, string, number, number][]).map(([id, consumer, idle, deliveries]) => ({
    id,
    consumer,
    idle,
    deliveries,
  }));
}

/** XCLAIM without JUSTID; Redis 7.0 never emits a null entry here, but older servers could. */
export function parseClaimed(raw: Raw): StreamEntry[] {
  return (raw as Raw[]).filter((e) => e !== null).map(parseEntry);
}

export function parseAutoclaim(raw: Raw, justId: boolean): XautoclaimReply<StreamEntry | string> {
  const [next, claimed, deleted] = raw as [string, Raw[], string[] | undefined];
  return {
    next,
    entries: justId ? (claimed as string[]) : claimed.filter((e) => e !== null).map(parseEntry),
    deleted: deleted ?? [],
  };
}

function toMap(raw: Raw): Map<string, Raw> {
  const flat = raw as Raw[];
  const map = new Map<string, Raw>();
  for (let i = 0; i + 1 < flat.length; i += 2) map.set(flat[i] as string, flat[i + 1]);
  return map;
}

export function parseInfoStream(raw: Raw): XinfoStreamReply {
  const m = toMap(raw);
  const first = m.get('first-entry');
  const last = m.get('last-entry');
  return {
    length: m.get('length') as number,
    lastGeneratedId: m.get('last-generated-id') as string,
    maxDeletedEntryId: m.get('max-deleted-entry-id') as string,
    entriesAdded: m.get('entries-added') as number,
    recordedFirstEntryId: m.get('recorded-first-entry-id') as string,
    groups: m.get('groups') as number,
    firstEntry: first ? parseEntry(first) : null,
    lastEntry: last ? parseEntry(last) : null,
  };
}

export function parseInfoGroups(raw: Raw): XinfoGroup[] {
  return (raw as Raw[]).map((g) => {
    const m = toMap(g);
    return {
      name: m.get('name') as string,
      consumers: m.get('consumers') as number,
      pending: m.get('pending') as number,
      lastDeliveredId: m.get('last-delivered-id') as string,
      entriesRead: (m.get('entries-read') as number | null) ?? null,
      lag: (m.get('lag') as number | null) ?? null,
    };
  });
}

export function parseInfoConsumers(raw: Raw): XinfoConsumer[] {
  return (raw as Raw[]).map((c) => {
    const m = toMap(c);
    return {
      name: m.get('name') as string,
      pending: m.get('pending') as number,
      idle: m.get('idle') as number,
    };
  });
}
