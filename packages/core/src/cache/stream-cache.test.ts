import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SpoolError } from '../errors';
import { createManualClock } from '../time/clock';
import type { StreamCacheOptions } from './cache-options';
import { EndReason } from './end-reason';
import { CACHE_CHUNK_OVERHEAD_BYTES, CACHE_STREAM_OVERHEAD_BYTES } from './memory-cost';
import type { MessageChunk } from './message-chunk';
import { StreamCache } from './stream-cache';
import { getCustomFieldString, type StreamMeta, setCustomField } from './stream-meta';
import { StreamMetaBuilder } from './stream-meta-builder';

const SNOWFLAKE = '1843563473929170944';
const START = 1_700_000_000_000;

let caches: StreamCache[] = [];
afterEach(async () => {
  await Promise.all(caches.map((c) => c.close()));
  caches = [];
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

function setup(options: StreamCacheOptions = {}) {
  const clock = createManualClock(START);
  const completed: Array<{ messageId: string; chunks: MessageChunk[]; meta: StreamMeta }> = [];
  const cache = new StreamCache({
    clock,
    onStreamComplete: (messageId, chunks, meta) => {
      completed.push({ messageId, chunks, meta });
    },
    ...options,
  });
  caches.push(cache);
  return { cache, clock, completed };
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as SpoolError).code;
  }
  return 'no error';
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('openStream', () => {
  it('registers plain metadata and builder output, returning the stored copy', () => {
    const { cache } = setup();
    const meta = cache.openStream({ messageId: 42, channelId: 'general', channelType: 1, fromUid: 'u1' });
    expect(meta).toMatchObject({
      messageId: '42',
      createdAt: START,
      updatedAt: START,
      timestamp: START,
      closed: false,
    });
    const built = cache.openStream(
      new StreamMetaBuilder(43n).channel('general', 1).customField('k', 'v').build(),
    );
    expect(built.customFields).toEqual({ k: 'v' });
    expect(cache.getStreamCount()).toBe(2);
    meta.channelId = 'changed';
    expect(cache.getStreamsByChannel('general', 1)).toHaveLength(2);
  });

  it('refuses a second open of the same ID, also while its completion runs, but not after', async () => {
    const { cache } = setup();
    cache.openStream({ messageId: '7' });
    expect(codeOf(() => cache.openStream({ messageId: 7n }))).toBe('STREAM_EXISTS');
    cache.endStream('7');
    expect(codeOf(() => cache.openStream({ messageId: '7' }))).toBe('STREAM_EXISTS');
    await flush();
    expect(cache.openStream({ messageId: '7' }).messageId).toBe('7');
  });

  it('enforces maxStreams and the memory limit, changing nothing on failure', () => {
    const { cache } = setup({ maxStreams: 2, maxMemoryBytes: 2 * CACHE_STREAM_OVERHEAD_BYTES + 10 });
    cache.openStream({ messageId: '1' });
    cache.openStream({ messageId: '2' });
    const before = cache.getStats();
    expect(codeOf(() => cache.openStream({ messageId: '3' }))).toBe('TOO_MANY_STREAMS');
    expect(cache.getStats()).toEqual(before);

    const small = setup({ maxMemoryBytes: CACHE_STREAM_OVERHEAD_BYTES + 10 }).cache;
    small.openStream({ messageId: '1' });
    expect(codeOf(() => small.openStream({ messageId: '2' }))).toBe('MEMORY_LIMIT_REACHED');
    expect(small.getStreamCount()).toBe(1);
  });

  it('validates the ID and the metadata', () => {
    const { cache } = setup();
    expect(codeOf(() => cache.openStream({ messageId: 0 }))).toBe('INVALID_MESSAGE_ID');
    expect(codeOf(() => cache.openStream({ messageId: -5n }))).toBe('INVALID_MESSAGE_ID');
    expect(codeOf(() => cache.openStream({ messageId: 1.5 }))).toBe('INVALID_MESSAGE_ID');
    expect(codeOf(() => cache.openStream({ messageId: '9223372036854775808' }))).toBe('INVALID_MESSAGE_ID');
    // As a JS number the snowflake has already lost precision: refused, never rounded.
    expect(codeOf(() => cache.openStream({ messageId: Number(SNOWFLAKE) }))).toBe('INVALID_MESSAGE_ID');
    expect(codeOf(() => cache.openStream({ messageId: '1', channelType: 256 }))).toBe('INVALID_STREAM_META');
    expect(cache.getStreamCount()).toBe(0);
    expect(cache.openStream({ messageId: '9223372036854775807' }).messageId).toBe('9223372036854775807');
  });
});

describe('appendChunk', () => {
  it('accepts the ID in every form and counts payload bytes plus overhead', () => {
    const { cache } = setup();
    cache.openStream({ messageId: SNOWFLAKE });
    cache.appendChunk({ messageId: SNOWFLAKE, chunkId: 0, payload: 'héllo' });
    cache.appendChunk({ messageId: 1843563473929170944n, chunkId: 1, payload: new Uint8Array(10) });
    cache.appendChunk({ messageId: SNOWFLAKE, chunkId: 2, payload: '😀' });
    const view = cache.getStream(SNOWFLAKE)!;
    expect(view.bytes).toBe(6 + 10 + 4);
    expect(view.chunkCount).toBe(3);
    expect(cache.getMemoryUsage()).toBe(CACHE_STREAM_OVERHEAD_BYTES + 3 * CACHE_CHUNK_OVERHEAD_BYTES + 20);
    cache.openStream({ messageId: 42 });
    cache.appendChunk({ messageId: '042', chunkId: 0, payload: 'a' });
    cache.appendChunk({ messageId: 42, chunkId: 1, payload: 'b' });
    expect(cache.getStream('42')!.text()).toBe('ab');
  });

  it('requires an open stream', async () => {
    const { cache } = setup();
    expect(codeOf(() => cache.appendChunk({ messageId: '5', chunkId: 0, payload: 'x' }))).toBe(
      'STREAM_NOT_FOUND',
    );
    cache.openStream({ messageId: '5' });
    cache.endStream('5');
    expect(codeOf(() => cache.appendChunk({ messageId: '5', chunkId: 0, payload: 'x' }))).toBe(
      'STREAM_CLOSED',
    );
    await flush();
    expect(codeOf(() => cache.appendChunk({ messageId: '5', chunkId: 0, payload: 'x' }))).toBe(
      'STREAM_NOT_FOUND',
    );
    expect(codeOf(() => cache.appendChunk({ messageId: 'abc', chunkId: 0, payload: 'x' }))).toBe(
      'INVALID_MESSAGE_ID',
    );
  });

  it('validates chunk IDs and payloads', () => {
    const { cache } = setup();
    cache.openStream({ messageId: '5' });
    for (const chunkId of [-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1, '1' as unknown as number]) {
      expect(codeOf(() => cache.appendChunk({ messageId: '5', chunkId, payload: 'x' }))).toBe(
        'INVALID_CHUNK_ID',
      );
    }
    for (const payload of [42, null, [1, 2], new ArrayBuffer(2)]) {
      expect(
        codeOf(() =>
          cache.appendChunk({ messageId: '5', chunkId: 0, payload: payload as unknown as string }),
        ),
      ).toBe('INVALID_PAYLOAD');
    }
    expect(cache.getStream('5')!.chunkCount).toBe(0);
  });

  it('rejects a repeated chunkId, in order or not', () => {
    const { cache } = setup();
    cache.openStream({ messageId: '5' });
    cache.appendChunk({ messageId: '5', chunkId: 3, payload: 'c' });
    expect(codeOf(() => cache.appendChunk({ messageId: '5', chunkId: 3, payload: 'again' }))).toBe(
      'DUPLICATE_CHUNK',
    );
    cache.appendChunk({ messageId: '5', chunkId: 1, payload: 'a' });
    expect(codeOf(() => cache.appendChunk({ messageId: '5', chunkId: 1, payload: 'again' }))).toBe(
      'DUPLICATE_CHUNK',
    );
    cache.appendChunk({ messageId: '5', chunkId: 7, payload: 'd' });
    expect(codeOf(() => cache.appendChunk({ messageId: '5', chunkId: 7, payload: 'again' }))).toBe(
      'DUPLICATE_CHUNK',
    );
    cache.appendChunk({ messageId: '5', chunkId: 2, payload: 'b' });
    expect(cache.getStream('5')!.text()).toBe('abcd');
  });

  it('enforces maxChunksPerStream and maxMemoryBytes exactly, changing nothing on failure', () => {
    const { cache } = setup({ maxChunksPerStream: 2 });
    cache.openStream({ messageId: '5' });
    cache.appendChunk({ messageId: '5', chunkId: 0, payload: 'a' });
    cache.appendChunk({ messageId: '5', chunkId: 1, payload: 'b' });
    expect(codeOf(() => cache.appendChunk({ messageId: '5', chunkId: 2, payload: 'c' }))).toBe(
      'TOO_MANY_CHUNKS',
    );

    const limit = CACHE_STREAM_OVERHEAD_BYTES + 2 * CACHE_CHUNK_OVERHEAD_BYTES + 10;
    const tight = setup({ maxMemoryBytes: limit }).cache;
    tight.openStream({ messageId: '5' });
    tight.appendChunk({ messageId: '5', chunkId: 0, payload: '12345' });
    const before = tight.getStats();
    expect(codeOf(() => tight.appendChunk({ messageId: '5', chunkId: 1, payload: '123456' }))).toBe(
      'MEMORY_LIMIT_REACHED',
    );
    expect(tight.getStats()).toEqual(before);
  });

  it('fills memory up to the byte and not one byte more', () => {
    const limit = CACHE_STREAM_OVERHEAD_BYTES + 2 * CACHE_CHUNK_OVERHEAD_BYTES + 10;
    const { cache } = setup({ maxMemoryBytes: limit });
    cache.openStream({ messageId: '5' });
    cache.appendChunk({ messageId: '5', chunkId: 0, payload: '12345' });
    expect(codeOf(() => cache.appendChunk({ messageId: '5', chunkId: 1, payload: 'é€x' }))).toBe(
      'MEMORY_LIMIT_REACHED',
    ); // 2 + 3 + 1 = 6 bytes: one too many
    cache.appendChunk({ messageId: '5', chunkId: 1, payload: 'é€' }); // 5 bytes: exactly full
    expect(cache.getMemoryUsage()).toBe(limit);
    expect(cache.isMemoryLimitReached()).toBe(true);
  });
});

describe('endStream', () => {
  it('ends with Success by default and records the reason in the completed meta', async () => {
    const { cache, completed } = setup();
    cache.openStream({ messageId: '1' });
    cache.openStream({ messageId: '2' });
    cache.endStream('1');
    cache.endStream(2n, EndReason.Cancelled);
    await flush();
    expect(completed.map((c) => [c.messageId, c.meta.closed, c.meta.endReason])).toEqual([
      ['1', true, 'success'],
      ['2', true, 'cancelled'],
    ]);
    expect(cache.getStats().endedByReason).toEqual({
      success: 1,
      timeout: 0,
      error: 0,
      cancelled: 1,
      force: 0,
    });
  });

  it('releases the memory at once and reports unknown, closed and invalid input', () => {
    const { cache } = setup();
    cache.openStream({ messageId: '1' });
    cache.appendChunk({ messageId: '1', chunkId: 0, payload: 'abc' });
    expect(codeOf(() => cache.endStream('1', 'done' as EndReason))).toBe('INVALID_OPTION');
    expect(cache.getStreamCount()).toBe(1);
    cache.endStream('1');
    expect(cache.getMemoryUsage()).toBe(0);
    expect(cache.getStats().chunks).toBe(0);
    expect(codeOf(() => cache.endStream('1'))).toBe('STREAM_CLOSED');
    expect(codeOf(() => cache.endStream('2'))).toBe('STREAM_NOT_FOUND');
    expect(codeOf(() => cache.endStream('x'))).toBe('INVALID_MESSAGE_ID');
  });
});

describe('endStreamInChannel', () => {
  it('ends exactly the streams of that channel id and type', async () => {
    const { cache, completed } = setup();
    cache.openStream({ messageId: '1', channelId: 'general', channelType: 1 });
    cache.openStream({ messageId: '2', channelId: 'general', channelType: 1 });
    cache.openStream({ messageId: '3', channelId: 'general', channelType: 2 });
    cache.openStream({ messageId: '4', channelId: 'other', channelType: 1 });
    const result = cache.endStreamInChannel('general', 1);
    expect(result).toEqual({ ended: ['1', '2'], failures: [] });
    expect(cache.hasStreamInChannel('general', 1)).toBe(false);
    expect(cache.hasStreamInChannel('general', 2)).toBe(true);
    expect(cache.endStreamInChannel('nobody', 9, EndReason.Error)).toEqual({ ended: [], failures: [] });
    await flush();
    expect(completed.map((c) => [c.messageId, c.meta.endReason])).toEqual([
      ['1', 'force'],
      ['2', 'force'],
    ]);
  });

  it('aggregates per-stream errors: a stream ended meanwhile is reported, the rest still end', () => {
    const { cache } = setup();
    for (const id of ['1', '2', '3']) cache.openStream({ messageId: id, channelId: 'c', channelType: 0 });
    // An `end` listener that ends stream 2 itself while the channel is being ended.
    cache.on('end', (meta) => {
      if (meta.messageId === '1') cache.endStream('2', EndReason.Error);
    });
    const result = cache.endStreamInChannel('c', 0, EndReason.Cancelled);
    expect(result.ended).toEqual(['1', '3']);
    expect(result.failures.map((f) => [f.messageId, f.error.code])).toEqual([['2', 'STREAM_CLOSED']]);
    expect(cache.getStats().endedByReason).toMatchObject({ cancelled: 2, error: 1 });
  });

  it('validates its arguments', () => {
    const { cache } = setup();
    expect(codeOf(() => cache.endStreamInChannel('c', 300))).toBe('INVALID_STREAM_META');
    expect(codeOf(() => cache.endStreamInChannel(5 as unknown as string, 1))).toBe('INVALID_STREAM_META');
    expect(codeOf(() => cache.endStreamInChannel('c', 1, 'nope' as EndReason))).toBe('INVALID_OPTION');
  });
});

describe('updateStreamMeta', () => {
  it('applies the change and keeps every index in step', () => {
    const { cache, clock } = setup();
    cache.openStream({
      messageId: '1',
      channelId: 'a',
      channelType: 1,
      fromUid: 'u1',
      customFields: { p: 'high' },
    });
    clock.advance(50);
    const next = cache.updateStreamMeta('1', (m) => {
      m.channelId = 'b';
      m.fromUid = 'u2';
      setCustomField(m, 'p', 'low');
      setCustomField(m, 'updated', true);
    });
    expect(next).toMatchObject({ channelId: 'b', fromUid: 'u2', updatedAt: START + 50, createdAt: START });
    expect(cache.hasStreamInChannel('a', 1)).toBe(false);
    expect(cache.getStreamsByChannel('b', 1).map((m) => m.messageId)).toEqual(['1']);
    expect(cache.getStreamsByUser('u1')).toEqual([]);
    expect(cache.getStreamsByUser('u2')).toHaveLength(1);
    expect(cache.getStreamsByCustomField('p', 'high')).toEqual([]);
    expect(cache.getStreamsByCustomField('p', 'low')).toHaveLength(1);
    expect(cache.getStreamsByCustomField('updated', true)).toHaveLength(1);
  });

  it('changes nothing when the function throws, is async, or leaves invalid metadata', () => {
    const { cache } = setup();
    cache.openStream({ messageId: '1', channelId: 'a' });
    const before = cache.getStream('1')!.meta;
    expect(() =>
      cache.updateStreamMeta('1', (m) => {
        m.channelId = 'b';
        throw new Error('boom');
      }),
    ).toThrow('boom');
    const asyncUpdate = (async () => {}) as unknown as () => void;
    expect(codeOf(() => cache.updateStreamMeta('1', asyncUpdate))).toBe('INVALID_OPTION');
    expect(codeOf(() => cache.updateStreamMeta('1', 'x' as unknown as () => void))).toBe('INVALID_OPTION');
    expect(
      codeOf(() =>
        cache.updateStreamMeta('1', (m) => {
          m.channelType = 999;
        }),
      ),
    ).toBe('INVALID_STREAM_META');
    expect(
      codeOf(() =>
        cache.updateStreamMeta('1', (m) => {
          (m as { messageId: string }).messageId = '2';
        }),
      ),
    ).toBe('INVALID_STREAM_META');
    expect(cache.getStream('1')!.meta).toEqual(before);
    expect(cache.hasStreamInChannel('a', 0)).toBe(true);
  });

  it('reports unknown and ended streams, including one ended by the update function itself', () => {
    const { cache } = setup();
    expect(codeOf(() => cache.updateStreamMeta('1', () => {}))).toBe('STREAM_NOT_FOUND');
    cache.openStream({ messageId: '1' });
    expect(codeOf(() => cache.updateStreamMeta('1', () => cache.endStream('1')))).toBe('STREAM_CLOSED');
    expect(codeOf(() => cache.updateStreamMeta('1', () => {}))).toBe('STREAM_CLOSED');
  });
});

describe('queries', () => {
  it('find streams by channel, user and custom field, and return copies', () => {
    const { cache } = setup();
    cache.openStream({
      messageId: '1',
      channelId: 'g',
      channelType: 1,
      fromUid: 'ann',
      customFields: { n: 1 },
    });
    cache.openStream({
      messageId: '2',
      channelId: 'g',
      channelType: 1,
      fromUid: 'bob',
      customFields: { n: '1' },
    });
    cache.openStream({
      messageId: '3',
      channelId: 'g',
      channelType: 2,
      fromUid: 'ann',
      customFields: { n: 1n },
    });
    cache.openStream({ messageId: '4', customFields: { obj: { a: 1 }, nil: null, flag: false } });
    const ids = (metas: StreamMeta[]) => metas.map((m) => m.messageId);
    expect(ids(cache.getStreamsByChannel('g', 1))).toEqual(['1', '2']);
    expect(ids(cache.getStreamsByUser('ann'))).toEqual(['1', '3']);
    expect(ids(cache.getStreamsByCustomField('n', 1))).toEqual(['1']);
    expect(ids(cache.getStreamsByCustomField('n', '1'))).toEqual(['2']);
    expect(ids(cache.getStreamsByCustomField('n', 1n))).toEqual(['3']);
    expect(ids(cache.getStreamsByCustomField('nil', null))).toEqual(['4']);
    expect(ids(cache.getStreamsByCustomField('flag', false))).toEqual(['4']);
    expect(cache.getStreamsByCustomField('obj', { a: 1 })).toEqual([]);
    expect(cache.getStreamsByUser('nobody')).toEqual([]);
    expect(cache.hasStreamInChannel('g', 2)).toBe(true);
    expect(cache.hasStreamInChannel('g', 3)).toBe(false);
    expect(codeOf(() => cache.hasStreamInChannel('g', -1))).toBe('INVALID_STREAM_META');
    expect(codeOf(() => cache.getStreamsByChannel('g', 1.5))).toBe('INVALID_STREAM_META');
    expect(codeOf(() => cache.getStreamsByUser(1 as unknown as string))).toBe('INVALID_STREAM_META');
    expect(codeOf(() => cache.getStreamsByCustomField(1 as unknown as string, 1))).toBe(
      'INVALID_STREAM_META',
    );

    const copy = cache.getStreamsByUser('ann')[0]!;
    copy.customFields.n = 2;
    copy.fromUid = 'eve';
    expect(getCustomFieldString(cache.getStreamsByUser('ann')[0]!, 'n')).toBeUndefined();
    expect(cache.getStreamsByCustomField('n', 1)).toHaveLength(1);
  });

  it('getStream gives a snapshot view whose text() follows chunkId order and decodes UTF-8 across chunks', () => {
    const { cache, clock } = setup();
    cache.openStream({ messageId: '1' });
    expect(cache.getStream('1')).toMatchObject({ chunkCount: 0, bytes: 0, lastChunkId: undefined });
    const euro = new TextEncoder().encode('€'); // 3 bytes, split across two binary chunks
    cache.appendChunk({ messageId: '1', chunkId: 3, payload: '!' });
    cache.appendChunk({ messageId: '1', chunkId: 0, payload: 'price: ' });
    cache.appendChunk({ messageId: '1', chunkId: 2, payload: euro.subarray(1) });
    clock.advance(1_000);
    cache.appendChunk({ messageId: '1', chunkId: 1, payload: euro.subarray(0, 1) });
    const view = cache.getStream(1n)!;
    expect(view.text()).toBe('price: €!');
    expect(view).toMatchObject({ chunkCount: 4, bytes: 7 + 3 + 1, lastChunkId: 3, createdAt: START });
    expect(view.updatedAt).toBeGreaterThan(START);
    cache.appendChunk({ messageId: '1', chunkId: 4, payload: ' more' });
    expect(view.text()).toBe('price: €!');
    expect(cache.getStream('1')!.text()).toBe('price: €! more');
    expect(cache.getStream('2')).toBeUndefined();
    expect(codeOf(() => cache.getStream('nope'))).toBe('INVALID_MESSAGE_ID');
  });

  it('listStreams lists the most recently updated first, up to a limit', () => {
    const { cache, clock } = setup();
    for (const id of ['1', '2', '3']) {
      cache.openStream({ messageId: id });
      clock.advance(1_000);
    }
    cache.appendChunk({ messageId: '1', chunkId: 0, payload: 'x' });
    expect(cache.listStreams().map((v) => v.meta.messageId)).toEqual(['1', '3', '2']);
    expect(cache.listStreams(1).map((v) => [v.meta.messageId, v.chunkCount, v.bytes])).toEqual([['1', 1, 1]]);
    expect(cache.listStreams(0)).toEqual([]);
  });
});

describe('stats and memory', () => {
  it('reports the operators snapshot and lifetime counters', async () => {
    const { cache } = setup({ maxStreams: 10, maxMemoryBytes: 10_000, maxChunksPerStream: 5 });
    cache.openStream({ messageId: '1' });
    cache.appendChunk({ messageId: '1', chunkId: 0, payload: 'abc' });
    cache.openStream({ messageId: '2' });
    cache.endStream('2');
    await flush();
    expect(cache.getStats()).toEqual({
      memoryBytes: CACHE_STREAM_OVERHEAD_BYTES + CACHE_CHUNK_OVERHEAD_BYTES + 3,
      maxMemoryBytes: 10_000,
      streams: 1,
      maxStreams: 10,
      chunks: 1,
      maxChunksPerStream: 5,
      completed: 1,
      completionFailures: 0,
      deadLettered: 0,
      deadLetterHookFailures: 0,
      retriesScheduled: 0,
      opened: 2,
      appended: 1,
      ended: 1,
      endedByReason: { success: 1, timeout: 0, error: 0, cancelled: 0, force: 0 },
      pendingCompletions: 0,
    });
    expect(cache.getStreamCount()).toBe(1);
  });

  it('isMemoryLimitReached compares with a fraction of the limit', () => {
    const { cache } = setup({ maxMemoryBytes: 2 * CACHE_STREAM_OVERHEAD_BYTES });
    expect(cache.isMemoryLimitReached(0.5)).toBe(false);
    cache.openStream({ messageId: '1' }); // exactly half
    expect(cache.isMemoryLimitReached(0.5)).toBe(true);
    expect(cache.isMemoryLimitReached(0.9)).toBe(false);
    expect(cache.isMemoryLimitReached()).toBe(false);
    for (const bad of [0, -0.1, 1.5, Number.NaN])
      expect(codeOf(() => cache.isMemoryLimitReached(bad))).toBe('INVALID_OPTION');
  });
});

describe('lifecycle listeners', () => {
  it('emit open, update, end and completion with copies, and unsubscribe', async () => {
    const { cache } = setup();
    const seen: string[] = [];
    const off = cache.on('open', (m) => {
      seen.push(`open ${m.messageId}`);
      m.channelId = 'mutated';
    });
    cache.on('update', (m) => seen.push(`update ${m.fromUid}`));
    cache.on('end', (m, reason) => seen.push(`end ${m.messageId} ${reason} ${m.closed}`));
    cache.on('completion', (m, outcome) =>
      seen.push(`completion ${m.messageId} ${outcome.status} ${outcome.attempts}`),
    );
    cache.openStream({ messageId: '1' });
    off();
    cache.openStream({ messageId: '2' });
    cache.updateStreamMeta('1', (m) => {
      m.fromUid = 'u9';
    });
    cache.endStream('1', EndReason.Error);
    expect(seen).toEqual(['open 1', 'update u9', 'end 1 error true']);
    await flush();
    expect(seen.at(-1)).toBe('completion 1 completed 1');
    expect(cache.getStreamsByChannel('', 0).map((m) => m.messageId)).toEqual(['2']);
  });

  it('reports a throwing listener without undoing or interrupting the change', () => {
    const reported: unknown[] = [];
    vi.stubGlobal('reportError', (err: unknown) => reported.push(err));
    const { cache } = setup();
    const second = vi.fn();
    cache.on('open', () => {
      throw new Error('listener bug');
    });
    cache.on('open', second);
    cache.openStream({ messageId: '1' });
    expect(cache.getStreamCount()).toBe(1);
    expect(second).toHaveBeenCalledOnce();
    expect(reported).toEqual([new Error('listener bug')]);
  });
});

describe('64-bit message IDs', () => {
  it(`keep ${SNOWFLAKE} exact through every API and callback`, async () => {
    const seen: string[] = [];
    const { cache, completed } = setup();
    cache.on('open', (m) => seen.push(m.messageId));
    cache.on('end', (m) => seen.push(m.messageId));
    cache.on('completion', (m) => seen.push(m.messageId));
    cache.openStream(
      new StreamMetaBuilder(1843563473929170944n)
        .channel('general', 1)
        .from('u1')
        .customField('k', 'v')
        .build(),
    );
    cache.appendChunk({ messageId: SNOWFLAKE, chunkId: 1, payload: 'b' });
    cache.appendChunk({ messageId: 1843563473929170944n, chunkId: 0, payload: 'a' });
    cache.updateStreamMeta(SNOWFLAKE, (m) => setCustomField(m, 'x', 1));
    expect(cache.getStreamsByChannel('general', 1)[0]!.messageId).toBe(SNOWFLAKE);
    expect(cache.getStreamsByUser('u1')[0]!.messageId).toBe(SNOWFLAKE);
    expect(cache.getStreamsByCustomField('k', 'v')[0]!.messageId).toBe(SNOWFLAKE);
    expect(cache.getStream(1843563473929170944n)!.meta.messageId).toBe(SNOWFLAKE);
    expect(cache.listStreams()[0]!.meta.messageId).toBe(SNOWFLAKE);
    // the neighbours of a precision-losing number are distinct streams
    expect(
      codeOf(() => cache.appendChunk({ messageId: '1843563473929170945', chunkId: 2, payload: 'c' })),
    ).toBe('STREAM_NOT_FOUND');
    expect(cache.endStreamInChannel('general', 1).ended).toEqual([SNOWFLAKE]);
    await flush();
    expect(completed).toHaveLength(1);
    const [done] = completed;
    expect(done!.messageId).toBe(SNOWFLAKE);
    expect(done!.meta.messageId).toBe(SNOWFLAKE);
    expect(done!.chunks.map((c) => [c.messageId, c.chunkId, c.payload])).toEqual([
      [SNOWFLAKE, 0, 'a'],
      [SNOWFLAKE, 1, 'b'],
    ]);
    expect(seen).toEqual([SNOWFLAKE, SNOWFLAKE, SNOWFLAKE]);
  });
});

describe('after close', () => {
  it('refuses every change with CACHE_CLOSED but still answers queries', async () => {
    const { cache } = setup();
    await cache.close();
    expect(cache.closed).toBe(true);
    expect(codeOf(() => cache.openStream({ messageId: '1' }))).toBe('CACHE_CLOSED');
    expect(codeOf(() => cache.appendChunk({ messageId: '1', chunkId: 0, payload: 'x' }))).toBe(
      'CACHE_CLOSED',
    );
    expect(codeOf(() => cache.endStream('1'))).toBe('CACHE_CLOSED');
    expect(codeOf(() => cache.endStreamInChannel('c', 1))).toBe('CACHE_CLOSED');
    expect(codeOf(() => cache.updateStreamMeta('1', () => {}))).toBe('CACHE_CLOSED');
    expect(cache.getStreamCount()).toBe(0);
    expect(cache.hasStreamInChannel('c', 1)).toBe(false);
    expect(cache.getStats().streams).toBe(0);
  });
});
