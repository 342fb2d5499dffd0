/**
 * StreamCache append throughput and memory overhead, against a naive Map of arrays (no
 * validation, no accounting) measured in the same run.
 *
 * Workload: 1,000 open streams, 500 chunks each, 64-byte ASCII payloads appended
 * round-robin across the streams (so every append hits a different stream than the last).
 *
 * - appends/s per CPU-second: median of several samples, each filling a fresh cache (or
 *   map), cache and baseline samples interleaved; the ratio is the median of per-pair
 *   ratios. CPU time rather than wall time, because the machine's 2 cores are shared and
 *   wall time mostly measures the neighbours.
 * - heap bytes per chunk beyond the payload: heap after a forced GC with the structure full,
 *   minus heap with the same payload strings retained on their own, divided by the chunks.
 */
import { CACHE_STREAM_OVERHEAD_BYTES, type ChunkPayload, StreamCache } from '@spool/core';
import { type BenchOutput, heapAfterGc, median, pick, report } from './harness';

const STREAMS = 1_000;
const CHUNKS_PER_STREAM = 500;
const TOTAL = STREAMS * CHUNKS_PER_STREAM;
const PAYLOAD_BYTES = 64;
const SAMPLES = pick(7, 3);

// Snowflake-sized IDs, as the server sees them.
const ids = Array.from({ length: STREAMS }, (_, i) => (1843563473929170944n + BigInt(i)).toString());

/** Distinct flat one-byte strings (never cons or sliced strings, whose heap size differs). */
function makePayloads(): string[] {
  const out = new Array<string>(TOTAL);
  const codes = new Array<number>(PAYLOAD_BYTES);
  for (let i = 0; i < TOTAL; i++) {
    let n = i;
    for (let j = 0; j < PAYLOAD_BYTES; j++) {
      codes[j] = 97 + (n % 26);
      n = Math.floor(n / 26) + j;
    }
    out[i] = String.fromCharCode(...codes);
  }
  return out;
}

function newCache(): StreamCache {
  const cache = new StreamCache({
    maxMemoryBytes: 2 ** 30,
    maxStreams: STREAMS,
    maxChunksPerStream: CHUNKS_PER_STREAM,
  });
  for (const id of ids) cache.openStream({ messageId: id, channelId: 'bench', channelType: 1, fromUid: 'u' });
  return cache;
}

function fillCache(cache: StreamCache, payloads: ChunkPayload[]): void {
  let k = 0;
  for (let c = 0; c < CHUNKS_PER_STREAM; c++) {
    for (let s = 0; s < STREAMS; s++)
      cache.appendChunk({ messageId: ids[s]!, chunkId: c, payload: payloads[k++]! });
  }
}

interface NaiveChunk {
  messageId: string;
  chunkId: number;
  payload: ChunkPayload;
}

function newNaive(): Map<string, NaiveChunk[]> {
  const map = new Map<string, NaiveChunk[]>();
  for (const id of ids) map.set(id, []);
  return map;
}

function fillNaive(map: Map<string, NaiveChunk[]>, payloads: ChunkPayload[]): void {
  let k = 0;
  for (let c = 0; c < CHUNKS_PER_STREAM; c++) {
    for (let s = 0; s < STREAMS; s++) {
      const chunk = { messageId: ids[s]!, chunkId: c, payload: payloads[k++]! };
      map.get(chunk.messageId)!.push(chunk);
    }
  }
}

/** CPU time of this process in ms (GC included). */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** One timed fill; returns appends per CPU-second. */
async function sample(payloads: ChunkPayload[], kind: 'cache' | 'naive'): Promise<number> {
  if (kind === 'cache') {
    const cache = newCache();
    const t0 = cpuMs();
    fillCache(cache, payloads);
    const ms = cpuMs() - t0;
    await cache.close();
    return TOTAL / (ms / 1000);
  }
  const map = newNaive();
  const t0 = cpuMs();
  fillNaive(map, payloads);
  const ms = cpuMs() - t0;
  return TOTAL / (ms / 1000);
}

/** Median rates, cache and baseline samples interleaved, and the median per-pair ratio. */
async function rates(payloads: ChunkPayload[]): Promise<{ cache: number; naive: number; ratio: number }> {
  await sample(payloads, 'cache');
  await sample(payloads, 'naive');
  const cache: number[] = [];
  const naive: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const c = await sample(payloads, 'cache');
    const n = await sample(payloads, 'naive');
    cache.push(c);
    naive.push(n);
    ratios.push(c / n);
  }
  return { cache: median(cache), naive: median(naive), ratio: median(ratios) };
}

async function overheadPerChunk(payloads: string[], kind: 'cache' | 'naive'): Promise<number> {
  const base = heapAfterGc();
  let held: StreamCache | Map<string, NaiveChunk[]>;
  if (kind === 'cache') {
    held = newCache();
    fillCache(held, payloads);
  } else {
    held = newNaive();
    fillNaive(held, payloads);
  }
  const perChunk = (heapAfterGc() - base) / TOTAL;
  if (held instanceof StreamCache) await held.close();
  return perChunk;
}

/** Heap per open stream with no chunk (record, metadata, indexes, deadline slot). */
async function heapPerStream(): Promise<number> {
  const base = heapAfterGc();
  const cache = newCache();
  const perStream = (heapAfterGc() - base) / STREAMS;
  await cache.close();
  return perStream;
}

async function medianOf3(fn: () => Promise<number>): Promise<number> {
  const out: number[] = [];
  for (let i = 0; i < 3; i++) out.push(await fn());
  return median(out);
}

export default async function run(): Promise<BenchOutput> {
  const text = makePayloads();
  const textRates = await rates(text);
  const cacheOverhead = await medianOf3(() => overheadPerChunk(text, 'cache'));
  const naiveOverhead = await medianOf3(() => overheadPerChunk(text, 'naive'));
  const perStream = await medianOf3(heapPerStream);
  const table = report(
    `StreamCache: ${STREAMS} streams x ${CHUNKS_PER_STREAM} chunks of ${PAYLOAD_BYTES} B, round-robin`,
    [
      {
        name: 'appendChunk, text payloads (median)',
        value: textRates.cache,
        unit: 'appends/cpu-s',
        peer: 'naive Map of arrays',
        ratio: textRates.ratio,
        target: '>= 0.3x',
      },
      { name: 'naive Map of arrays, text payloads (median)', value: textRates.naive, unit: 'appends/cpu-s' },
      {
        name: 'heap overhead per chunk beyond payload',
        value: cacheOverhead,
        unit: 'B/chunk',
        peer: 'naive Map of arrays',
        ratio: cacheOverhead / naiveOverhead,
        target: '<= 64 B',
      },
      { name: 'naive heap overhead per chunk', value: naiveOverhead, unit: 'B/chunk' },
      {
        name: 'heap per open stream (no chunks)',
        value: perStream,
        unit: 'B/stream',
        target: `<= CACHE_STREAM_OVERHEAD_BYTES (${CACHE_STREAM_OVERHEAD_BYTES})`,
      },
    ],
  );
  return { tables: [table] };
}
