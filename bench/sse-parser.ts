/**
 * SSE parser throughput: @spool/core's `SseParser` core against eventsource-parser's
 * `createParser`, on the same LLM-like stream (many small events with `id:`, `event:` and
 * a JSON `data:` line), fed as the same string chunks of 1 to 4 KiB. The stream wrappers
 * are left out on purpose: both cores see identical strings, so only parsing is compared.
 * Each round runs both parsers (alternating which goes first); throughputs are medians and
 * the ratio is the median of the per-round ratios.
 *
 * The headline figure uses the strings a client really has (each network read decoded by
 * a streaming TextDecoder). A second pair feeds the same split as `slice` views of one
 * big string, which V8 holds as sliced strings: eventsource-parser copies each chunk into
 * a flat string when it joins the carried partial line, and that copy pays off there, so
 * the ratio is lower; it is printed so the figure is not cherry-picked.
 */
import { SseParser } from '@spool/core';
import { seededRandom } from '@spool/core/internal';
import { createParser } from 'eventsource-parser';
import { type BenchOutput, median, pick, report } from './harness';

const TARGET_BYTES = pick(8, 2) * 1024 * 1024;
const ROUNDS = pick(21, 5);

const WORDS = [
  ' the',
  ' a',
  ' stream',
  ' token',
  ' Hello',
  ',',
  '.',
  ' résumé',
  ' 数据',
  ' 🙂',
  ' and',
  ' of',
  '\\n',
];

function buildStream(rand: () => number): { text: string; events: number } {
  let text = '';
  let events = 0;
  let ms = 1_731_900_000_000;
  let seq = 0;
  let chunkId = 0;
  const messageId = '1843563473929170944';
  while (text.length < TARGET_BYTES) {
    if (rand() < 0.3) {
      ms += 1;
      seq = 0;
    } else seq += 1;
    let piece = '';
    const words = 1 + Math.floor(rand() * 4);
    for (let i = 0; i < words; i++) piece += WORDS[Math.floor(rand() * WORDS.length)];
    const event = chunkId % 500 === 0 ? 'msg.open' : 'msg.delta';
    text += `id: ${ms}-${seq}\nevent: ${event}\ndata: {"messageId":"${messageId}","chunkId":${chunkId},"text":"${piece}"}\n\n`;
    chunkId++;
    events++;
    if (events % 200 === 0) text += ': hb\n\n';
  }
  return { text, events };
}

/**
 * The chunks a client really feeds its parser: the UTF-8 body split into network reads
 * of 1-4 KiB, each decoded by one streaming TextDecoder (as `createSseParserStream`
 * does), so each is a fresh flat string.
 */
function decodedChunks(text: string, rand: () => number): string[] {
  const bytes = new TextEncoder().encode(text);
  const decoder = new TextDecoder();
  const chunks: string[] = [];
  for (let pos = 0; pos < bytes.length; ) {
    const size = 1024 + Math.floor(rand() * 3 * 1024);
    chunks.push(decoder.decode(bytes.subarray(pos, pos + size), { stream: true }));
    pos += size;
  }
  return chunks;
}

/** The same split as `String#slice` views into one big string (V8 sliced strings). */
function slicedChunks(decoded: string[]): string[] {
  const text = decoded.join('');
  const chunks: string[] = [];
  let pos = 0;
  for (const c of decoded) {
    chunks.push(text.slice(pos, pos + c.length));
    pos += c.length;
  }
  return chunks;
}

type Feeder = (onEvent: (ev: { data: string }) => void) => { feed(chunk: string): void };

const spoolCore: Feeder = (onEvent) => new SseParser({ onEvent });
const peerCore: Feeder = (onEvent) => createParser({ onEvent });

/** Parses every chunk once; returns the time taken, after checking the event count. */
function timeMs(make: Feeder, chunks: string[], expected: number): number {
  let n = 0;
  let dataChars = 0;
  const parser = make((ev) => {
    n++;
    dataChars += ev.data.length;
  });
  const t0 = performance.now();
  for (const c of chunks) parser.feed(c);
  const t = performance.now() - t0;
  if (n !== expected || dataChars === 0) throw new Error(`parser saw ${n} events, expected ${expected}`);
  return t;
}

interface Comparison {
  spoolMbps: number;
  peerMbps: number;
  /** Median of the per-round ratios peerTime / spoolTime (robust to load changing between rounds). */
  ratio: number;
}

function compare(chunks: string[], events: number, mb: number): Comparison {
  // Warm both up so the JIT has compiled their hot paths.
  for (let i = 0; i < 3; i++) {
    timeMs(spoolCore, chunks, events);
    timeMs(peerCore, chunks, events);
  }
  const spool: number[] = [];
  const peer: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    // Alternate which runs first, so neither always gets the warmer cache.
    let s: number;
    let p: number;
    if (i % 2 === 0) {
      s = timeMs(spoolCore, chunks, events);
      p = timeMs(peerCore, chunks, events);
    } else {
      p = timeMs(peerCore, chunks, events);
      s = timeMs(spoolCore, chunks, events);
    }
    spool.push(s);
    peer.push(p);
    ratios.push(p / s);
  }
  return {
    spoolMbps: mb / (median(spool) / 1000),
    peerMbps: mb / (median(peer) / 1000),
    ratio: median(ratios),
  };
}

export default async function run(): Promise<BenchOutput> {
  const rand = seededRandom(20_241_118);
  const { text, events } = buildStream(rand);
  const decoded = decodedChunks(text, rand);
  const sliced = slicedChunks(decoded);
  // MB counts UTF-8 bytes on the wire, which is what a server sends.
  const mb = new TextEncoder().encode(text).byteLength / 1e6;

  const real = compare(decoded, events, mb);
  const views = compare(sliced, events, mb);
  const table = report(
    `SSE parser core: ${mb.toFixed(1)} MB, ${events.toLocaleString('en-US')} LLM-like events, ${decoded.length} chunks of 1-4 KiB, median of ${ROUNDS} rounds`,
    [
      {
        name: 'SseParser, TextDecoder chunks',
        value: real.spoolMbps,
        unit: 'MB/s',
        peer: 'eventsource-parser',
        ratio: real.ratio,
        target: '>= 1x',
      },
      { name: 'eventsource-parser 3.x, TextDecoder chunks', value: real.peerMbps, unit: 'MB/s' },
      {
        name: 'SseParser, sliced-string chunks',
        value: views.spoolMbps,
        unit: 'MB/s',
        peer: 'eventsource-parser',
        ratio: views.ratio,
      },
      { name: 'eventsource-parser 3.x, sliced-string chunks', value: views.peerMbps, unit: 'MB/s' },
    ],
  );
  return { tables: [table] };
}
