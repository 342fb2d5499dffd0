/**
 * Scenario 5: two consumers catch up 100,000 events of 2 KiB at once, from a log whose
 * retention holds them all. A catch-up must stream through each connection's bounded send
 * queue, reading pages of the log on demand: the server's RSS may rise by less than
 * 32 MiB per consumer, whatever the size of the range.
 */
import { describe, expect, it } from 'vitest';
import { bulkPublish } from '../src/bulk-publish';
import { checkedClient, until } from '../src/clients';
import { MiB, mib, report } from '../src/figures';
import { profile } from '../src/profile';
import { announce, cleanupAfterEach } from '../src/scenario';
import { startSpool } from '../src/spool-process';

const cleanup = cleanupAfterEach();

const CONSUMERS = 2;

describe('scenario 5: catch-up of a large retained range', () => {
  it('two consumers catch up 100,000 events of 2 KiB with RSS rising < 32 MiB each', async () => {
    const { seed } = announce(5, 'catch-up memory');
    const events = profile.catchupEvents;
    const server = await startSpool({
      SPOOL_RETENTION_EVENTS: String(events * 2),
      SPOOL_RETENTION_BYTES: '1GiB',
      SPOOL_RETENTION_AGE_MS: String(24 * 3600_000),
    });
    cleanup.push(() => server.stop('SIGKILL'));
    const topic = 'catchup';
    const written = await bulkPublish(server.port, topic, events, profile.catchupEventBytes);
    expect(written).toBe(events);
    // Settle: the publishers' connections are gone, garbage collected.
    await new Promise((r) => setTimeout(r, 500));
    const before = await server.usage(true);

    let peakRss = before.rss;
    let peakHeap = before.heapUsed;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const u = await server.usage();
        peakRss = Math.max(peakRss, u.rss);
        peakHeap = Math.max(peakHeap, u.heapUsed);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const started = performance.now();
    const consumers = Array.from({ length: CONSUMERS }, (_, i) =>
      checkedClient('sdk-ws', server.port, topic, `consumer#${i}`, { after: '0-0' }),
    );
    for (const c of consumers) cleanup.push(() => c.close());
    await until(
      () => consumers.every((c) => c.check.events >= events),
      'both catch-ups complete',
      10 * 60_000,
    );
    const catchupMs = Math.round(performance.now() - started);
    sampling = false;
    await sampler;
    const after = await server.usage(true);

    const violations = consumers.flatMap((c) => c.check.violations);
    const rise = peakRss - before.rss;
    report({
      scenario: 'catchup-memory',
      seed,
      profile: profile.name,
      events,
      eventBytes: profile.catchupEventBytes,
      consumers: CONSUMERS,
      eventsChecked: consumers.reduce((s, c) => s + c.check.events, 0),
      mismatches: violations.length,
      rssBeforeMiB: mib(before.rss),
      rssPeakMiB: mib(peakRss),
      rssRisePerConsumerMiB: mib(rise / CONSUMERS),
      heapBeforeMiB: mib(before.heapUsed),
      heapPeakMiB: mib(peakHeap),
      heapAfterGcMiB: mib(after.heapUsed),
      catchupMs,
    });
    expect(violations).toEqual([]);
    expect(consumers.map((c) => c.check.events)).toEqual([events, events]);
    expect(rise / CONSUMERS).toBeLessThan(32 * MiB);
  });
});
