/**
 * Scenario 6: a soak of mixed traffic and faults, 60 s (long profile: 10 minutes).
 * Producers keep writing replies of random length on several channels, through proxies
 * that cut them now and then; each channel has readers of every kind (SDK WebSocket,
 * plain and compact; SDK SSE; the `eventsource` package) behind proxies that cut, stall,
 * throttle and stop reading at random. Every finished reply must reach every reader exactly. The
 * server's live heap and RSS are sampled all along and must stay flat, and once every
 * client has gone, its sockets and timers must be back to what an idle server holds.
 */
import { channelTopic } from '@spool/core';
import { describe, expect, it } from 'vitest';
import { type ChaosProxy, startChaosProxy } from '../src/chaos-proxy';
import { type CheckedClient, type ClientKind, checkedClient, sdkClient, until } from '../src/clients';
import { MiB, mib, report, spread } from '../src/figures';
import { metric } from '../src/metrics';
import { profile } from '../src/profile';
import { announce, cleanupAfterEach } from '../src/scenario';
import { between } from '../src/seed';
import { startSpool, type Usage } from '../src/spool-process';
import { type ProducedReply, startReply } from '../src/workload';

const cleanup = cleanupAfterEach();

const CHANNELS = ['soak-a', 'soak-b', 'soak-c'];
const KINDS: Array<{ kind: ClientKind; compact: boolean }> = [
  { kind: 'sdk-ws', compact: false },
  { kind: 'sdk-ws', compact: true },
  { kind: 'sdk-sse', compact: false },
  { kind: 'eventsource', compact: false },
];
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Handles that do not depend on clients: the same before any client and after all left. */
const counted = (u: Usage) => ({
  sockets: u.resources.TCPSocketWrap ?? 0,
  timers: u.resources.Timeout ?? 0,
});

describe('scenario 6: soak under mixed traffic and faults', () => {
  it('every reply exact on every reader; heap and RSS flat; no leaked sockets or timers', async () => {
    const { seed, stream } = announce(6, 'soak');
    const server = await startSpool({ SPOOL_SSE_RETRY_MS: '20' });
    cleanup.push(() => server.stop('SIGKILL'));
    await sleep(500);
    const idle = await server.usage(true);

    let k = 0;
    const proxies: ChaosProxy[] = [];
    const proxy = async (cut: { minBytes: number; maxBytes: number }) => {
      const p = await startChaosProxy({
        target: server.port,
        random: stream(++k),
        cut,
        stall: { probability: 0.002, maxMs: 300 },
      });
      proxies.push(p);
      cleanup.push(() => p.close());
      return p;
    };
    const readers: Array<{ channel: string; client: CheckedClient; proxy: ChaosProxy }> = [];
    for (const channel of CHANNELS)
      for (const { kind, compact } of KINDS) {
        // Compact catch-ups carry whole texts: a budget below a reply's size would cut each forever.
        const p = await proxy(
          compact ? { minBytes: 200_000, maxBytes: 2_000_000 } : { minBytes: 2000, maxBytes: 60_000 },
        );
        const client = checkedClient(
          kind,
          p.port,
          channelTopic(1, channel),
          `${channel} ${kind}${compact ? '-compact' : ''}`,
          {
            compact,
          },
        );
        cleanup.push(() => client.close());
        readers.push({ channel, client, proxy: p });
      }
    await until(() => readers.every((r) => r.client.isOpen()), 'every reader connected');

    const started = performance.now();
    const deadline = started + profile.soakMs;
    const samples: Array<{ at: number; heap: number; rss: number; stored: number }> = [];
    const replies = new Map<string, ProducedReply[]>(CHANNELS.map((c) => [c, []]));
    const producerErrors: unknown[] = [];
    /**
     * What memory mode keeps by design as replies finish: its message store holds every
     * finished message (up to memoryMessageStoreDefaults.maxMessages, 100,000), so the heap
     * grows with the text written. Counted as the text's UTF-16 bytes plus 1 KiB a message
     * (meta, IDs, indexes): a flat server grows by about this, and nothing else.
     */
    const storedBytes = () => [...replies.values()].flat().reduce((n, r) => n + 2 * r.text.length + 1024, 0);
    // Producers: reply after reply, each of random length, until the deadline.
    const producing = CHANNELS.map(async (channel, i) => {
      const random = stream(100 + i);
      const p = await proxy({ minBytes: 20_000, maxBytes: 400_000 });
      const producer = sdkClient(`ws://127.0.0.1:${p.port}/v1/ws`);
      cleanup.push(() => producer.close());
      while (performance.now() < deadline) {
        const reply = startReply(producer, channel, between(random, 100, 1500), random, {
          inFlight: 8,
          pause: () => (random() < 0.02 ? sleep(between(random, 1, 10)) : Promise.resolve()),
        });
        const { error } = await reply.finished;
        if (error !== undefined) producerErrors.push(error);
        else
          replies.get(channel)!.push({ messageId: reply.messageId, chunks: reply.chunks, text: reply.text });
      }
    });
    // Faults beyond the proxies' own: a reader stops reading for a spell, or every reader
    // of a channel is cut at once.
    const faults = (async () => {
      const random = stream(200);
      let spells = 0;
      let throttles = 0;
      let mass = 0;
      while (performance.now() < deadline) {
        await sleep(between(random, 500, 2000));
        const r = readers[between(random, 0, readers.length - 1)]!;
        const fault = random();
        if (fault < 0.35) {
          r.proxy.freeze();
          spells++;
          await sleep(between(random, 200, 2000));
          r.proxy.thaw();
        } else if (fault < 0.7) {
          // A thin pipe: 20 to 200 KB/s for a spell.
          r.proxy.throttleBytesPerSec = between(random, 20_000, 200_000);
          throttles++;
          await sleep(between(random, 500, 3000));
          r.proxy.throttleBytesPerSec = undefined;
        } else {
          for (const x of readers.filter((x) => x.channel === r.channel)) x.proxy.cutAll();
          mass++;
        }
      }
      return { spells, throttles, mass };
    })();
    const sampling = (async () => {
      while (performance.now() < deadline) {
        const u = await server.usage(true);
        samples.push({
          at: performance.now() - started,
          heap: u.heapUsed,
          rss: u.rss,
          stored: storedBytes(),
        });
        await sleep(Math.max(1000, profile.soakMs / 30));
      }
    })();
    await Promise.all(producing);
    const { spells, throttles, mass } = await faults;
    await sampling;

    await until(
      () => readers.every((r) => replies.get(r.channel)!.every((rep) => r.client.check.ended(rep.messageId))),
      'every reply on every reader',
      120_000,
    );
    for (const r of readers) for (const rep of replies.get(r.channel)!) r.client.check.verify(rep);
    const violations = readers.flatMap((r) => r.client.check.violations);
    const loaded = await server.usage(true);

    // Every client leaves: the server must be back to an idle server's sockets and timers.
    for (const r of readers) r.client.close();
    for (const c of cleanup.splice(1)) await c();
    let after = await server.usage(true);
    for (let i = 0; i < 50 && counted(after).sockets > counted(idle).sockets; i++) {
      await sleep(100);
      after = await server.usage(true);
    }
    const connections = await metric(server.url, 'spool_connections');

    // Flatness: the live heap of the last third of the run against the first third after
    // warm-up (the topics' retention fills in the first seconds: 10,000 events a topic).
    const warm = samples.filter((x) => x.at >= Math.max(15_000, profile.soakMs / 6));
    const third = Math.max(1, Math.floor(warm.length / 3));
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const early = warm.slice(0, third);
    const late = warm.slice(-third);
    const heapGrowth = avg(late.map((s) => s.heap)) - avg(early.map((s) => s.heap));
    const storeGrowth = avg(late.map((s) => s.stored)) - avg(early.map((s) => s.stored));
    const rssGrowth = avg(late.map((s) => s.rss)) - avg(early.map((s) => s.rss));
    const all = [...replies.values()].flat();
    report({
      scenario: 'soak',
      seed,
      profile: profile.name,
      seconds: Math.round(profile.soakMs / 1000),
      replies: all.length,
      chunks: all.reduce((n, r) => n + r.chunks.length, 0),
      eventsChecked: readers.reduce((n, r) => n + r.client.check.events, 0),
      cuts: proxies.reduce((n, p) => n + p.cuts, 0),
      stalls: proxies.reduce((n, p) => n + p.stalls, 0) + spells,
      throttleSpells: throttles,
      massCuts: mass,
      producerErrors: producerErrors.length,
      mismatches: violations.length,
      resets: readers.reduce((n, r) => n + r.client.check.resets, 0),
      reconnectMs: spread(proxies.flatMap((p) => p.recoveries)),
      heapSamplesMiB: samples.map((s) => mib(s.heap)),
      heapGrowthMiB: mib(heapGrowth),
      storeGrowthMiB: mib(storeGrowth),
      rssGrowthMiB: mib(rssGrowth),
      heapLoadedMiB: mib(loaded.heapUsed),
      idle: counted(idle),
      loaded: counted(loaded),
      afterClientsLeft: counted(after),
      connectionsAfter: connections,
    });
    expect(violations).toEqual([]);
    expect(producerErrors).toEqual([]);
    expect(all.length).toBeGreaterThan(CHANNELS.length);
    expect(heapGrowth - storeGrowth).toBeLessThan(16 * MiB);
    expect(rssGrowth).toBeLessThan(48 * MiB);
    expect(counted(loaded).sockets, 'the probe sees the clients').toBeGreaterThan(0);
    expect(connections).toBe(0);
    expect(counted(after).sockets).toBe(counted(idle).sockets);
    expect(counted(after).timers).toBeLessThanOrEqual(counted(idle).timers + 2);
  });
});
