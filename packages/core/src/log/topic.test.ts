import { describe, expect, it, vi } from 'vitest';
import { isSpoolError } from '../errors';
import { compareEventIds } from '../protocol/event-id';
import { createManualClock } from '../time/clock';
import { record, settle } from './__tests__/topic-test-kit';
import type { CatchupSourceEvent } from './catchup-plan';
import { Topic } from './topic';
import type { TopicEvent } from './topic-event';

async function codeOf(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return isSpoolError(err) ? err.code : err;
  }
  return undefined;
}

async function appendN(topic: Topic, n: number, from = 0): Promise<TopicEvent[]> {
  const out: TopicEvent[] = [];
  for (let i = from; i < from + n; i++) out.push(await topic.append('message', { n: i }));
  return out;
}

function expectStrictlyIncreasing(ids: string[]): void {
  for (let i = 1; i < ids.length; i++) expect(compareEventIds(ids[i - 1]!, ids[i]!)).toBeLessThan(0);
}

describe('Topic: append and live fan-out', () => {
  it('resolves append to the event with an ID from nextEventId on its clock', async () => {
    const clock = createManualClock(1_700_000_000_000);
    const topic = new Topic('news', { clock });
    const a = await topic.append('message', { text: 'a' });
    const b = await topic.append('update', { text: 'b' });
    clock.advance(3);
    const c = await topic.append('message', null);
    expect([a.id, b.id, c.id]).toEqual(['1700000000000-0', '1700000000000-1', '1700000000003-0']);
    expect(b).toMatchObject({ event: 'update', data: { text: 'b' }, json: '{"text":"b"}', size: 12 });
    expect(topic.lastId).toBe(c.id);
    expect(topic.nextIdHint()).toBe('1700000000003-1');
  });

  it('delivers live events to many subscribers, in order; a live start sees nothing older', async () => {
    const topic = new Topic('news');
    await appendN(topic, 3);
    const subs = Array.from({ length: 5 }, () => record(topic));
    const appended = await appendN(topic, 4, 3);
    for (const s of subs) {
      expect(s.sub.state).toBe('live');
      expect(s.log).toEqual(appended.map((e) => e.id));
    }
    expect(topic.subscriberCount).toBe(5);
  });

  it('appends with an explicit ID greater than the last (replication), and refuses smaller ones', async () => {
    const topic = new Topic('replica', { clock: createManualClock(5) });
    expect((await topic.append('message', 1, { id: '100-3' })).id).toBe('100-3');
    expect(await codeOf(() => topic.append('message', 2, { id: '100-3' }))).toBe('ID_TOO_SMALL');
    expect(await codeOf(() => topic.append('message', 2, { id: 'nope' }))).toBe('INVALID_EVENT_ID');
    // the clock is behind: generated IDs keep counting from the last
    expect((await topic.append('message', 3)).id).toBe('100-4');
  });

  it('rejects bad input with codes', async () => {
    expect(await codeOf(() => new Topic(''))).toBe('INVALID_TOPIC');
    expect(await codeOf(() => new Topic('a\nb'))).toBe('INVALID_TOPIC');
    expect(await codeOf(() => new Topic('t', { retention: { maxEvents: 0 } }))).toBe('INVALID_OPTION');
    expect(await codeOf(() => new Topic('t', { catchupPageSize: 0 }))).toBe('INVALID_OPTION');
    expect(await codeOf(() => new Topic('t', { retainUntilPersisted: 'always' as never }))).toBe(
      'INVALID_OPTION',
    );
    const topic = new Topic('t', { retention: { maxBytes: 10, hardMaxBytes: 20 } });
    expect(await codeOf(() => topic.append('bad\nname', 1))).toBe('INVALID_EVENT');
    expect(await codeOf(() => topic.append('message', 'x'.repeat(30)))).toBe('PAYLOAD_TOO_LARGE');
    expect(await codeOf(() => topic.subscribe({ after: '1-x', onEvent: () => {} }))).toBe('INVALID_EVENT_ID');
    expect(await codeOf(() => topic.subscribe({} as never))).toBe('INVALID_OPTION');
    expect(await codeOf(() => topic.read('0-0', 0))).toBe('INVALID_OPTION');
  });

  it('calls onAppend listeners in order and reports their exceptions without stopping fan-out', async () => {
    const onError = vi.fn();
    const topic = new Topic('t', { onError });
    const seen: string[] = [];
    topic.onAppend(() => {
      throw new Error('listener bug');
    });
    const off = topic.onAppend((ev) => seen.push(ev.id));
    const s = record(topic);
    const [a] = await appendN(topic, 1);
    off();
    await appendN(topic, 1);
    expect(seen).toEqual([a!.id]);
    expect(s.events).toHaveLength(2);
    expect(onError).toHaveBeenCalledTimes(2);
  });

  it('frames an event as the wire ev frame, the same on every call', async () => {
    const topic = new Topic('chan:1:general');
    const ev = await topic.append('msg.delta', { messageId: '5', chunkId: 0, text: 'hi' });
    const frame = topic.frame(ev);
    expect(JSON.parse(frame)).toEqual({
      op: 'ev',
      topic: 'chan:1:general',
      id: ev.id,
      event: 'msg.delta',
      data: ev.data,
    });
    expect(topic.frame(ev)).toBe(frame);
  });
});

describe('Topic: catchup from the retained log', () => {
  it('serves after "0-0" everything retained, and after an ID exactly what follows it', async () => {
    const topic = new Topic('t', { retention: { maxEvents: 50 } });
    const all = await appendN(topic, 80);
    const fromStart = record(topic, { after: '0-0' });
    await fromStart.live;
    expect(fromStart.log).toEqual(all.slice(30).map((e) => e.id));
    const after = record(topic, { after: all[60]!.id });
    await after.live;
    expect(after.log).toEqual(all.slice(61).map((e) => e.id));
  });

  it('resets a position that names no event between two that do, then serves everything from earliest', async () => {
    const clock = createManualClock(10);
    const topic = new Topic('t', { clock });
    const a = await topic.append('message', 'a');
    clock.advance(10);
    const b = await topic.append('message', 'b');
    const s = record(topic, { after: '15-0' });
    await s.live;
    expect(s.log).toEqual([`reset:${a.id}`, a.id, b.id]);
    // the log's own positions stay exact: no reset
    const held = record(topic, { after: a.id });
    await held.live;
    expect(held.log).toEqual([b.id]);
  });

  it('hands over from catchup to live with no gap and no duplicate while appends keep coming', async () => {
    const topic = new Topic('busy', { catchupPageSize: 7, retention: { maxEvents: 10_000 } });
    await appendN(topic, 100);
    const pending: Promise<TopicEvent>[] = [];
    let n = 1000;
    const s = record(topic, {
      after: '0-0',
      // every delivered catchup event triggers an append that lands while catchup is in flight
      onEvent: () => {
        if (n < 1150) pending.push(topic.append('message', { n: n++ }));
      },
    });
    await s.live;
    await Promise.all(pending);
    await settle();
    const { events } = await topic.read('0-0', 10_000);
    expect(s.log).toEqual(events.map((e) => e.id));
    expectStrictlyIncreasing(s.log);
    expect(s.log.length).toBe(100 + (n - 1000));
  });

  it('serves read() in pages, each after the last ID of the previous', async () => {
    const topic = new Topic('t');
    const all = await appendN(topic, 25);
    const ids: string[] = [];
    let after = '0-0';
    for (;;) {
      const page = await topic.read(after, 10);
      ids.push(...page.events.map((e) => e.id));
      if (page.done) break;
      after = page.events.at(-1)!.id;
    }
    expect(ids).toEqual(all.map((e) => e.id));
  });

  it('resets a future ID, serves everything retained from earliest, then goes live', async () => {
    const topic = new Topic('t', { clock: createManualClock(10) });
    const all = await appendN(topic, 2);
    const ready: string[] = [];
    const s = record(topic, { after: '99-0', onReady: (from) => ready.push(from) });
    await s.live;
    expect(s.log).toEqual([`reset:${all[0]!.id}`, ...all.map((e) => e.id)]);
    expect(ready).toEqual([all[0]!.id]);
    expect(s.sub.lastId).toBe(all[1]!.id);
    const next = await topic.append('message', 'live');
    expect(s.log.at(-1)).toBe(next.id);
  });
});

describe('Topic: gaps, the catchup source and reset', () => {
  async function trimmed() {
    const clock = createManualClock(1000);
    const archive: TopicEvent[] = [];
    const topic = new Topic('t', { clock, retention: { maxEvents: 5 } });
    for (let i = 0; i < 20; i++) {
      archive.push(await topic.append('message', { n: i }));
      if (i % 4 === 0) clock.advance(1);
    }
    return { clock, archive };
  }
  const asSource = (events: TopicEvent[]): CatchupSourceEvent[] =>
    events.map((e) => ({ id: e.id, event: e.event, data: e.data }));

  it('fills a gap from the catchup source, then the log, with nothing duplicated or skipped at the seams', async () => {
    const { clock, archive } = await trimmed();
    // the source overlaps the retained log by two events, and returns them shuffled
    const source = vi.fn(async (_topic: string, after: string) =>
      asSource(archive.slice(0, 17).filter((e) => compareEventIds(e.id, after) > 0)).reverse(),
    );
    // a replica of the archive's IDs: its history starts where the archive's does
    const topic = new Topic('t', {
      clock,
      creationFloor: '0-0',
      retention: { maxEvents: 5 },
      catchupSource: source,
    });
    for (const e of archive) await topic.append(e.event, e.data, { id: e.id });
    for (const start of [0, 3, 13, 14]) {
      const s = record(topic, { after: archive[start]!.id });
      await s.live;
      expect(s.log).toEqual(archive.slice(start + 1).map((e) => e.id));
    }
    expect(source).toHaveBeenCalledWith('t', archive[0]!.id);
    // inside the retained range the source is not asked
    source.mockClear();
    await record(topic, { after: archive[16]!.id }).live;
    expect(source).not.toHaveBeenCalled();
  });

  it('sends a reset naming the earliest ID still available when nothing can serve the gap', async () => {
    const { clock, archive } = await trimmed();
    const topic = new Topic('t', {
      clock,
      creationFloor: '0-0',
      retention: { maxEvents: 5 },
      catchupSource: async () => undefined,
    });
    for (const e of archive) await topic.append(e.event, e.data, { id: e.id });
    const s = record(topic, { after: archive[2]!.id });
    await s.live;
    expect(s.log).toEqual([`reset:${archive[15]!.id}`, ...archive.slice(15).map((e) => e.id)]);
    const page = await topic.read(archive[2]!.id, 2);
    expect(page.reset).toBe(archive[15]!.id);
    expect(page.events.map((e) => e.id)).toEqual([archive[15]!.id, archive[16]!.id]);
    // the log's own floor is exact: resuming from the last trimmed ID needs nothing else
    const exact = await topic.read(archive[14]!.id, 100);
    expect(exact.reset).toBeUndefined();
    expect(exact.events).toHaveLength(5);
  });

  it('resets (without a source) naming the ID after the floor when every event was trimmed', async () => {
    const clock = createManualClock(500);
    const topic = new Topic('t', { clock, retention: { maxEvents: 1, maxAgeMs: 10 } });
    const [a, b] = await appendN(topic, 2);
    clock.advance(50);
    await topic.trim();
    expect(topic.stats().retainedEvents).toBe(0);
    const page = await topic.read(a!.id, 10);
    // just below `earliest` is the floor (the last ID trimmed): a resume from there is exact
    expect(page).toMatchObject({ events: [], reset: '500-2', done: true });
    expect(b!.id).toBe('500-1');
    expect((await topic.read(b!.id, 10)).reset).toBeUndefined();
    // "0-0" means everything retained: never a reset
    expect((await topic.read('0-0', 10)).reset).toBeUndefined();
  });

  it('treats history before the log as unknown when given a floor (a restarted process)', async () => {
    const source = vi.fn(async () => [{ id: '150-0', event: 'message', data: 'old' }]);
    const topic = new Topic('t', {
      clock: createManualClock(200),
      creationFloor: '199-99',
      catchupSource: source,
    });
    const ev = await topic.append('message', 'new');
    expect(ev.id).toBe('200-0');
    const s = record(topic, { after: '100-0' });
    await s.live;
    expect(s.log).toEqual(['150-0', '200-0']);
  });
});

describe('Topic: retention, stats and close', () => {
  it('keeps retention by count, bytes and age, and reports it in stats', async () => {
    const clock = createManualClock(10_000);
    const topic = new Topic('t', { clock, retention: { maxEvents: 10, maxBytes: 100, maxAgeMs: 5_000 } });
    const events = await appendN(topic, 12); // {"n":0} is 7 bytes; {"n":10} is 8
    let stats = topic.stats();
    expect(stats.retainedEvents).toBe(10);
    expect(stats.retainedBytes).toBe(events.slice(2).reduce((s, e) => s + e.size, 0));
    await topic.append('message', { blob: 'x'.repeat(60) });
    stats = topic.stats();
    expect(stats.retainedBytes).toBeLessThanOrEqual(100);
    clock.advance(6_000);
    const fresh = await topic.append('message', { n: 'fresh' });
    stats = topic.stats();
    expect(stats).toMatchObject({
      name: 't',
      retainedEvents: 1,
      firstId: fresh.id,
      lastId: fresh.id,
      subscribers: 0,
      retention: { maxEvents: 10, maxBytes: 100, maxAgeMs: 5_000 },
    });
    expect(stats.eventsPerSec).toBeGreaterThan(0);
  });

  it('closes subscriptions and refuses work once closed', async () => {
    const topic = new Topic('t');
    const onClose = vi.fn();
    const s = record(topic, { onClose });
    await topic.close();
    expect(s.sub.state).toBe('closed');
    expect(onClose).toHaveBeenCalledOnce();
    expect(topic.closed).toBe(true);
    expect(await codeOf(() => topic.append('message', 1))).toBe('TOPIC_CLOSED');
    expect(await codeOf(() => topic.subscribe({ onEvent: () => {} }))).toBe('TOPIC_CLOSED');
    expect(await codeOf(() => topic.persistAndClear(() => {}))).toBe('TOPIC_CLOSED');
  });
});
