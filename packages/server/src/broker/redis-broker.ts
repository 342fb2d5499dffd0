import {
  type PendingEntry,
  SpoolError,
  type StreamBroker,
  type StreamEntry,
  type StreamFieldsInput,
  type StreamKeyIds,
  type StreamReadReply,
  type XaddOnceReply,
  type XaddOptions,
  type XautoclaimOptions,
  type XautoclaimReply,
  type XclaimOptions,
  type XgroupCreateOptions,
  type XgroupSetIdOptions,
  type XinfoConsumer,
  type XinfoGroup,
  type XinfoStreamReply,
  type XpendingRangeOptions,
  type XpendingSummary,
  type XreadgroupOptions,
  type XreadOptions,
  type XtrimOptions,
  type XtrimStrategy,
} from '@spool/core';
import {
  assertStreamIdList,
  assertStreamInteger,
  assertStreamKeyIds,
  assertStreamName,
  checkAutoclaimCount,
  checkBlock,
  checkEntriesRead,
  checkTrimArgs,
  flattenStreamFields,
  isMaxStreamId,
  isValidStreamId,
  parseRangeBound,
  parseStreamId,
  parseXaddId,
  type TrimArgs,
} from '@spool/core/internal';
import { Redis, type RedisOptions } from 'ioredis';
import { abortedError, BlockingPool, closedError } from './blocking-pool';
import { toSpoolError } from './redis-errors';
import * as reply from './redis-replies';
import { parseRedisUrl } from './redis-url';

/** Options of {@link RedisBroker}. */
export interface RedisBrokerOptions {
  /** Redis URL. @default 'redis://127.0.0.1:6379' */
  url?: string;
  /** ioredis options, applied over the URL (host, port, password, tls, retryStrategy...). */
  redis?: RedisOptions;
  /** Prepended to every key the broker touches, and stripped from keys in replies. @default '' */
  keyPrefix?: string;
  /** Most connections held for concurrent blocking reads (beyond it, readers queue). @default 16 */
  poolSize?: number;
  /** Batch commands issued in the same tick into one write (ioredis auto-pipelining). @default true */
  autoPipelining?: boolean;
  /** How long `ping()` waits before it reports the broker unavailable. @default 2000 */
  pingTimeoutMs?: number;
  /** Called with connection errors (ioredis reconnects on its own). @default ignore */
  onError?: (err: Error) => void;
  /**
   * How long `xaddOnce` remembers a once-key (the key `<keyPrefix>once:<onceKey>` expires).
   * @default 86400 (24 hours)
   */
  onceTtlSeconds?: number;
}

export const redisBrokerDefaults = {
  url: 'redis://127.0.0.1:6379',
  keyPrefix: '',
  poolSize: 16,
  autoPipelining: true,
  pingTimeoutMs: 2_000,
  onceTtlSeconds: 86_400,
} as const;

/**
 * `xaddOnce` in one script, so the check, the XADD and the remembering are atomic: a
 * retry after a lost reply finds the key and gets the first ID. The key stores the ID,
 * as `SET key id NX EX ttl` would once the ID is known.
 * KEYS: stream, once-key. ARGV: ttl seconds, then field, value, field, value...
 */
const XADD_ONCE_LUA = `
local seen = redis.call('GET', KEYS[2])
if seen then return {seen, 0} end
local id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 2))
redis.call('SET', KEYS[2], id, 'EX', ARGV[1])
return {id, 1}
`;

type WithXaddOnce = Redis & {
  spoolXaddOnce(stream: string, onceKey: string, ...argv: Array<string | number>): Promise<[string, number]>;
};

/** Stands in for an ID Redis must reject, where Redis looks at the key or group before the ID. */
const BAD_ID = 'invalid-id';
const idOrBad = (id: string) => (isValidStreamId(id) ? id : BAD_ID);

function trimArgv(t: TrimArgs): string[] {
  const argv = [t.kind === 'maxlen' ? 'MAXLEN' : 'MINID', t.approx ? '~' : '='];
  argv.push(t.kind === 'maxlen' ? String(t.maxLen) : t.minIdText);
  if (t.approx) argv.push('LIMIT', String(t.limit));
  return argv;
}

/**
 * {@link StreamBroker} on real Redis Streams (Redis ≥ 7.0), over ioredis. Non-blocking
 * commands share one auto-pipelined connection; each concurrent blocking read takes its
 * own connection from a bounded pool, and cancelling its AbortSignal ends it on the
 * server with `CLIENT UNBLOCK` (or, failing that, by dropping the connection). ioredis
 * reconnects on its own.
 *
 * @example
 * const broker = new RedisBroker({ url: process.env.SPOOL_REDIS_URL, keyPrefix: 'spool:' });
 * await broker.ping();
 * await broker.xadd('jobs', { kind: 'email' });
 * await broker.close();
 */
export class RedisBroker implements StreamBroker {
  private readonly redis: Redis;
  private readonly pool: BlockingPool;
  private readonly prefix: string;
  private readonly pingTimeoutMs: number;
  private readonly onceTtlSeconds: number;
  private closed = false;

  constructor(options: RedisBrokerOptions = {}) {
    const o = { ...redisBrokerDefaults, ...options };
    if (!Number.isSafeInteger(o.poolSize) || o.poolSize < 1) {
      throw new SpoolError('INVALID_OPTION', `\`poolSize\` must be a positive integer, got ${o.poolSize}.`);
    }
    if (typeof o.keyPrefix !== 'string') {
      throw new SpoolError('INVALID_OPTION', '`keyPrefix` must be a string.');
    }
    if (!Number.isSafeInteger(o.onceTtlSeconds) || o.onceTtlSeconds < 1) {
      throw new SpoolError(
        'INVALID_OPTION',
        `\`onceTtlSeconds\` must be a positive integer, got ${o.onceTtlSeconds}.`,
      );
    }
    this.onceTtlSeconds = o.onceTtlSeconds;
    this.prefix = o.keyPrefix;
    this.pingTimeoutMs = o.pingTimeoutMs;
    const onError = options.onError ?? (() => {});
    // RESP2 keeps Redis's documented reply shapes (ioredis 6 defaults to RESP3, which
    // turns XREAD's reply into a map).
    const redisOptions: RedisOptions = {
      ...parseRedisUrl(o.url),
      ...options.redis,
      protocol: 2,
      enableAutoPipelining: o.autoPipelining,
    };
    this.redis = new Redis(redisOptions);
    // EVALSHA, falling back to EVAL once per connection when Redis lacks the script.
    this.redis.defineCommand('spoolXaddOnce', { numberOfKeys: 2, lua: XADD_ONCE_LUA });
    this.redis.on('error', onError);
    this.pool = new BlockingPool(redisOptions, o.poolSize, onError);
  }

  private k(key: string): string {
    assertStreamName('key', key);
    return this.prefix + key;
  }

  /** Sends one command. Not `async`: every call is on the hot path, and one promise less per command shows. */
  private run(args: Array<string | number>): Promise<unknown> {
    if (this.closed) return Promise.reject(closedError());
    const command = args.shift() as string;
    return this.redis.call(command, args).catch((err: unknown) => {
      throw this.closed ? closedError() : toSpoolError(err, this.prefix);
    });
  }

  async xadd(key: string, fields: StreamFieldsInput, options: XaddOptions = {}): Promise<string | null> {
    const flat = flattenStreamFields(fields);
    const id = options.id ?? '*';
    parseXaddId(id);
    const trim = checkTrimArgs(options, options.approx, options.limit);
    const argv: Array<string | number> = ['XADD', this.k(key)];
    if (options.noMkStream) argv.push('NOMKSTREAM');
    if (trim) argv.push(...trimArgv(trim));
    argv.push(id);
    for (const s of flat) argv.push(s);
    return (await this.run(argv)) as string | null;
  }

  async xaddOnce(key: string, onceKey: string, fields: StreamFieldsInput): Promise<XaddOnceReply> {
    if (this.closed) throw closedError();
    const stream = this.k(key);
    assertStreamName('onceKey', onceKey);
    const flat = flattenStreamFields(fields);
    try {
      const [id, added] = await (this.redis as WithXaddOnce).spoolXaddOnce(
        stream,
        `${this.prefix}once:${onceKey}`,
        this.onceTtlSeconds,
        ...flat,
      );
      return { id, added: added === 1 };
    } catch (err) {
      throw this.closed ? closedError() : toSpoolError(err, this.prefix);
    }
  }

  async xlen(key: string): Promise<number> {
    return (await this.run(['XLEN', this.k(key)])) as number;
  }

  async xrange(key: string, start: string, end: string, count?: number): Promise<StreamEntry[]> {
    return this.range('XRANGE', key, start, end, count);
  }

  async xrevrange(key: string, end: string, start: string, count?: number): Promise<StreamEntry[]> {
    return this.range('XREVRANGE', key, start, end, count);
  }

  private async range(cmd: string, key: string, start: string, end: string, count?: number) {
    parseRangeBound(start, 'start');
    parseRangeBound(end, 'end');
    const argv: Array<string | number> = [cmd, this.k(key)];
    argv.push(...(cmd === 'XRANGE' ? [start, end] : [end, start]));
    if (count !== undefined) {
      assertStreamInteger('count', count);
      argv.push('COUNT', count);
    }
    return reply.parseEntries(await this.run(argv));
  }

  async xdel(key: string, ids: readonly string[]): Promise<number> {
    assertStreamIdList('ids', ids);
    return (await this.run(['XDEL', this.k(key), ...ids.map(idOrBad)])) as number;
  }

  async xtrim(key: string, strategy: XtrimStrategy, options: XtrimOptions = {}): Promise<number> {
    const trim = checkTrimArgs(strategy, options.approx, options.limit);
    if (!trim)
      throw new SpoolError('SYNTAX_ERROR', 'syntax error, XTRIM must be called with a trimming strategy');
    return (await this.run(['XTRIM', this.k(key), ...trimArgv(trim)])) as number;
  }

  async xread(streams: StreamKeyIds, options: XreadOptions = {}): Promise<StreamReadReply> {
    assertStreamKeyIds(streams);
    for (const [, id] of streams) {
      if (id === '>') {
        throw new SpoolError(
          'INVALID_STREAM_ID',
          'The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.',
        );
      }
      if (id !== '$') parseStreamId(id);
    }
    const argv: Array<string | number> = ['XREAD', ...this.readOptions(options), 'STREAMS'];
    for (const [key] of streams) argv.push(this.k(key));
    for (const [, id] of streams) argv.push(id);
    return this.read(argv, options.block, options.signal);
  }

  async xreadgroup(
    group: string,
    consumer: string,
    streams: StreamKeyIds,
    options: XreadgroupOptions = {},
  ): Promise<StreamReadReply> {
    assertStreamName('group', group);
    assertStreamName('consumer', consumer);
    assertStreamKeyIds(streams);
    const argv: Array<string | number> = [
      'XREADGROUP',
      'GROUP',
      group,
      consumer,
      ...this.readOptions(options),
    ];
    if (options.noAck) argv.push('NOACK');
    argv.push('STREAMS');
    for (const [key] of streams) argv.push(this.k(key));
    for (const [, id] of streams) argv.push(id === '>' || id === '$' ? id : idOrBad(id));
    // A history read (no '>') never blocks, so it needs no dedicated connection.
    // Redis 7.0 encodes '>' as the largest ID, so that ID reads new entries (and may block) too.
    const blocks = options.block !== undefined && streams.some(([, id]) => id === '>' || isLargestId(id));
    return this.read(argv, blocks ? options.block : undefined, options.signal);
  }

  private readOptions(options: XreadOptions): Array<string | number> {
    const argv: Array<string | number> = [];
    if (options.count !== undefined) {
      assertStreamInteger('count', options.count);
      argv.push('COUNT', options.count);
    }
    const block = checkBlock(options.block);
    if (block !== undefined) argv.push('BLOCK', block);
    return argv;
  }

  private async read(
    argv: Array<string | number>,
    block: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<StreamReadReply> {
    if (this.closed) throw closedError();
    if (signal?.aborted) throw abortedError(signal);
    if (block === undefined) return reply.parseRead(await this.run(argv), this.prefix.length);
    try {
      return reply.parseRead(await this.pool.run(argv, signal, this.redis), this.prefix.length);
    } catch (err) {
      throw this.closed ? closedError() : toSpoolError(err, this.prefix);
    }
  }

  async xgroupCreate(
    key: string,
    group: string,
    id: string,
    options: XgroupCreateOptions = {},
  ): Promise<void> {
    assertStreamName('group', group);
    const entriesRead = checkEntriesRead(options.entriesRead);
    const argv: Array<string | number> = [
      'XGROUP',
      'CREATE',
      this.k(key),
      group,
      id === '$' ? id : idOrBad(id),
    ];
    if (options.mkStream) argv.push('MKSTREAM');
    if (entriesRead !== -1) argv.push('ENTRIESREAD', entriesRead);
    await this.run(argv);
  }

  async xgroupSetId(key: string, group: string, id: string, options: XgroupSetIdOptions = {}): Promise<void> {
    assertStreamName('group', group);
    const entriesRead = checkEntriesRead(options.entriesRead);
    const special = id === '$' || id === '-' || id === '+';
    const argv: Array<string | number> = ['XGROUP', 'SETID', this.k(key), group, special ? id : idOrBad(id)];
    if (entriesRead !== -1) argv.push('ENTRIESREAD', entriesRead);
    await this.run(argv);
  }

  async xgroupDestroy(key: string, group: string): Promise<number> {
    assertStreamName('group', group);
    return (await this.run(['XGROUP', 'DESTROY', this.k(key), group])) as number;
  }

  async xgroupCreateConsumer(key: string, group: string, consumer: string): Promise<number> {
    assertStreamName('group', group);
    assertStreamName('consumer', consumer);
    return (await this.run(['XGROUP', 'CREATECONSUMER', this.k(key), group, consumer])) as number;
  }

  async xgroupDelConsumer(key: string, group: string, consumer: string): Promise<number> {
    assertStreamName('group', group);
    assertStreamName('consumer', consumer);
    return (await this.run(['XGROUP', 'DELCONSUMER', this.k(key), group, consumer])) as number;
  }

  async xack(key: string, group: string, ids: readonly string[]): Promise<number> {
    assertStreamName('group', group);
    assertStreamIdList('ids', ids);
    return (await this.run(['XACK', this.k(key), group, ...ids.map(idOrBad)])) as number;
  }

  async xpending(key: string, group: string): Promise<XpendingSummary> {
    assertStreamName('group', group);
    return reply.parsePendingSummary(await this.run(['XPENDING', this.k(key), group]));
  }

  async xpendingRange(key: string, group: string, options: XpendingRangeOptions): Promise<PendingEntry[]> {
    assertStreamName('group', group);
    const start = options.start ?? '-';
    const end = options.end ?? '+';
    if (options.idle !== undefined) assertStreamInteger('idle', options.idle);
    assertStreamInteger('count', options.count);
    parseRangeBound(start, 'start');
    parseRangeBound(end, 'end');
    const argv: Array<string | number> = ['XPENDING', this.k(key), group];
    if (options.idle !== undefined) argv.push('IDLE', options.idle);
    argv.push(start, end, options.count);
    if (options.consumer !== undefined) {
      assertStreamName('consumer', options.consumer);
      argv.push(options.consumer);
    }
    return reply.parsePendingRange(await this.run(argv));
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
    assertStreamName('group', group);
    assertStreamName('consumer', consumer);
    assertStreamInteger('minIdleMs', minIdleMs);
    assertStreamIdList('ids', ids);
    const argv: Array<string | number> = [
      'XCLAIM',
      this.k(key),
      group,
      consumer,
      minIdleMs,
      ...ids.map(idOrBad),
    ];
    for (const [name, flag] of [
      ['idle', 'IDLE'],
      ['time', 'TIME'],
      ['retryCount', 'RETRYCOUNT'],
    ] as const) {
      const value = options[name];
      if (value === undefined) continue;
      assertStreamInteger(name, value);
      argv.push(flag, value);
    }
    if (options.force) argv.push('FORCE');
    if (options.justId) argv.push('JUSTID');
    const raw = await this.run(argv);
    return options.justId ? (raw as string[]) : reply.parseClaimed(raw);
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
    assertStreamName('group', group);
    assertStreamName('consumer', consumer);
    assertStreamInteger('minIdleMs', minIdleMs);
    parseRangeBound(start, 'start');
    const count = checkAutoclaimCount(options.count);
    const argv: Array<string | number> = ['XAUTOCLAIM', this.k(key), group, consumer, minIdleMs, start];
    argv.push('COUNT', count);
    if (options.justId) argv.push('JUSTID');
    const parsed = reply.parseAutoclaim(await this.run(argv), options.justId === true);
    return parsed as XautoclaimReply<string> | XautoclaimReply<StreamEntry>;
  }

  async xinfoStream(key: string): Promise<XinfoStreamReply> {
    return reply.parseInfoStream(await this.run(['XINFO', 'STREAM', this.k(key)]));
  }

  async xinfoGroups(key: string): Promise<XinfoGroup[]> {
    return reply.parseInfoGroups(await this.run(['XINFO', 'GROUPS', this.k(key)]));
  }

  async xinfoConsumers(key: string, group: string): Promise<XinfoConsumer[]> {
    assertStreamName('group', group);
    return reply.parseInfoConsumers(await this.run(['XINFO', 'CONSUMERS', this.k(key), group]));
  }

  /** Resolves when Redis answers PING within `pingTimeoutMs` (for /readyz). */
  async ping(): Promise<void> {
    if (this.closed) throw closedError();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new SpoolError(
              'BROKER_UNAVAILABLE',
              `Redis did not answer PING within ${this.pingTimeoutMs} ms.`,
            ),
          ),
        this.pingTimeoutMs,
      );
    });
    try {
      await Promise.race([this.run(['PING']), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** How many of this broker's reads are blocked on the server now (a diagnostic: CLIENT LIST). */
  async blockedOnServer(): Promise<number> {
    const ids = this.pool.ids();
    if (ids.length === 0) return 0;
    const list = String(await this.run(['CLIENT', 'LIST', 'ID', ...ids.map(String)]));
    return list.split('\n').filter((line) => / flags=\S*b/.test(line)).length;
  }

  /** Closes every connection; blocked reads reject with BROKER_CLOSED. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pool.close();
    // QUIT lets queued replies arrive; without a live connection it would wait for one.
    if (this.redis.status !== 'ready') return this.redis.disconnect();
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }
}

function isLargestId(id: string): boolean {
  return isValidStreamId(id) && isMaxStreamId(parseStreamId(id));
}
