import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSpoolError } from '../errors';
import { compareEventIds, type EventId, eventIdBefore } from '../protocol/event-id';
import type { MsgSnapshotData } from '../protocol/messages';
import { MemoryMessageStore } from '../store/memory-message-store';
import { createManualClock } from '../time/clock';
import { CHANNEL, ChatSim, type ChatSimOptions } from './__tests__/chat-sim';
import { record } from './__tests__/topic-test-kit';
import { ChannelCatchup } from './channel-catchup';
import { Topic } from './topic';

/** Resumes a client that holds everything up to `x`, and returns it once live. */
async function resume(sim: ChatSim, x: EventId, compact: boolean) {
  const client = sim.clientAt(x);
  const rec = record(sim.topic, {
    after: x,
    compact,
    onEvent: (ev) => client.apply(ev),
    onReset: (earliest) => client.reset(earliest),
  });
  await rec.live;
  rec.sub.close();
  expect(rec.errors).toEqual([]);
  return client;
}

/** Every resume point of the history (and the floor before it), in both modes. */
async function expectEveryResumeExact(sim: ChatSim): Promise<void> {
  const points = [sim.start, ...sim.history.map((e) => e.id)];
  for (const x of points) {
    for (const compact of [false, true]) {
      const client = await resume(sim, x, compact);
      const where = `resume from ${x}${compact ? ' (compact)' : ''}`;
      expect(client.resets, where).toEqual([]);
      client.expectMatches(sim, x);
      // the last event ID advances exactly: to the topic's last ID
      expect(client.lastId, where).toBe(compareEventIds(x, sim.topic.lastId!) >= 0 ? x : sim.topic.lastId);
      if (compact) {
        const kinds = client.received.map((e) => e.event);
        expect(kinds, where).not.toContain('msg.delta');
        expect(kinds, where).not.toContain('msg.open');
        for (const m of client.messages.values()) expect(m.snapshots, where).toBeLessThanOrEqual(1);
      }
    }
  }
}

/** Four interleaved messages: two ended and persisted, two still open. */
async function interleaved(options: ChatSimOptions): Promise<ChatSim> {
  const sim = new ChatSim(options);
  await sim.open('1');
  await sim.delta('1');
  await sim.open('2');
  await sim.delta('1');
  await sim.delta('2');
  await sim.open('3');
  await sim.delta('3');
  await sim.delta('1');
  await sim.end('1');
  await sim.delta('2');
  await sim.open('4');
  await sim.delta('3');
  await sim.delta('4');
  await sim.end('3');
  await sim.delta('2');
  await sim.delta('4');
  await sim.delta('2');
  await sim.open('5');
  await sim.delta('5');
  await sim.delta('4');
  await sim.end('5');
  await sim.delta('2');
  return sim;
}

describe('ChannelCatchup: resume from every event ID', () => {
  it('serves it exactly when the log still holds everything', async () => {
    const sim = await interleaved({ retention: { maxEvents: 1_000 } });
    await expectEveryResumeExact(sim);
    expect(sim.topic.stats().retainedEvents).toBe(sim.history.length);
  });

  it('serves it exactly when persisted messages were trimmed (store snapshots)', async () => {
    const sim = await interleaved({ retention: { maxEvents: 3, hardMaxEvents: 1_000 } });
    expect(sim.topic.stats().retainedEvents).toBeLessThan(sim.history.length);
    await expectEveryResumeExact(sim);
  });

  it('serves it exactly when memory pressure squeezed out open messages (StreamCache snapshots)', async () => {
    const sim = await interleaved({ retention: { maxEvents: 2, hardMaxEvents: 4 } });
    expect(sim.topic.stats().retainedEvents).toBeLessThanOrEqual(4);
    await expectEveryResumeExact(sim);
    expect(sim.openCalls).toBeGreaterThan(0);
  });

  it('holds for random interleavings, retentions and resume points (property)', async () => {
    const op = fc.oneof(
      { arbitrary: fc.constant({ kind: 'open' as const, m: 0 }), weight: 2 },
      { arbitrary: fc.record({ kind: fc.constant('delta' as const), m: fc.nat(5) }), weight: 6 },
      { arbitrary: fc.record({ kind: fc.constant('end' as const), m: fc.nat(5) }), weight: 2 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 3, maxLength: 30 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 8 }),
        fc.nat(),
        fc.boolean(),
        fc.integer({ min: 1, max: 5 }),
        async (ops, maxEvents, slack, pick, compact, catchupPageSize) => {
          const sim = new ChatSim({
            retention: { maxEvents, hardMaxEvents: maxEvents + slack },
            catchupPageSize,
          });
          const open: string[] = [];
          let next = 1;
          for (const o of ops) {
            if (o.kind === 'open' || open.length === 0) {
              const id = String(next++);
              await sim.open(id);
              open.push(id);
            } else if (o.kind === 'delta') await sim.delta(open[o.m % open.length]!);
            else await sim.end(open.splice(o.m % open.length, 1)[0]!);
          }
          const points = [sim.start, ...sim.history.map((e) => e.id)];
          const x = points[pick % points.length]!;
          const client = await resume(sim, x, compact);
          expect(client.resets).toEqual([]);
          client.expectMatches(sim, x);
          expect(client.lastId).toBe(compareEventIds(x, sim.topic.lastId!) >= 0 ? x : sim.topic.lastId);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('ChannelCatchup: what the snapshots carry', () => {
  it('places each snapshot at the ID of the last event it covers', async () => {
    const sim = await interleaved({ retention: { maxEvents: 3, hardMaxEvents: 1_000 } });
    const client = await resume(sim, sim.start, false);
    const snapshots = client.received.filter((e) => e.event === 'msg.snapshot');
    expect(snapshots.length).toBeGreaterThan(0);
    for (const s of snapshots) {
      const covered = sim.history.find((e) => e.id === s.id);
      expect(covered?.messageId).toBe(s.messageId);
      const data = s.data as MsgSnapshotData;
      expect(data.status).toBe(sim.messages.get(s.messageId!)!.ended ? 'ended' : 'streaming');
      if (data.status === 'ended') expect(data.reason).toBe('success');
    }
  });

  it('compacts a log that holds everything into one snapshot per message, at its last event', async () => {
    const sim = await interleaved({ retention: { maxEvents: 1_000 } });
    const before = sim.start;
    const page = await sim.topic.read(before, 100, { compact: true });
    const lastOf = new Map<string, string>();
    for (const e of sim.history) if (e.messageId) lastOf.set(e.messageId, e.id);
    expect(page.events.map((e) => [e.event, e.messageId, e.id])).toEqual(
      [...lastOf.entries()]
        .sort((a, b) => compareEventIds(a[1], b[1]))
        .map(([messageId, id]) => ['msg.snapshot', messageId, id]),
    );
    // "0-0" compacts everything retained too
    expect((await sim.topic.read('0-0', 100, { compact: true })).events).toHaveLength(5);
  });

  it('tells a client that saw every delta that the message ended, after its msg.end was trimmed', async () => {
    const sim = new ChatSim({ retention: { maxEvents: 1 } });
    await sim.open('1');
    const lastDelta = await sim.delta('1');
    const end = await sim.end('1');
    for (let i = 0; i < 3; i++) {
      await sim.open(String(10 + i));
      await sim.end(String(10 + i));
    }
    expect(compareEventIds(sim.topic.stats().firstId!, end.id)).toBeGreaterThan(0);
    const client = await resume(sim, lastDelta.id, false);
    expect(client.received[0]).toMatchObject({ id: end.id, event: 'msg.end' });
    client.expectMatches(sim, lastDelta.id);
  });
});

describe('ChannelCatchup: paging', () => {
  it('serves the same events one at a time through a kept reader as in one page', async () => {
    const sim = await interleaved({ retention: { maxEvents: 2, hardMaxEvents: 5 } });
    const start = sim.start;
    for (const compact of [false, true]) {
      const whole = await sim.topic.read(start, 1_000, { compact });
      expect(whole.done).toBe(true);
      const reader = sim.topic.catchup(start, { compact });
      const paged: string[] = [];
      for (let page = await reader.next(1); ; page = await reader.next(1)) {
        expect(page.events.length).toBeLessThanOrEqual(1);
        paged.push(...page.events.map((e) => `${e.id} ${e.event}`));
        if (page.done) break;
      }
      expect(paged).toEqual(whole.events.map((e) => `${e.id} ${e.event}`));
      expect(reader.lastId).toBe(sim.topic.lastId);
    }
  });
});

describe('ChannelCatchup: loss is never silent', () => {
  it('resets a resume from before a forgotten tombstone (maxTombstones)', async () => {
    const sim = new ChatSim();
    // a topic that remembers a single trimmed msg.end
    const small = new Topic(CHANNEL, {
      retention: { maxEvents: 1 },
      maxTombstones: 1,
      retainUntilPersisted: 'messages',
      catchup: new ChannelCatchup({ store: sim.store }),
    });
    const ids: string[] = [];
    for (let i = 1; i <= 4; i++) {
      const id = String(i);
      const open = await small.append('msg.open', {
        messageId: id,
        meta: { messageId: id, channelId: 'general', channelType: 1 },
      });
      await small.persistAndClear(
        () =>
          sim.store.save({
            messageId: id,
            channelId: 'general',
            channelType: 1,
            meta: { messageId: id, channelId: 'general', channelType: 1 },
            text: '',
            lastChunkId: -1,
            reason: 'success',
            firstEventId: open.id,
            lastEventId: open.id,
          }),
        { messageId: id },
      );
      ids.push(
        open.id,
        (await small.append('msg.end', { messageId: id, reason: 'success', persisted: true })).id,
      );
    }
    // the first ends were forgotten: a client that saw message 1's open but not its end is told
    const page = await small.read(ids[0]!, 100);
    expect(page.reset).toBeDefined();
    // a client after the forgotten ones is served exactly
    const exact = await small.read(ids[4]!, 100);
    expect(exact.reset).toBeUndefined();
  });

  it('resets when a plain event on the channel was trimmed, then serves everything after it', async () => {
    const sim = new ChatSim({ retention: { maxEvents: 2, hardMaxEvents: 1_000 } });
    await sim.open('1');
    await sim.delta('1');
    const plain = await sim.plain();
    await sim.delta('1');
    await sim.end('1');
    await sim.open('2');
    await sim.delta('2');
    await sim.end('2');
    const client = await resume(sim, sim.history[0]!.id, false);
    expect(client.resets).toHaveLength(1);
    expect(client.resets[0]).toBe(client.received[0]!.id);
    expect(compareEventIds(client.received[0]!.id, plain.id)).toBeGreaterThan(0);
    client.expectMatches(sim, sim.history[0]!.id);
    // from after the plain event, nothing is lost
    expect((await resume(sim, plain.id, false)).resets).toEqual([]);
  });

  it('resets when a squeezed open message is in neither the StreamCache nor the store', async () => {
    const sim = new ChatSim({ retention: { maxEvents: 1, hardMaxEvents: 2 }, hideOpen: (id) => id === '1' });
    await sim.open('1');
    await sim.delta('1');
    await sim.delta('1');
    await sim.open('2');
    await sim.delta('2');
    const client = await resume(sim, sim.history[0]!.id, false);
    expect(client.resets).toHaveLength(1);
    // after the reset the client gets what is left, in order
    expect(client.resets[0]).toBe(client.received[0]!.id);
  });

  it('resets when a persisted message the log partly trimmed is missing from the store', async () => {
    const sim = new ChatSim({
      retention: { maxEvents: 2, hardMaxEvents: 1_000 },
      skipStore: (id) => id === '1',
    });
    await sim.open('1');
    await sim.delta('1');
    await sim.delta('1');
    const end = await sim.end('1');
    // message 1 lost its open and first delta; its second delta and its end remain
    expect(sim.topic.stats().firstId).toBe(sim.history[2]!.id);
    const page = await sim.topic.read(sim.start, 100);
    expect(page.reset).toBe(page.events[0]!.id);
    expect(page.events.map((e) => e.id)).toEqual([sim.history[2]!.id, end.id]);
  });

  it('validates its options', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return isSpoolError(e) ? e.code : e;
      }
    };
    expect(code(() => new ChannelCatchup({} as never))).toBe('INVALID_OPTION');
    expect(code(() => new ChannelCatchup({ store: new MemoryMessageStore(), storePageSize: 0 }))).toBe(
      'INVALID_OPTION',
    );
  });
});

describe('ChannelCatchup: the resume rule across a restart', () => {
  /** A store that kept two messages of a previous life, and a fresh topic over it (a restart). */
  async function restarted() {
    const clock = createManualClock(5_000);
    const store = new MemoryMessageStore({ clock });
    const meta = (id: string) => ({ messageId: id, channelId: 'general', channelType: 1 });
    for (const [id, first, last] of [
      ['1', '1000-0', '1000-2'],
      ['2', '2000-0', '2000-1'],
    ] as const)
      await store.save({
        messageId: id,
        channelId: 'general',
        channelType: 1,
        meta: meta(id),
        text: `text ${id}`,
        lastChunkId: 0,
        reason: 'success',
        firstEventId: first,
        lastEventId: last,
      });
    const topic = new Topic(CHANNEL, {
      clock,
      retainUntilPersisted: 'messages',
      catchup: new ChannelCatchup({ store }),
    });
    const open = await topic.append('msg.open', { messageId: '3', meta: meta('3') });
    clock.advance(10);
    const delta = await topic.append('msg.delta', { messageId: '3', chunkId: 0, text: 'new' });
    return { topic, open, delta };
  }

  const kinds = (page: { events: { id: string; event: string }[] }) =>
    page.events.map((e) => `${e.id} ${e.event}`);

  it('resets a position from before the log (a previous life), then serves the store, then the tail', async () => {
    const { topic, open, delta } = await restarted();
    // a client that saw message 1 whole: the store still covers message 2, but nothing
    // says what else the previous life had, so the resume starts with a reset
    const page = await topic.read('1000-2', 100);
    expect(page.reset).toBe('2000-1');
    expect(kinds(page)).toEqual(['2000-1 msg.snapshot', `${open.id} msg.open`, `${delta.id} msg.delta`]);
    // the log's floor and its own events are served exactly, with no reset
    expect((await topic.read(eventIdBefore(open.id), 100)).reset).toBeUndefined();
    expect((await topic.read(open.id, 100)).reset).toBeUndefined();
  });

  it('resets a forged or future position, then serves everything it holds from the earliest ID', async () => {
    const { topic, open, delta } = await restarted();
    // a future ID, and one that never existed between two that do
    const between = `${open.ms + 5}-0`;
    expect(compareEventIds(open.id, between)).toBeLessThan(0);
    expect(compareEventIds(between, delta.id)).toBeLessThan(0);
    for (const forged of ['9999999999999-0', between]) {
      const page = await topic.read(forged, 100);
      expect(page.reset, forged).toBe('1000-2');
      expect(kinds(page), forged).toEqual([
        '1000-2 msg.snapshot',
        '2000-1 msg.snapshot',
        `${open.id} msg.open`,
        `${delta.id} msg.delta`,
      ]);
    }
    const compact = await topic.read('9999999999999-0', 100, { compact: true });
    expect(compact.reset).toBe('1000-2');
    expect(kinds(compact)).toEqual([
      '1000-2 msg.snapshot',
      '2000-1 msg.snapshot',
      `${delta.id} msg.snapshot`,
    ]);
  });
});

describe('ChannelCatchup: live seams', () => {
  it('goes live with no gap or duplicate while messages keep streaming during the resume', async () => {
    const sim = await interleaved({ retention: { maxEvents: 3, hardMaxEvents: 1_000 } });
    const start = sim.history[2]!.id;
    const client = sim.clientAt(start);
    const pending: Promise<unknown>[] = [];
    let budget = 6;
    const rec = record(sim.topic, {
      after: start,
      onEvent: (ev) => {
        client.apply(ev);
        // each catchup event lets the producer append another delta to open message 2
        if (budget-- > 0) pending.push(sim.delta('2'));
      },
    });
    await rec.live;
    await Promise.all(pending);
    rec.sub.close();
    client.expectMatches(sim, start);
    expect(client.lastId).toBe(sim.topic.lastId);
    expect(sim.topic.name).toBe(CHANNEL);
  });
});
