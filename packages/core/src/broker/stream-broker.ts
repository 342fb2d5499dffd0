/**
 * The `StreamBroker` contract: Redis Streams and consumer groups, command for command.
 * Method names are Redis's command names in camelCase, and replies follow Redis's reply
 * semantics (https://redis.io/docs/latest/develop/data-types/streams/), so anyone who
 * knows Redis Streams knows this interface. The target is Redis 7.0.
 *
 * Two deliberate, documented differences from raw Redis:
 * - arguments are validated before anything else, so a malformed ID or count fails with
 *   `INVALID_STREAM_ID` / `SYNTAX_ERROR` even where Redis would first report a missing
 *   group; IDs are `<ms>-<seq>` in plain decimal digits (Redis's `strtoull` also lets
 *   `" 5"` and `"+5"` through; Spool rejects them);
 * - an entry's fields come back as a `Record`, so duplicate field names collapse (the
 *   last wins) and integer-like names are iterated first, as for any JS object.
 *
 * Replies are immutable: an entry's `fields` record is frozen (MemoryBroker shares one
 * record between every read of an entry, so that a read allocates no copy of it).
 */

/**
 * One stream entry. `fields` is null only for a deleted entry seen in a pending-history read;
 * otherwise it is frozen: copy it (`{ ...entry.fields }`) to change it.
 */
export interface StreamEntry {
  /** The entry's ID `<ms>-<seq>`. */
  id: string;
  /** The entry's fields (frozen); null for a deleted entry seen in a pending-history read. */
  fields: Readonly<Record<string, string>> | null;
}

/** Fields of a new entry: a record, or `[field, value]` pairs when the order matters. */
export type StreamFieldsInput = Readonly<Record<string, string>> | ReadonlyArray<readonly [string, string]>;

/** `[key, id]` pairs, as after `STREAMS` in XREAD / XREADGROUP. */
export type StreamKeyIds = ReadonlyArray<readonly [key: string, id: string]>;

/** Reply of XREAD / XREADGROUP: null on timeout or when nothing is there. */
export type StreamReadReply = Array<{
  /** The stream read. */
  key: string;
  /** Its entries, oldest first. */
  entries: StreamEntry[];
}> | null;

/** XADD options. Trimming is `maxLen` or `minId` (not both), as in `XADD key MAXLEN|MINID`. */
export interface XaddOptions {
  /** `*` (auto), `<ms>-*` (auto sequence) or an explicit `<ms>-<seq>`. @default '*' */
  id?: string;
  /** `MAXLEN`: trim the stream to at most this many entries (with `approx`, about this many). */
  maxLen?: number;
  /** `MINID`: trim the entries whose IDs are below this one. */
  minId?: string;
  /** `~`: trim whole nodes only, so the stream may keep a few more entries. @default false */
  approx?: boolean;
  /** `LIMIT`: at most this many entries trimmed; only with `approx`. @default 100 nodes' worth (10,000) */
  limit?: number;
  /** `NOMKSTREAM`: reply null instead of creating a missing stream. @default false */
  noMkStream?: boolean;
}

/**
 * Reply of {@link StreamBroker.xaddOnce}: the entry's ID, and whether this call added it
 * (false on a repeat: `id` is then the first call's entry).
 */
export interface XaddOnceReply {
  /** The entry's ID: this call's new entry, or the first call's on a repeat. */
  id: string;
  /** True when this call added the entry; false on a repeat. */
  added: boolean;
}

/** XTRIM strategy. */
export type XtrimStrategy =
  | {
      /** Keep at most this many entries (`MAXLEN`). */
      maxLen: number;
      /** Not with `maxLen`. */
      minId?: undefined;
    }
  | {
      /** Remove the entries below this ID (`MINID`). */
      minId: string;
      /** Not with `minId`. */
      maxLen?: undefined;
    };

/** XTRIM modifiers. */
export interface XtrimOptions {
  /** @default false */
  approx?: boolean;
  /** @default 10,000 with `approx` */
  limit?: number;
}

/** XREAD options. */
export interface XreadOptions {
  /** At most this many entries per stream; 0 or negative means no limit. @default no limit */
  count?: number;
  /** Block up to this many ms when nothing is there; 0 blocks forever. @default no blocking */
  block?: number;
  /** Cancels a blocked read: it rejects with `ABORTED`. */
  signal?: AbortSignal;
}

/** XREADGROUP options. */
export interface XreadgroupOptions extends XreadOptions {
  /** `NOACK`: deliver without adding to the pending entries list. @default false */
  noAck?: boolean;
}

/** XGROUP CREATE options. */
export interface XgroupCreateOptions {
  /** `MKSTREAM`: create the stream when it is missing. @default false */
  mkStream?: boolean;
  /** `ENTRIESREAD`: the group's logical read counter (for lag). @default unknown (-1) */
  entriesRead?: number;
}

/** XGROUP SETID options. */
export interface XgroupSetIdOptions {
  /** @default unknown (-1) */
  entriesRead?: number;
}

/** Summary form of XPENDING. */
export interface XpendingSummary {
  /** Entries pending in the group (delivered, not acknowledged). */
  count: number;
  /** The smallest pending ID; null when nothing is pending. */
  smallest: string | null;
  /** The largest pending ID; null when nothing is pending. */
  largest: string | null;
  /** Consumers with at least one pending entry, in name order. */
  consumers: Array<{
    /** The consumer's name. */
    name: string;
    /** Its pending entries. */
    pending: number;
  }>;
}

/** Extended form of XPENDING: `XPENDING key group [IDLE ms] start end count [consumer]`. */
export interface XpendingRangeOptions {
  /** @default '-' */
  start?: string;
  /** @default '+' */
  end?: string;
  /** At most this many rows. */
  count: number;
  /** Only the entries pending for this consumer. */
  consumer?: string;
  /** Only entries idle at least this many ms. */
  idle?: number;
}

/** One row of the extended XPENDING reply. */
export interface PendingEntry {
  /** The pending entry's ID. */
  id: string;
  /** The consumer that holds it. */
  consumer: string;
  /** ms since the last delivery */
  idle: number;
  /** How many times it has been delivered (claims included). */
  deliveries: number;
}

/** XCLAIM options. */
export interface XclaimOptions {
  /** Set the idle time (ms) instead of resetting it to 0. */
  idle?: number;
  /** Set the last delivery time (unix ms) instead of now. */
  time?: number;
  /** Set the delivery counter instead of incrementing it. */
  retryCount?: number;
  /** Create the pending entry even if no consumer had it (the entry must exist). */
  force?: boolean;
  /** Reply with IDs only, and leave the delivery counter alone. */
  justId?: boolean;
}

/** XAUTOCLAIM options. */
export interface XautoclaimOptions {
  /** @default 100 */
  count?: number;
  /** `JUSTID`: reply with IDs only, and leave the delivery counters alone. @default false */
  justId?: boolean;
}

/** Reply of XAUTOCLAIM: the cursor for the next call (`0-0` at the end), claimed entries, and IDs dropped from the PEL because their entries are gone. */
export interface XautoclaimReply<T = StreamEntry> {
  /** The cursor to pass as `start` to the next call; `0-0` once the whole PEL was scanned. */
  next: string;
  /** The entries claimed by this call (IDs only with `justId`). */
  entries: T[];
  /** IDs found in the PEL whose entries were deleted; they were removed from the PEL. */
  deleted: string[];
}

/** XINFO STREAM (Redis 7.0, without the radix-tree internals). */
export interface XinfoStreamReply {
  /** Entries in the stream. */
  length: number;
  /** The ID of the newest entry ever added (also when it was deleted since). */
  lastGeneratedId: string;
  /** The greatest ID ever deleted or trimmed; `0-0` when none. */
  maxDeletedEntryId: string;
  /** Entries ever added to the stream, deleted ones included. */
  entriesAdded: number;
  /** The ID of the first entry still in the stream; `0-0` when empty. */
  recordedFirstEntryId: string;
  /** Consumer groups of the stream. */
  groups: number;
  /** The first entry; null when the stream is empty. */
  firstEntry: StreamEntry | null;
  /** The last entry; null when the stream is empty. */
  lastEntry: StreamEntry | null;
}

/** One row of XINFO GROUPS. `entriesRead` and `lag` are null when Redis cannot know them. */
export interface XinfoGroup {
  /** The group's name. */
  name: string;
  /** Consumers in the group. */
  consumers: number;
  /** Entries delivered to the group and not yet acknowledged (its PEL's size). */
  pending: number;
  /** The ID of the last entry delivered to the group. */
  lastDeliveredId: string;
  /** The group's logical read counter: entries delivered to it so far; null when unknown. */
  entriesRead: number | null;
  /** Entries not yet delivered to the group; null when Redis cannot know it. */
  lag: number | null;
}

/** One row of XINFO CONSUMERS (Redis 7.0: no `inactive`). */
export interface XinfoConsumer {
  /** The consumer's name. */
  name: string;
  /** Entries pending for this consumer. */
  pending: number;
  /** ms since the consumer last read or claimed */
  idle: number;
}

/**
 * Redis Streams with consumer groups. Implemented by `MemoryBroker` (@spool/core) and
 * `RedisBroker` (@spool/server); both pass the same `brokerContract` suite.
 *
 * Errors are `SpoolError`s with Redis's error as the code: `NOGROUP`, `BUSYGROUP`,
 * `ID_TOO_SMALL`, `INVALID_STREAM_ID`, `NO_SUCH_KEY`, `SYNTAX_ERROR`; plus `ABORTED`,
 * `BROKER_CLOSED` and `BROKER_UNAVAILABLE`.
 *
 * @example
 * await broker.xgroupCreate('jobs', 'workers', '$', { mkStream: true });
 * await broker.xadd('jobs', { kind: 'email', to: 'a@example.com' });
 * const reply = await broker.xreadgroup('workers', 'w1', [['jobs', '>']], { count: 10, block: 5000 });
 * for (const { key, entries } of reply ?? []) {
 *   await broker.xack(key, 'workers', entries.map((e) => e.id));
 * }
 */
export interface StreamBroker {
  /** XADD: the new entry's ID, or null with `noMkStream` on a missing key. */
  xadd(key: string, fields: StreamFieldsInput, options?: XaddOptions): Promise<string | null>;
  /**
   * Spool extension: XADD (auto ID) at most once per `onceKey`. The first call adds the
   * entry and remembers its ID under `onceKey`; every later call with the same `onceKey`
   * adds nothing and returns that first ID with `added: false`. So a caller may retry an
   * XADD whose reply was lost without adding a second entry (exactly one `spool:completed`
   * record per message). `onceKey` is one namespace for the whole broker, not per stream.
   * How long a key is remembered is the broker's: RedisBroker 24 hours, MemoryBroker its
   * `maxOnceKeys` most recent keys, within one process.
   *
   * @example
   * const { id, added } = await broker.xaddOnce('spool:completed', `spool:completed:${messageId}`, fields);
   */
  xaddOnce(key: string, onceKey: string, fields: StreamFieldsInput): Promise<XaddOnceReply>;
  /** XLEN: 0 for a missing key. */
  xlen(key: string): Promise<number>;
  /** XRANGE: `-`, `+`, incomplete IDs and `(` exclusive bounds; count ≤ 0 gives []. */
  xrange(key: string, start: string, end: string, count?: number): Promise<StreamEntry[]>;
  /** XREVRANGE: like XRANGE, from `end` down to `start`. */
  xrevrange(key: string, end: string, start: string, count?: number): Promise<StreamEntry[]>;
  /** XDEL: how many of the IDs were deleted. */
  xdel(key: string, ids: readonly string[]): Promise<number>;
  /** XTRIM: how many entries were removed. */
  xtrim(key: string, strategy: XtrimStrategy, options?: XtrimOptions): Promise<number>;
  /** XREAD over several keys; `$` means "only entries added from now on". */
  xread(streams: StreamKeyIds, options?: XreadOptions): Promise<StreamReadReply>;

  /** XGROUP CREATE with an ID or `$`. */
  xgroupCreate(key: string, group: string, id: string, options?: XgroupCreateOptions): Promise<void>;
  /** XGROUP SETID (also accepts `$`, `-` and `+`). */
  xgroupSetId(key: string, group: string, id: string, options?: XgroupSetIdOptions): Promise<void>;
  /** XGROUP DESTROY: 1 if the group existed. Readers blocked on it fail with NOGROUP. */
  xgroupDestroy(key: string, group: string): Promise<number>;
  /** XGROUP CREATECONSUMER: 1 if created, 0 if it existed. */
  xgroupCreateConsumer(key: string, group: string, consumer: string): Promise<number>;
  /** XGROUP DELCONSUMER: the number of pending entries the consumer had (they are dropped). */
  xgroupDelConsumer(key: string, group: string, consumer: string): Promise<number>;

  /** XREADGROUP: `>` delivers new entries; an explicit ID returns this consumer's pending history and never blocks. */
  xreadgroup(
    group: string,
    consumer: string,
    streams: StreamKeyIds,
    options?: XreadgroupOptions,
  ): Promise<StreamReadReply>;
  /** XACK: how many were acknowledged (0 for a missing key or group). */
  xack(key: string, group: string, ids: readonly string[]): Promise<number>;
  /** XPENDING, summary form. */
  xpending(key: string, group: string): Promise<XpendingSummary>;
  /** XPENDING, extended form. */
  xpendingRange(key: string, group: string, options: XpendingRangeOptions): Promise<PendingEntry[]>;
  /**
   * XCLAIM. Entries that were deleted are dropped from the PEL and left out of the reply.
   * The reply is IDs with `justId: true`, entries without it, either for a `boolean` `justId`.
   */
  xclaim(
    key: string,
    group: string,
    consumer: string,
    minIdleMs: number,
    ids: readonly string[],
    options: XclaimOptions & {
      /** Return the claimed IDs only (`JUSTID`), not the entries. */
      justId: true;
    },
  ): Promise<string[]>;
  xclaim(
    key: string,
    group: string,
    consumer: string,
    minIdleMs: number,
    ids: readonly string[],
    options?: XclaimOptions & {
      /** Return the claimed entries (the default), not their IDs only. */
      justId?: false;
    },
  ): Promise<StreamEntry[]>;
  xclaim(
    key: string,
    group: string,
    consumer: string,
    minIdleMs: number,
    ids: readonly string[],
    options: XclaimOptions,
  ): Promise<string[] | StreamEntry[]>;
  /** XAUTOCLAIM from `start` (`0-0` or `-` for the beginning). */
  xautoclaim(
    key: string,
    group: string,
    consumer: string,
    minIdleMs: number,
    start: string,
    options: XautoclaimOptions & {
      /** Return the claimed IDs only (`JUSTID`), not the entries. */
      justId: true;
    },
  ): Promise<XautoclaimReply<string>>;
  xautoclaim(
    key: string,
    group: string,
    consumer: string,
    minIdleMs: number,
    start: string,
    options?: XautoclaimOptions & {
      /** Return the claimed entries (the default), not their IDs only. */
      justId?: false;
    },
  ): Promise<XautoclaimReply<StreamEntry>>;
  xautoclaim(
    key: string,
    group: string,
    consumer: string,
    minIdleMs: number,
    start: string,
    options: XautoclaimOptions,
  ): Promise<XautoclaimReply<string> | XautoclaimReply<StreamEntry>>;

  /** XINFO STREAM. @throws NO_SUCH_KEY */
  xinfoStream(key: string): Promise<XinfoStreamReply>;
  /** XINFO GROUPS, in name order. @throws NO_SUCH_KEY */
  xinfoGroups(key: string): Promise<XinfoGroup[]>;
  /** XINFO CONSUMERS, in name order. @throws NO_SUCH_KEY, NOGROUP */
  xinfoConsumers(key: string, group: string): Promise<XinfoConsumer[]>;

  /** Resolves when the broker can serve commands (for /readyz); rejects with BROKER_UNAVAILABLE or BROKER_CLOSED. */
  ping(): Promise<void>;
  /** Releases resources; blocked reads reject with BROKER_CLOSED, later calls too. */
  close(): Promise<void>;
}
