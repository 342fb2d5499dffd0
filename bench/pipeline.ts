/**
 * Pipeline throughput: 100,000 small JSON items through `createPipeline` with the JSON
 * array encoder into a reader that discards the chunks, against the naive baseline of
 * `JSON.stringify(wholeArray)` plus one `TextEncoder.encode` (which holds everything in
 * memory at once and cannot stream, but is the fastest way to make the same bytes).
 *
 * The pipeline runs in two builds, which is the decision this benchmark exists for:
 * - `text`: chunks built by string concatenation, encoded once per chunk (the default);
 * - `pool`: every item `encodeInto` a scratch buffer borrowed from a `BufferPool`, copied
 *   out per chunk.
 * Each runs on a sync source (an array) and on an async generator (one await per item,
 * like a database cursor). Rounds alternate the order of the variants; figures are medians
 * over rounds, GC counts and pause times come from `PerformanceObserver('gc')`.
 */
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { createBufferPool, createPipeline, jsonArrayEncoder } from '@spool/core';
import { type BenchOutput, median, pick, report } from './harness';

const ITEMS = pick(100_000, 20_000);
const ROUNDS = pick(15, 3);

interface Item {
  id: string;
  event: string;
  data: { messageId: string; chunkId: number; text: string };
}

const items: Item[] = Array.from({ length: ITEMS }, (_, i) => ({
  id: `1731900000000-${i}`,
  event: 'msg.delta',
  data: { messageId: '1843563473929170944', chunkId: i, text: ` token ${i % 97}` },
}));

async function* fromCursor(): AsyncGenerator<Item> {
  for (const item of items) yield item;
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
  const reader = stream.getReader();
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return bytes;
    bytes += value.byteLength;
  }
}

const pool = createBufferPool({ bufferSize: 64 * 1024 });
const encoder = jsonArrayEncoder();
const variants: Record<string, () => Promise<number>> = {
  naive: async () => new TextEncoder().encode(JSON.stringify(items)).byteLength,
  'text, array source': () => drain(createPipeline({ fetcher: items, encoder })),
  'pool, array source': () => drain(createPipeline({ fetcher: items, encoder, bufferPool: pool })),
  'text, async source': () => drain(createPipeline({ fetcher: fromCursor, encoder })),
  'pool, async source': () => drain(createPipeline({ fetcher: fromCursor, encoder, bufferPool: pool })),
};

export default async function run(): Promise<BenchOutput> {
  const names = Object.keys(variants);
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const gcCount: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const gcMs: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const windows: Array<{ name: string; from: number; to: number; gcs: number; gcMs: number }> = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const w = windows.find((x) => e.startTime >= x.from && e.startTime <= x.to);
      if (w) {
        w.gcs++;
        w.gcMs += e.duration;
      }
    }
  });
  observer.observe({ entryTypes: ['gc'] });

  let bytes = 0;
  for (let round = -1; round < ROUNDS; round++) {
    const order = round % 2 ? names : [...names].reverse();
    for (const name of order) {
      (globalThis as { gc?: () => void }).gc?.();
      // The window exists before the run, so GC entries delivered mid-run find it.
      const window = { name, from: performance.now(), to: Number.POSITIVE_INFINITY, gcs: 0, gcMs: 0 };
      if (round >= 0) windows.push(window);
      const n = await variants[name]!();
      window.to = performance.now();
      if (bytes === 0) bytes = n;
      if (n !== bytes) throw new Error(`${name} produced ${n} bytes, expected ${bytes}`);
      if (round >= 0) times[name]!.push(window.to - window.from);
    }
  }
  // GC entries are delivered asynchronously; give the observer a turn before reading them.
  await new Promise((r) => setTimeout(r, 50));
  observer.disconnect();
  for (const w of windows) {
    gcCount[w.name]!.push(w.gcs);
    gcMs[w.name]!.push(w.gcMs);
  }

  const mbps = (name: string) => bytes / 2 ** 20 / (median(times[name]!) / 1000);
  const ips = (name: string) => ITEMS / (median(times[name]!) / 1000);
  const rows = [];
  for (const name of names) {
    rows.push({
      name: `${name}: throughput`,
      value: mbps(name),
      unit: 'MB/s',
      peer: 'naive',
      ratio: mbps(name) / mbps('naive'),
    });
    rows.push({ name: `${name}: items`, value: ips(name), unit: 'items/s' });
    rows.push({
      name: `${name}: GCs per run / GC pause`,
      value: median(gcCount[name]!),
      unit: `GCs, ${median(gcMs[name]!).toFixed(2)} ms`,
    });
  }
  rows.push({
    name: 'pool vs text (array source)',
    value: mbps('pool, array source'),
    unit: 'MB/s',
    peer: 'text',
    ratio: mbps('pool, array source') / mbps('text, array source'),
  });
  rows.push({
    name: 'pool vs text (async source)',
    value: mbps('pool, async source'),
    unit: 'MB/s',
    peer: 'text',
    ratio: mbps('pool, async source') / mbps('text, async source'),
  });
  const table = report(
    `pipeline: ${ITEMS.toLocaleString('en-US')} JSON items, ${(bytes / 2 ** 20).toFixed(1)} MB, JSON array encoder, 32 KiB chunks, median of ${ROUNDS}`,
    rows,
  );
  return { tables: [table] };
}
