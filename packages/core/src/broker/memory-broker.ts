import { SpoolError } from '../errors';
import { type Clock, realClock } from '../time/clock';
import { abortedError, BlockedReads } from './blocked-reads';
import {
  ack,
  autoclaim,
  claim,
  consumerFor,
  consumersInfo,
  deleteConsumer,
  deliverNew,
  groupsInfo,
  newGroup,
  noGroupError,
  pendingRange,
  pendingSummary,
  readHistory,
} from './memory-groups';
import { entryReply, MemoryStream } from './memory-stream';
import {
  APPROX_TRIM_DEFAULT_LIMIT,
  assertStreamIdList,
  assertStreamInteger,
  assertStreamKeyIds,
  assertStreamName,
  checkAutoclaimCount,
  checkBlock,
  checkEntriesRead,
  checkTrimArgs,
  frozenStreamFields,
} from './stream-args';
import type {
  PendingEntry,
  StreamBroker,
  StreamEntry,
  StreamFieldsInput,
  StreamKeyIds,
  StreamReadReply,
  XaddOnceReply,
  XaddOptions,
  XautoclaimOptions,
  XautoclaimReply,
  XclaimOptions,
  XgroupCreateOptions,
  XgroupSetIdOptions,
  XinfoConsumer,
  XinfoGroup,
  XinfoStreamReply,
  XpendingRangeOptions,
  XpendingSummary,
  XreadgroupOptions,
  XreadOptions,
  XtrimOptions,
  XtrimStrategy,
} from './stream-broker';
import {
  autoStreamId,
  compareStreamIdParts as cmp,
  formatStreamId,
  isMaxStreamId,
  MIN_STREAM_ID,
  nextStreamId,
  parseRangeBound,
  parseStreamId,
  parseStreamIdOrSpecial,
  parseXaddId,
  type StreamIdParts,
} from './stream-id';

/** Options of {@link MemoryBroker}. The two limits are Spool's extensions; off, it behaves exactly like Redis. */
export interface MemoryBrokerOptions {
  /** Time source for IDs, idle times and blocking timeouts. @default realClock */
  clock?: Clock;
  /**
   * Spool extension: every XADD also trims the stream like `MAXLEN ~ n`, so a
   * stream keeps at most about `n` entries (whole nodes of 100 go). `Infinity` is off.
   * @default Infinity
   */
  maxStreamLength?: number;
  /**
   * Spool extension: a consumer holding this many pending entries gets nothing
   * new from XREADGROUP `>` until its acks make room (blocked reads wait for that). `Infinity` is off.
   * @default Infinity
   */
  maxPendingMessages?: number;
  /**
   * Keys remembered by `xaddOnce`, at most: past it the least recently added key is
   * forgotten (a repeat of it would add again). They live in this process only, so a
   * restart forgets them all. Bounds memory; RedisBroker keeps its keys for 24 hours.
   * @default 100000
   */
  maxOnceKeys?: number;
}

export const memoryBrokerDefaults = {
  maxStreamLength: Number.POSITIVE_INFINITY,
  maxPendingMessages: Number.POSITIVE_INFINITY,
  maxOnceKeys: 100_000,
} as const;

/** The broker limits that `spool serve` turns on (trimming on XADD, a cap on pending entries per consumer). */
export const memoryBrokerServeLimits = { maxStreamLength: 10_000, maxPendingMessages: 1_000 } as const;

type ReadTarget = { key: string; history: StreamIdParts | undefined };

const NO_OPTIONS: XaddOptions = Object.freeze({});

function checkLimit(name: string, value: number): number {
  if (value === Number.POSITIVE_INFINITY || (Number.isSafeInteger(value) && value > 0)) return value;
  throw new SpoolError(
    'INVALID_OPTION',
    `\`${name}\` must be a positive integer or Infinity (off), got ${value}.`,
  );
}

/**
 * Redis Streams in memory, with Redis 7.0's semantics (see {@link StreamBroker}). Entries
 * sit in an ID-sorted array (binary search: reads are O(log n + k)), and each group's and
 * consumer's pending list is sorted the same way. No Node API: runs in browsers and edge runtimes.
 *
 * @example
 * const broker = new MemoryBroker({ ...memoryBrokerServeLimits });
 * await broker.xgroupCreate('jobs', 'workers', '0', { mkStream: true });
 * await broker.xadd('jobs', [['kind', 'email']]);
 * const reply = await broker.xreadgroup('workers', 'w1', [['jobs', '>']], { count: 10 });
 */
export class MemoryBroker implements StreamBroker {
  private readonly streams = new Map<string, MemoryStream>();
  private readonly clock: Clock;
  private readonly blocked: BlockedReads;
  private readonly maxStreamLength: number;
  private readonly maxPending: number;
  private readonly maxOnceKeys: number;
  /** `xaddOnce` keys → the entry ID they added, oldest first (a Map keeps insertion order). */
  private readonly onceIds = new Map<string, string>();
  private closed = false;

  constructor(options: MemoryBrokerOptions = {}) {
    const o = { ...memoryBrokerDefaults, ...options };
    this.clock = options.clock ?? realClock;
    this.maxStreamLength = checkLimit('maxStreamLength', o.maxStreamLength);
    this.maxPending = checkLimit('maxPendingMessages', o.maxPendingMessages);
    this.maxOnceKeys = checkLimit('maxOnceKeys', o.maxOnceKeys);
    this.blocked = new BlockedReads(this.clock);
  }

  async xadd(
    key: string,
    fields: StreamFieldsInput,
    options: XaddOptions = NO_OPTIONS,
  ): Promise<string | null> {
    return this.add(key, fields, options);
  }

  async xaddOnce(key: string, onceKey: string, fields: StreamFieldsInput): Promise<XaddOnceReply> {
    this.assertOpen();
    assertStreamName('key', key);
    assertStreamName('onceKey', onceKey);
    const seen = this.onceIds.get(onceKey);
    if (seen !== undefined) return { id: seen, added: false };
    // Synchronous from the check to the remembering, so two concurrent calls add one entry
    // (RedisBroker gets the same from one Lua script).
    const id = this.add(key, fields, NO_OPTIONS)!;
    this.onceIds.set(onceKey, id);
    if (this.onceIds.size > this.maxOnceKeys) this.onceIds.delete(this.onceIds.keys().next().value!);
    return { id, added: true };
  }

  /** XADD's work, synchronous. */
  private add(key: string, fields: StreamFieldsInput, options: XaddOptions): string | null {
    this.assertOpen();
    assertStreamName('key', key);
    const record = frozenStreamFields(fields);
    const wanted = parseXaddId(options.id ?? '*');
    const trim = checkTrimArgs(options, options.approx, options.limit);
    if (wanted.ms === 0 && wanted.seq === 0) {
      throw new SpoolError('ID_TOO_SMALL', 'The ID specified in XADD must be greater than 0-0');
    }
    let s = this.streams.get(key);
    if (!s) {
      if (options.noMkStream) return null;
      s = new MemoryStream();
      this.streams.set(key, s);
    }
    if (isMaxStreamId(s.lastId)) {
      throw new SpoolError(
        'ID_TOO_SMALL',
        'The stream has exhausted the last possible ID, unable to add more items',
      );
    }
    let id: StreamIdParts | undefined;
    if (wanted.ms === undefined) id = autoStreamId(s.lastId, this.clock.now());
    else if (wanted.seq === undefined)
      id = wanted.ms === s.lastId.ms ? nextStreamId(s.lastId) : { ms: wanted.ms, seq: 0 };
    else id = wanted as StreamIdParts;
    if (
      !id ||
      (wanted.seq === undefined && wanted.ms !== undefined && wanted.ms !== id.ms) ||
      cmp(id, s.lastId) <= 0
    ) {
      throw new SpoolError(
        'ID_TOO_SMALL',
        'The ID specified in XADD is equal or smaller than the target stream top item',
      );
    }
    const idText = formatStreamId(id);
    s.append(id, idText, record);
    if (trim) s.trim(trim);
    if (this.maxStreamLength !== Number.POSITIVE_INFINITY) {
      s.trim({
        kind: 'maxlen',
        maxLen: this.maxStreamLength,
        approx: true,
        limit: APPROX_TRIM_DEFAULT_LIMIT,
      });
    }
    this.blocked.wake(key);
    return idText;
  }

  async xlen(key: string): Promise<number> {
    this.assertOpen();
    return this.streams.get(key)?.length ?? 0;
  }

  async xrange(key: string, start: string, end: string, count?: number): Promise<StreamEntry[]> {
    return this.range(key, start, end, count, false);
  }

  async xrevrange(key: string, end: string, start: string, count?: number): Promise<StreamEntry[]> {
    return this.range(key, start, end, count, true);
  }

  private range(
    key: string,
    start: string,
    end: string,
    count: number | undefined,
    rev: boolean,
  ): StreamEntry[] {
    this.assertOpen();
    const from = parseRangeBound(start, 'start');
    const to = parseRangeBound(end, 'end');
    if (count !== undefined) assertStreamInteger('count', count);
    const limit = count === undefined ? Number.POSITIVE_INFINITY : Math.max(0, count);
    const s = this.streams.get(key);
    if (!s || limit === 0) return [];
    return (rev ? s.revRange(to, from, limit) : s.range(from, to, limit)).map(entryReply);
  }

  async xdel(key: string, ids: readonly string[]): Promise<number> {
    this.assertOpen();
    assertStreamIdList('ids', ids);
    const s = this.streams.get(key);
    if (!s) return 0;
    const parsed = ids.map((id) => parseStreamId(id));
    let deleted = 0;
    for (const id of parsed) if (s.deleteEntry(id)) deleted++;
    if (deleted) s.refreshFirstId();
    return deleted;
  }

  async xtrim(key: string, strategy: XtrimStrategy, options: XtrimOptions = {}): Promise<number> {
    this.assertOpen();
    const trim = checkTrimArgs(strategy, options.approx, options.limit);
    if (!trim)
      throw new SpoolError('SYNTAX_ERROR', 'syntax error, XTRIM must be called with a trimming strategy');
    return this.streams.get(key)?.trim(trim) ?? 0;
  }

  async xread(streams: StreamKeyIds, options: XreadOptions = {}): Promise<StreamReadReply> {
    this.assertOpen();
    assertStreamKeyIds(streams);
    const count = readCount(options.count);
    const block = checkBlock(options.block);
    const after = streams.map(([key, id]) => {
      if (id === '$') return this.streams.get(key)?.lastId ?? MIN_STREAM_ID;
      if (id === '>') {
        throw new SpoolError(
          'INVALID_STREAM_ID',
          'The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.',
        );
      }
      return parseStreamId(id);
    });
    if (options.signal?.aborted) throw abortedError(options.signal);
    const reply: NonNullable<StreamReadReply> = [];
    streams.forEach(([key], i) => {
      const s = this.streams.get(key);
      const top = s?.lastValidId();
      if (s && top && cmp(top, after[i]!) > 0)
        reply.push({ key, entries: s.after(after[i]!, count).map(entryReply) });
    });
    if (reply.length > 0) return reply;
    if (block === undefined) return null;
    const keys = streams.map(([key]) => key);
    return this.blocked.wait(
      keys,
      (key) => {
        const s = this.streams.get(key);
        const gt = after[keys.indexOf(key)]!;
        if (!s || cmp(s.lastId, gt) <= 0) return undefined;
        return [{ key, entries: s.after(gt, count).map(entryReply) }];
      },
      block,
      options.signal,
    );
  }

  async xgroupCreate(
    key: string,
    group: string,
    id: string,
    options: XgroupCreateOptions = {},
  ): Promise<void> {
    this.assertOpen();
    assertStreamName('group', group);
    const entriesRead = checkEntriesRead(options.entriesRead);
    let s = this.streams.get(key);
    if (!s && !options.mkStream) throw noKeyForXgroup();
    const lastId = id === '$' ? (s?.lastId ?? MIN_STREAM_ID) : parseStreamId(id);
    if (!s) {
      s = new MemoryStream();
      this.streams.set(key, s);
    }
    if (s.groups.has(group))
      throw new SpoolError('BUSYGROUP', 'BUSYGROUP Consumer Group name already exists');
    s.groups.set(group, newGroup(group, lastId, entriesRead));
  }

  async xgroupSetId(key: string, group: string, id: string, options: XgroupSetIdOptions = {}): Promise<void> {
    this.assertOpen();
    const entriesRead = checkEntriesRead(options.entriesRead);
    const { s, g } = this.groupForXgroup(key, group);
    g.lastId = id === '$' ? s.lastId : parseStreamIdOrSpecial(id);
    g.entriesRead = entriesRead;
  }

  async xgroupDestroy(key: string, group: string): Promise<number> {
    this.assertOpen();
    const s = this.streams.get(key);
    if (!s) throw noKeyForXgroup();
    if (!s.groups.delete(group)) return 0;
    // Readers blocked on this group now fail with NOGROUP, as in Redis.
    this.blocked.wake(key);
    return 1;
  }

  async xgroupCreateConsumer(key: string, group: string, consumer: string): Promise<number> {
    this.assertOpen();
    assertStreamName('consumer', consumer);
    const { g } = this.groupForXgroup(key, group);
    if (g.consumers.has(consumer)) return 0;
    consumerFor(g, consumer, this.clock.now());
    return 1;
  }

  async xgroupDelConsumer(key: string, group: string, consumer: string): Promise<number> {
    this.assertOpen();
    const { g } = this.groupForXgroup(key, group);
    const c = g.consumers.get(consumer);
    return c ? deleteConsumer(g, c) : 0;
  }

  async xreadgroup(
    group: string,
    consumer: string,
    streams: StreamKeyIds,
    options: XreadgroupOptions = {},
  ): Promise<StreamReadReply> {
    this.assertOpen();
    assertStreamName('group', group);
    assertStreamName('consumer', consumer);
    assertStreamKeyIds(streams);
    const count = readCount(options.count);
    const block = checkBlock(options.block);
    const noAck = options.noAck === true;
    // Redis checks each stream in turn: its group, then its ID.
    const targets: ReadTarget[] = streams.map(([key, id]) => {
      if (!this.streams.get(key)?.groups.has(group)) {
        throw noGroupError(key, group, ' in XREADGROUP with GROUP option');
      }
      if (id === '>') return { key, history: undefined };
      if (id === '$') {
        throw new SpoolError(
          'INVALID_STREAM_ID',
          'The $ ID is meaningless in the context of XREADGROUP: read the history of this consumer with a proper ID, or use > for new messages.',
        );
      }
      const after = parseStreamId(id);
      // Redis 7.0 encodes '>' as the largest ID, so that ID given explicitly reads new entries too.
      return { key, history: isMaxStreamId(after) ? undefined : after };
    });
    if (options.signal?.aborted) throw abortedError(options.signal);
    const now = this.clock.now();
    const reply: NonNullable<StreamReadReply> = [];
    for (const { key, history } of targets) {
      const s = this.streams.get(key)!;
      const g = s.groups.get(group)!;
      if (history) {
        reply.push({ key, entries: readHistory(s, g, consumer, history, count, now) });
        continue;
      }
      const entries = deliverNew(s, g, consumer, count, noAck, now, this.maxPending, false);
      if (entries) reply.push({ key, entries });
    }
    if (reply.length > 0) return reply;
    if (block === undefined) return null;
    return this.blocked.wait(
      targets.map((t) => t.key),
      (key) => {
        const s = this.streams.get(key);
        if (!s) return undefined;
        const g = s.groups.get(group);
        if (!g) {
          throw new SpoolError(
            'NOGROUP',
            'NOGROUP the consumer group this client was blocked on no longer exists',
          );
        }
        const entries = deliverNew(s, g, consumer, count, noAck, this.clock.now(), this.maxPending, true);
        return entries ? [{ key, entries }] : undefined;
      },
      block,
      options.signal,
    );
  }

  async xack(key: string, group: string, ids: readonly string[]): Promise<number> {
    this.assertOpen();
    assertStreamIdList('ids', ids);
    const g = this.streams.get(key)?.groups.get(group);
    if (!g) return 0;
    const acked = ack(g, ids);
    // With a pending cap, acks can make room for a reader blocked at the cap.
    if (acked && this.maxPending !== Number.POSITIVE_INFINITY) this.blocked.wake(key);
    return acked;
  }

  async xpending(key: string, group: string): Promise<XpendingSummary> {
    this.assertOpen();
    return pendingSummary(this.groupOf(key, group));
  }

  async xpendingRange(key: string, group: string, options: XpendingRangeOptions): Promise<PendingEntry[]> {
    this.assertOpen();
    const minIdle = options.idle ?? 0;
    assertStreamInteger('idle', minIdle);
    assertStreamInteger('count', options.count);
    const start = parseRangeBound(options.start ?? '-', 'start');
    const end = parseRangeBound(options.end ?? '+', 'end');
    const g = this.groupOf(key, group);
    return pendingRange(g, start, end, options.count, options.consumer, minIdle, this.clock.now());
  }

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
  async xclaim(
    key: string,
    group: string,
    consumer: string,
    minIdleMs: number,
    ids: readonly string[],
    options: XclaimOptions = {},
  ): Promise<string[] | StreamEntry[]> {
    this.assertOpen();
    assertStreamName('consumer', consumer);
    assertStreamInteger('minIdleMs', minIdleMs);
    assertStreamIdList('ids', ids);
    for (const name of ['idle', 'time', 'retryCount'] as const) {
      if (options[name] !== undefined) assertStreamInteger(name, options[name]);
    }
    const s = this.streams.get(key);
    const g = s?.groups.get(group);
    if (!s || !g) throw noGroupError(key, group);
    const parsed = ids.map((id) => parseStreamId(id));
    const now = this.clock.now();
    let deliveryTime = options.time ?? (options.idle !== undefined ? now - options.idle : now);
    if (deliveryTime < 0 || deliveryTime > now) deliveryTime = now;
    const args = {
      ids: parsed,
      minIdle: Math.max(0, minIdleMs),
      deliveryTime,
      retryCount: options.retryCount ?? -1,
      force: options.force === true,
      justId: options.justId === true,
    };
    return claim(s, g, consumer, args, now) as string[] | StreamEntry[];
  }

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
  async xautoclaim(
    key: string,
    group: string,
    consumer: string,
    minIdleMs: number,
    start: string,
    options: XautoclaimOptions = {},
  ): Promise<XautoclaimReply<string> | XautoclaimReply<StreamEntry>> {
    this.assertOpen();
    assertStreamName('consumer', consumer);
    assertStreamInteger('minIdleMs', minIdleMs);
    const from = parseRangeBound(start, 'start');
    const count = checkAutoclaimCount(options.count);
    const s = this.streams.get(key);
    const g = s?.groups.get(group);
    if (!s || !g) throw noGroupError(key, group);
    const now = this.clock.now();
    const reply = autoclaim(
      s,
      g,
      consumer,
      Math.max(0, minIdleMs),
      from,
      count,
      options.justId === true,
      now,
    );
    return reply as XautoclaimReply<string> | XautoclaimReply<StreamEntry>;
  }

  async xinfoStream(key: string): Promise<XinfoStreamReply> {
    this.assertOpen();
    const s = this.streams.get(key);
    if (!s) throw noSuchKey();
    return s.info();
  }

  async xinfoGroups(key: string): Promise<XinfoGroup[]> {
    this.assertOpen();
    const s = this.streams.get(key);
    if (!s) throw noSuchKey();
    return groupsInfo(s);
  }

  async xinfoConsumers(key: string, group: string): Promise<XinfoConsumer[]> {
    this.assertOpen();
    const s = this.streams.get(key);
    if (!s) throw noSuchKey();
    const g = s.groups.get(group);
    if (!g)
      throw new SpoolError('NOGROUP', `NOGROUP No such consumer group '${group}' for key name '${key}'`);
    return consumersInfo(g, this.clock.now());
  }

  /** How many reads are blocked right now (a diagnostic, for tests and stats). */
  get blockedReaders(): number {
    return this.blocked.size;
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.blocked.failAll(closedError());
  }

  private assertOpen(): void {
    if (this.closed) throw closedError();
  }

  /** Key and group for XGROUP SETID / CREATECONSUMER / DELCONSUMER, with Redis's errors. */
  private groupForXgroup(key: string, group: string) {
    const s = this.streams.get(key);
    if (!s) throw noKeyForXgroup();
    const g = s.groups.get(group);
    if (!g)
      throw new SpoolError('NOGROUP', `NOGROUP No such consumer group '${group}' for key name '${key}'`);
    return { s, g };
  }

  private groupOf(key: string, group: string) {
    const g = this.streams.get(key)?.groups.get(group);
    if (!g) throw noGroupError(key, group);
    return g;
  }
}

/** XREAD's COUNT: absent, 0 or negative mean no limit. */
function readCount(count: number | undefined): number {
  if (count === undefined) return Number.POSITIVE_INFINITY;
  assertStreamInteger('count', count);
  return count > 0 ? count : Number.POSITIVE_INFINITY;
}

function noSuchKey(): SpoolError {
  return new SpoolError('NO_SUCH_KEY', 'no such key');
}

function noKeyForXgroup(): SpoolError {
  return new SpoolError(
    'NO_SUCH_KEY',
    'The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.',
  );
}

function closedError(): SpoolError {
  return new SpoolError('BROKER_CLOSED', 'The broker is closed: create a new MemoryBroker.');
}
