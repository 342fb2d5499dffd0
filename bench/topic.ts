/**
 * Topic benchmarks (log/ of @spool/core):
 * - fan-out in one process: 1 publisher to 1,000 subscribers, events delivered per second,
 *   against a naive array of callbacks looped over per event;
 * - append throughput: 1 publisher, no subscriber, a log trimmed at 10,000 events, against a
 *   naive log (JSON, an ID string, an array trimmed from the front);
 * - catchup cost: 100 events after an ID from a log of 1,000 events and from one of
 *   1,000,000 (binary search: the second should cost at most 1.5x the first), with a
 *   linear scan of the big log for contrast.
 */
import {
  type EventId,
  formatEventId,
  MemoryTopicLog,
  parseEventId,
  Topic,
  type TopicEvent,
} from '@spool/core';
import { type BenchOutput, median, pick, report, type Table } from './harness';

const SUBSCRIBERS = 1_000;
const EVENTS_PER_SAMPLE = pick(5_000, 1_000);
const WARMUP_SAMPLES = 3;
const SAMPLES = pick(7, 3);
/** The big log of the catchup comparison (quick mode: 100,000). */
const BIG_LOG = pick(1_000_000, 100_000);

async function fanOut(): Promise<Table> {
  const topicRates: number[] = [];
  const naiveRates: number[] = [];
  const retention = { maxEvents: 10_000, maxBytes: 64 * 2 ** 20, maxAgeMs: 60_000 };
  // warm-up (the JIT needs a few rounds), then samples alternate between the two so
  // noise hits both alike
  for (let sample = -WARMUP_SAMPLES; sample < SAMPLES; sample++) {
    {
      const topic = new Topic('bench.fanout', { retention });
      let delivered = 0;
      for (let i = 0; i < SUBSCRIBERS; i++)
        topic.subscribe({
          onEvent: () => {
            delivered++;
          },
        });
      const t0 = performance.now();
      for (let i = 0; i < EVENTS_PER_SAMPLE; i++) await topic.append('message', { n: i, text: 'hello' });
      const secs = (performance.now() - t0) / 1000;
      if (delivered !== SUBSCRIBERS * EVENTS_PER_SAMPLE) throw new Error(`topic delivered ${delivered}`);
      if (sample >= 0) topicRates.push(delivered / secs);
      await topic.close();
    }
    {
      // the naive peer: an array of callbacks, looped over per event (no log, no IDs, no JSON)
      const callbacks: ((ev: { n: number; text: string }) => void)[] = [];
      let delivered = 0;
      for (let i = 0; i < SUBSCRIBERS; i++)
        callbacks.push(() => {
          delivered++;
        });
      const t0 = performance.now();
      for (let i = 0; i < EVENTS_PER_SAMPLE; i++) {
        const ev = { n: i, text: 'hello' };
        for (const cb of callbacks) cb(ev);
        await undefined; // the publisher awaits each publish, as with the topic
      }
      const secs = (performance.now() - t0) / 1000;
      if (sample >= 0) naiveRates.push(delivered / secs);
    }
  }
  const topicRate = median(topicRates);
  const naiveRate = median(naiveRates);
  return report(`topic fan-out: 1 publisher → 1,000 subscribers (median of ${SAMPLES})`, [
    { name: 'Topic (append → live subscriptions)', value: topicRate, unit: 'events delivered/s' },
    {
      name: 'naive array of callbacks',
      value: naiveRate,
      unit: 'events delivered/s',
    },
    {
      name: 'Topic / naive',
      value: topicRate / naiveRate,
      unit: 'x',
      peer: 'naive array of callbacks',
      ratio: topicRate / naiveRate,
    },
  ]);
}

/** Events appended per second with nobody subscribed: what every publish pays before fan-out. */
async function appendRate(): Promise<Table> {
  const retention = { maxEvents: 10_000, maxBytes: 64 * 2 ** 20, maxAgeMs: 60_000 };
  const count = EVENTS_PER_SAMPLE * 20;
  const topicRates: number[] = [];
  const naiveRates: number[] = [];
  for (let sample = -WARMUP_SAMPLES; sample < SAMPLES; sample++) {
    {
      const topic = new Topic('bench.append', { retention });
      const t0 = performance.now();
      for (let i = 0; i < count; i++) await topic.append('message', { n: i, text: 'hello' });
      const secs = (performance.now() - t0) / 1000;
      if (sample >= 0) topicRates.push(count / secs);
      await topic.close();
    }
    {
      // the naive peer: serialise, name it, keep at most 10,000 (the older half dropped at
      // once); no validation, no byte accounting, no rate, no ledger; awaited like the append
      const log: { id: string; json: string }[] = [];
      const t0 = performance.now();
      for (let i = 0; i < count; i++) {
        log.push({ id: `${t0}-${i}`, json: JSON.stringify({ n: i, text: 'hello' }) });
        if (log.length > retention.maxEvents) log.splice(0, log.length >> 1);
        await undefined;
      }
      const secs = (performance.now() - t0) / 1000;
      if (sample >= 0) naiveRates.push(count / secs);
    }
  }
  const topicRate = median(topicRates);
  const naiveRate = median(naiveRates);
  return report(`topic append: 1 publisher, no subscriber (median of ${SAMPLES})`, [
    { name: 'Topic.append', value: topicRate, unit: 'events/s' },
    { name: 'naive log (JSON, ID, array)', value: naiveRate, unit: 'events/s' },
    {
      name: 'Topic / naive',
      value: topicRate / naiveRate,
      unit: 'x',
      peer: 'naive log',
      ratio: topicRate / naiveRate,
    },
  ]);
}

async function buildLog(n: number): Promise<{ topic: Topic; events: TopicEvent[] }> {
  const log = new MemoryTopicLog();
  const topic = new Topic(`bench.catchup.${n}`, {
    log,
    retention: { maxEvents: n, maxBytes: 2 ** 40, maxAgeMs: Number.POSITIVE_INFINITY },
  });
  const events: TopicEvent[] = [];
  for (let i = 0; i < n; i++) events.push(await topic.append('message', i));
  return { topic, events };
}

/**
 * IDs to resume after, spread over the middle half of the log, picked before timing. Each
 * is a fresh string, as an ID parsed from a request is.
 */
function resumePoints(events: TopicEvent[], count: number): EventId[] {
  const n = events.length;
  return Array.from({ length: count }, (_, r) =>
    formatEventId(parseEventId(events[Math.floor(n / 4 + ((r * 7919) % (n / 2)))]!.id)),
  );
}

/** Time (µs) of one `topic.read(after, 100)`, averaged over the given resume points. */
async function timeReads(topic: Topic, points: EventId[]): Promise<number> {
  const t0 = performance.now();
  for (const after of points) {
    const page = await topic.read(after, 100);
    if (page.events.length !== 100) throw new Error('short page');
  }
  return ((performance.now() - t0) * 1000) / points.length;
}

/** The contrast: find the position by scanning (comparing parsed IDs), then take the page. */
function scanRead(events: TopicEvent[], after: EventId, limit: number): TopicEvent[] {
  const { ms, seq } = parseEventId(after);
  let i = 0;
  while (i < events.length && (events[i]!.ms < ms || (events[i]!.ms === ms && events[i]!.seq <= seq))) i++;
  return events.slice(i, i + limit);
}

async function catchupCost(): Promise<Table> {
  const small = await buildLog(1_000);
  const big = await buildLog(BIG_LOG);
  const smallPoints = resumePoints(small.events, 2_000);
  const bigPoints = resumePoints(big.events, 2_000);
  // Samples alternate between the two logs, so the machine's noise hits both alike.
  const smallSamples: number[] = [];
  const bigSamples: number[] = [];
  for (let s = -2; s < SAMPLES * 3; s++) {
    const a = await timeReads(small.topic, smallPoints);
    const b = await timeReads(big.topic, bigPoints);
    if (s >= 0) {
      smallSamples.push(a);
      bigSamples.push(b);
    }
  }
  const smallUs = median(smallSamples);
  const bigUs = median(bigSamples);
  const scanSamples: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    const after = big.events[BIG_LOG / 2 + s]!.id;
    const t0 = performance.now();
    if (scanRead(big.events, after, 100).length !== 100) throw new Error('short scan');
    scanSamples.push((performance.now() - t0) * 1000);
  }
  const scanUs = median(scanSamples);
  const table = report('topic catchup: 100 events after an ID (median µs per read)', [
    { name: 'Topic.read, log of 1,000', value: smallUs, unit: 'µs' },
    {
      name: `Topic.read, log of ${BIG_LOG.toLocaleString('en-US')}`,
      value: bigUs,
      unit: 'µs',
      peer: 'log of 1,000',
      ratio: bigUs / smallUs,
      target: '≤ 1.5x',
    },
    {
      name: `linear scan, log of ${BIG_LOG.toLocaleString('en-US')} (contrast)`,
      value: scanUs,
      unit: 'µs',
      peer: 'Topic.read on the same log',
      ratio: scanUs / bigUs,
    },
  ]);
  await small.topic.close();
  await big.topic.close();
  return table;
}

export default async function run(): Promise<BenchOutput> {
  return { tables: [await fanOut(), await appendRate(), await catchupCost()] };
}
