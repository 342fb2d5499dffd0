/**
 * Topic benchmarks (log/ of @spool/core):
 * - fan-out in one process: 1 publisher to 1,000 subscribers, events delivered per second,
 *   against a naive array of callbacks looped over per event;
 * - catchup cost: 100 events after an ID from a log of 1,000 events and from one of
 *   1,000,000 (binary search: the second should cost at most 1.5x the first), with a
 *   linear scan of the big log for contrast.
 */
import { compareEventIds, type EventId, MemoryTopicLog, Topic, type TopicEvent } from '@spool/core';
import { median, report } from './harness';

const SUBSCRIBERS = 1_000;
const EVENTS_PER_SAMPLE = 2_000;
const SAMPLES = 7;

async function fanOut(): Promise<void> {
  const topicRates: number[] = [];
  const naiveRates: number[] = [];
  const retention = { maxEvents: 10_000, maxBytes: 64 * 2 ** 20, maxAgeMs: 60_000 };
  // warm-up, then samples alternate between the two so noise hits both alike
  for (let sample = -1; sample < SAMPLES; sample++) {
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
  report('topic fan-out: 1 publisher → 1,000 subscribers (median of 7)', [
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

/** Median time (µs) of one `topic.read(after, 100)`, over samples of `reps` reads from varied IDs. */
async function timeReads(topic: Topic, events: TopicEvent[], reps: number): Promise<number> {
  const samples: number[] = [];
  const n = events.length;
  for (let s = -1; s < SAMPLES * 3; s++) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) {
      // IDs spread over the middle half, so no cache luck
      const after = events[Math.floor(n / 4 + ((r * 7919) % (n / 2)))]!.id;
      const page = await topic.read(after, 100);
      if (page.events.length !== 100) throw new Error('short page');
    }
    if (s >= 0) samples.push(((performance.now() - t0) * 1000) / reps);
  }
  return median(samples);
}

/** The contrast: find the position by scanning, then take the page. */
function scanRead(events: TopicEvent[], after: EventId, limit: number): TopicEvent[] {
  let i = 0;
  while (i < events.length && compareEventIds(events[i]!.id, after) <= 0) i++;
  return events.slice(i, i + limit);
}

async function catchupCost(): Promise<void> {
  const small = await buildLog(1_000);
  const big = await buildLog(1_000_000);
  const smallUs = await timeReads(small.topic, small.events, 2_000);
  const bigUs = await timeReads(big.topic, big.events, 2_000);
  const scanSamples: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    const after = big.events[500_000 + s]!.id;
    const t0 = performance.now();
    if (scanRead(big.events, after, 100).length !== 100) throw new Error('short scan');
    scanSamples.push((performance.now() - t0) * 1000);
  }
  const scanUs = median(scanSamples);
  report('topic catchup: 100 events after an ID (median µs per read)', [
    { name: 'Topic.read, log of 1,000', value: smallUs, unit: 'µs' },
    {
      name: 'Topic.read, log of 1,000,000',
      value: bigUs,
      unit: 'µs',
      peer: 'log of 1,000',
      ratio: bigUs / smallUs,
      target: '≤ 1.5x',
    },
    {
      name: 'linear scan, log of 1,000,000 (contrast)',
      value: scanUs,
      unit: 'µs',
      peer: 'Topic.read on the same log',
      ratio: scanUs / bigUs,
    },
  ]);
  await small.topic.close();
  await big.topic.close();
}

export default async function run(): Promise<void> {
  await fanOut();
  await catchupCost();
}
