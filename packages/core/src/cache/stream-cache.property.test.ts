import fc from 'fast-check';
import { describe, it } from 'vitest';
import { isSpoolError } from '../errors';
import { createManualClock } from '../time/clock';
import { EndReason } from './end-reason';
import { CACHE_CHUNK_OVERHEAD_BYTES, CACHE_STREAM_OVERHEAD_BYTES, utf8ByteLength } from './memory-cost';
import type { ChunkPayload, MessageChunk } from './message-chunk';
import { StreamCache } from './stream-cache';
import { CACHE_TIME_RESOLUTION_MS } from './stream-deadlines';
import type { StreamMeta } from './stream-meta';

// Small pools, so that random sequences collide often: duplicate chunks, full caches,
// reopened IDs, streams moving between channels.
const IDS = ['1843563473929170944', '1843563473929170945', '7', '8', '9'];
const CHANNELS: Array<[string, number]> = [
  ['a', 1],
  ['a', 2],
  ['b', 1],
];
const USERS = ['u1', 'u2', ''];
const FIELD_VALUES: unknown[] = ['x', 'y', 1, true, null];
// Only the cache itself ends with 'timeout' here, so that every timeout can be checked as not early.
const REASONS = Object.values(EndReason).filter((r) => r !== EndReason.Timeout);
const LIMITS = {
  maxMemoryBytes: 3 * CACHE_STREAM_OVERHEAD_BYTES + 12 * CACHE_CHUNK_OVERHEAD_BYTES + 300,
  maxStreams: 4,
  maxChunksPerStream: 6,
  chunkInactivityTimeoutMs: 1_000,
  streamTimeoutMs: 4_000,
  cleanupIntervalMs: 2_500,
};

const payload: fc.Arbitrary<ChunkPayload> = fc.oneof(
  fc.constantFrom('', 'a', 'héllo', '😀😀', 'x'.repeat(40)),
  fc.uint8Array({ maxLength: 60 }),
);
const idIndex = fc.nat(IDS.length - 1);
const op = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('open' as const),
      id: idIndex,
      channel: fc.nat(CHANNELS.length - 1),
      user: fc.nat(USERS.length - 1),
      field: fc.option(fc.nat(FIELD_VALUES.length - 1), { nil: undefined }),
    }),
  },
  {
    weight: 10,
    arbitrary: fc.record({ kind: fc.constant('append' as const), id: idIndex, chunkId: fc.nat(7), payload }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('end' as const),
      id: idIndex,
      reason: fc.constantFrom(...REASONS),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('endChannel' as const), channel: fc.nat(CHANNELS.length - 1) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('update' as const),
      id: idIndex,
      channel: fc.nat(CHANNELS.length - 1),
      user: fc.nat(USERS.length - 1),
      field: fc.option(fc.nat(FIELD_VALUES.length - 1), { nil: undefined }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 300, max: 2_500 })),
    }),
  },
);

interface Instance {
  chunks: Map<number, ChunkPayload>;
  settled: number;
}

function fail(message: string): never {
  throw new Error(message);
}

function sameSet(actual: string[], expected: string[], what: string): void {
  const a = [...actual].sort().join(',');
  const e = [...expected].sort().join(',');
  if (a !== e) fail(`${what}: index gave [${a}], a scan gives [${e}]`);
}

describe('StreamCache (property)', () => {
  it('keeps memory bounded, indexes exact and completes every stream exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 10, maxLength: 80 }),
        fc.subarray(IDS),
        fc.subarray(IDS),
        async (ops, flaky, broken) => {
          const clock = createManualClock(1_700_000_000_000);
          const current = new Map<string, Instance>();
          const instances: Instance[] = [];
          const lastChunkAt = new Map<string, number>();
          // Problems seen inside callbacks and listeners are recorded, not thrown: a throw there
          // would count as a failed completion (and be retried) or be reported, unseen by fast-check.
          const problems: string[] = [];
          const settle = (id: string, chunks: MessageChunk[], meta: StreamMeta) => {
            const instance = current.get(id);
            if (instance === undefined) return void problems.push(`completion for ${id}, never opened`);
            instance.settled++;
            if (meta.messageId !== id || !meta.closed || meta.endReason === undefined)
              problems.push(`${id}: bad meta`);
            const expected = [...instance.chunks.entries()].sort((x, y) => x[0] - y[0]);
            const got = chunks.map((c) => [c.messageId, c.chunkId, c.payload]);
            const want = expected.map(([chunkId, p]) => [id, chunkId, p]);
            if (got.length !== want.length || got.some((g, i) => g.some((v, j) => v !== want[i]![j]))) {
              problems.push(`${id}: completed chunks differ from the appended ones`);
            }
          };
          const cache = new StreamCache({
            clock,
            ...LIMITS,
            completionRetry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 50 },
            onStreamComplete: async (id, chunks, meta, { attempt }) => {
              if (broken.includes(id) || (flaky.includes(id) && attempt === 1)) throw new Error('store down');
              settle(id, chunks, meta);
            },
            onCompleteFailed: (id, chunks, meta) => settle(id, chunks, meta),
          });

          // A timeout is never early: the stream was idle or old enough.
          cache.on('end', (meta, reason) => {
            if (reason !== 'timeout') return;
            const now = clock.now();
            const idle = now >= lastChunkAt.get(meta.messageId)! + LIMITS.chunkInactivityTimeoutMs;
            const old = now >= meta.createdAt + LIMITS.streamTimeoutMs;
            if (!idle && !old) problems.push(`${meta.messageId} timed out early at ${now}`);
          });

          const attempt = (fn: () => void) => {
            try {
              fn();
              return true;
            } catch (err) {
              if (!isSpoolError(err)) throw err;
              return false;
            }
          };

          const check = () => {
            if (problems.length > 0) fail(problems.join('; '));
            const views = cache.listStreams();
            const memory = cache.getMemoryUsage();
            if (memory > LIMITS.maxMemoryBytes) fail(`memory ${memory} above the limit`);
            const counted = views.reduce(
              (sum, v) =>
                sum + CACHE_STREAM_OVERHEAD_BYTES + v.chunkCount * CACHE_CHUNK_OVERHEAD_BYTES + v.bytes,
              0,
            );
            if (memory !== counted) fail(`memory ${memory}, but the streams account for ${counted}`);
            const metas = views.map((v) => v.meta);
            for (const [channelId, channelType] of CHANNELS) {
              const scan = metas.filter((m) => m.channelId === channelId && m.channelType === channelType);
              const found = cache.getStreamsByChannel(channelId, channelType).map((m) => m.messageId);
              sameSet(
                found,
                scan.map((m) => m.messageId),
                `channel ${channelType}:${channelId}`,
              );
              if (cache.hasStreamInChannel(channelId, channelType) !== scan.length > 0)
                fail('hasStreamInChannel');
            }
            for (const uid of USERS) {
              const scan = metas.filter((m) => m.fromUid === uid).map((m) => m.messageId);
              sameSet(
                cache.getStreamsByUser(uid).map((m) => m.messageId),
                scan,
                `user ${uid}`,
              );
            }
            for (const value of FIELD_VALUES) {
              const scan = metas.filter(
                (m) => Object.hasOwn(m.customFields, 'p') && m.customFields.p === value,
              );
              const found = cache.getStreamsByCustomField('p', value).map((m) => m.messageId);
              sameSet(
                found,
                scan.map((m) => m.messageId),
                `field p=${String(value)}`,
              );
            }
            const now = clock.now();
            for (const v of views) {
              const idleUntil = lastChunkAt.get(v.meta.messageId)! + LIMITS.chunkInactivityTimeoutMs;
              if (now >= idleUntil + CACHE_TIME_RESOLUTION_MS)
                fail(`${v.meta.messageId} outlived its inactivity`);
              if (now >= v.createdAt + LIMITS.streamTimeoutMs)
                fail(`${v.meta.messageId} outlived streamTimeoutMs`);
            }
            for (const v of views) {
              const instance = current.get(v.meta.messageId)!;
              if (v.chunkCount !== instance.chunks.size)
                fail(`${v.meta.messageId}: chunk count differs from the model`);
            }
          };

          // Streams that ended on their own are found by comparing with the open list.
          for (const o of ops) {
            if (o.kind === 'open') {
              const id = IDS[o.id]!;
              const [channelId, channelType] = CHANNELS[o.channel]!;
              const customFields = o.field === undefined ? {} : { p: FIELD_VALUES[o.field] };
              const ok = attempt(() =>
                cache.openStream({
                  messageId: id,
                  channelId,
                  channelType,
                  fromUid: USERS[o.user]!,
                  customFields,
                }),
              );
              if (ok) {
                const instance: Instance = { chunks: new Map(), settled: 0 };
                instances.push(instance);
                current.set(id, instance);
                lastChunkAt.set(id, clock.now());
              }
            } else if (o.kind === 'append') {
              const id = IDS[o.id]!;
              const open = cache.getStream(id) !== undefined;
              const duplicate = open && current.get(id)!.chunks.has(o.chunkId);
              const ok = attempt(() =>
                cache.appendChunk({ messageId: id, chunkId: o.chunkId, payload: o.payload }),
              );
              if (ok) {
                if (!open || duplicate) fail(`append to ${id} chunk ${o.chunkId} should have failed`);
                current.get(id)!.chunks.set(o.chunkId, o.payload);
                lastChunkAt.set(id, clock.now());
              } else if (open && !duplicate) {
                const bytes =
                  typeof o.payload === 'string' ? utf8ByteLength(o.payload) : o.payload.byteLength;
                const room = LIMITS.maxMemoryBytes - cache.getMemoryUsage() - CACHE_CHUNK_OVERHEAD_BYTES;
                const full = cache.getStream(id)!.chunkCount >= LIMITS.maxChunksPerStream;
                if (!full && bytes <= room) fail(`append to ${id} failed with room to spare`);
              }
            } else if (o.kind === 'end') {
              attempt(() => cache.endStream(IDS[o.id]!, o.reason));
            } else if (o.kind === 'endChannel') {
              const [channelId, channelType] = CHANNELS[o.channel]!;
              const result = cache.endStreamInChannel(channelId, channelType);
              if (result.failures.length > 0) fail('endStreamInChannel reported failures');
            } else if (o.kind === 'update') {
              const [channelId, channelType] = CHANNELS[o.channel]!;
              attempt(() =>
                cache.updateStreamMeta(IDS[o.id]!, (m) => {
                  m.channelId = channelId;
                  m.channelType = channelType;
                  m.fromUid = USERS[o.user]!;
                  if (o.field === undefined) delete m.customFields.p;
                  else m.customFields.p = FIELD_VALUES[o.field];
                }),
              );
            } else {
              await clock.advanceAsync(o.ms);
            }
            check();
          }

          let closed = false;
          const closing = cache.close().then(() => {
            closed = true;
          });
          while (!closed) await clock.advanceAsync(100);
          await closing;
          check();
          if (cache.getMemoryUsage() !== 0 || cache.getStreamCount() !== 0)
            fail('memory or streams left after close');
          instances.forEach((instance, i) => {
            if (instance.settled !== 1) fail(`stream instance ${i} settled ${instance.settled} times`);
          });
          const stats = cache.getStats();
          if (stats.completed + stats.deadLettered !== instances.length) fail('stats do not add up');
          if (stats.opened !== instances.length || stats.ended !== instances.length)
            fail('opened/ended counters');
        },
      ),
      { numRuns: 150 },
    );
  }, 60_000);
});
