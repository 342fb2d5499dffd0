import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSpoolError } from '../errors';
import { compareEventIds, type EventId, MIN_EVENT_ID, parseEventId } from '../protocol/event-id';
import { resolveTopicRetention, type TopicRetention, type TrimRules } from './retention';
import { encodeTopicPayload, type TopicEvent } from './topic-event';
import type { TopicLog } from './topic-log';

/** What a {@link topicLogContract} factory returns: a fresh, empty log and how to dispose of it. */
export interface TopicLogFixture {
  /** A fresh, empty log that shares no data with any other test. */
  log: TopicLog;
  /** Drops whatever the fixture created (a key prefix). Runs after `log.close()`. */
  cleanup?: () => void | Promise<void>;
}

/** Rules that keep everything unless a test narrows them, with hooks that record what they see. */
function recordingRules(
  over: Partial<TopicRetention> & { isPinned?: (ev: TopicEvent) => boolean } = {},
): TrimRules & { appended: TopicEvent[]; dropped: TopicEvent[] } {
  const appended: TopicEvent[] = [];
  const dropped: TopicEvent[] = [];
  const { isPinned, ...retention } = over;
  return {
    ...resolveTopicRetention({ maxEvents: 1_000_000, maxBytes: 2 ** 40, maxAgeMs: Number.POSITIVE_INFINITY }),
    ...retention,
    isPinned: isPinned ?? (() => false),
    onAppend: (ev) => appended.push(ev),
    onDrop: (ev) => dropped.push(ev),
    appended,
    dropped,
  };
}

const message = (n: number) => encodeTopicPayload('message', { n });
const chat = (messageId: string, n: number) =>
  encodeTopicPayload('msg.delta', { messageId, chunkId: n, text: `t${n}` });

/**
 * The behaviour every {@link TopicLog} must have (its doc comment is the contract), as one
 * Vitest suite: IDs strictly increase, an explicit ID must exceed the last, reads page
 * after an ID and tell whether the log holds it, trimming removes a prefix only (pins hold
 * the soft limits back, the hard limits win), the floor starts at `creationFloor` and only
 * rises, and the rules' hooks see every event enter and leave. IDs are compared, never
 * spelled out, so a log whose IDs come from another clock (Redis's) runs it unchanged.
 * Each test gets a fresh log from `makeLog`.
 *
 * @example
 * topicLogContract('MemoryTopicLog', () => ({ log: new MemoryTopicLog() }));
 * topicLogContract('RedisTopicLog', async () => {
 *   const prefix = nextPrefix();
 *   const log = await RedisTopicLog.open(redis, 'jobs', { keyPrefix: prefix });
 *   return { log, cleanup: () => deleteKeys(redis, prefix) };
 * });
 */
export function topicLogContract(
  name: string,
  makeLog: () => TopicLogFixture | Promise<TopicLogFixture>,
): void {
  describe(`TopicLog contract: ${name}`, () => {
    let fixture: TopicLogFixture;
    let log: TopicLog;

    beforeEach(async () => {
      fixture = await makeLog();
      log = fixture.log;
    });
    afterEach(async () => {
      await log.close?.();
      await fixture.cleanup?.();
    });

    it('starts empty, with its floor at the creation floor', async () => {
      expect(log.length).toBe(0);
      expect(log.bytes).toBe(0);
      expect(log.firstId).toBeUndefined();
      expect(log.lastId).toBeUndefined();
      expect(log.floor).toBe(log.creationFloor);
      const page = await log.read(MIN_EVENT_ID, 10);
      expect(page).toEqual({ events: [], floor: log.creationFloor, holdsAfter: false });
    });

    it('issues strictly increasing IDs above the creation floor, and resolves appends in ID order', async () => {
      const order: EventId[] = [];
      const pending = Array.from({ length: 20 }, (_, n) =>
        log.append(message(n)).then((ev) => {
          order.push(ev.id);
          return ev;
        }),
      );
      const events = await Promise.all(pending);
      expect(compareEventIds(events[0]!.id, log.creationFloor)).toBeGreaterThan(0);
      for (let i = 1; i < events.length; i++)
        expect(compareEventIds(events[i]!.id, events[i - 1]!.id)).toBeGreaterThan(0);
      expect(order).toEqual(events.map((ev) => ev.id));
      expect(events.map((ev) => ev.data)).toEqual(events.map((_, n) => ({ n })));
      expect(log.lastId).toBe(events.at(-1)!.id);
      expect(log.firstId).toBe(events[0]!.id);
      expect(log.length).toBe(20);
      expect(log.bytes).toBe(events.reduce((sum, ev) => sum + ev.size, 0));
    });

    it('keeps the event name, the JSON, its size and the message ID', async () => {
      const ev = await log.append(
        encodeTopicPayload('msg.delta', { messageId: '1843563473929170944', text: 'héllo 👋' }),
      );
      expect(ev.event).toBe('msg.delta');
      expect(ev.messageId).toBe('1843563473929170944');
      expect(ev.json).toBe('{"messageId":"1843563473929170944","text":"héllo 👋"}');
      expect(ev.size).toBe(new TextEncoder().encode(ev.json).length);
      const { ms, seq } = parseEventId(ev.id);
      expect([ev.ms, ev.seq]).toEqual([ms, seq]);
      const [read] = (await log.read(MIN_EVENT_ID, 1)).events;
      expect(read).toMatchObject({
        id: ev.id,
        event: ev.event,
        data: ev.data,
        json: ev.json,
        size: ev.size,
        messageId: ev.messageId,
      });
    });

    it('refuses an explicit ID that is not greater than the last with ID_TOO_SMALL, and keeps nothing of it', async () => {
      const first = await log.append(message(0));
      const { ms, seq } = parseEventId(first.id);
      for (const id of [
        { ms, seq },
        { ms: Math.max(0, ms - 1), seq: 99 },
        { ms: 0, seq: 1 },
      ]) {
        const err = await log.append({ ...message(1), id }).catch((e: unknown) => e);
        expect(isSpoolError(err) && err.code).toBe('ID_TOO_SMALL');
      }
      const next = await log.append({ ...message(2), id: { ms, seq: seq + 1 } });
      expect(next.id).toBe(`${ms}-${seq + 1}`);
      const later = await log.append(message(3));
      expect(compareEventIds(later.id, next.id)).toBeGreaterThan(0);
      expect((await log.read(MIN_EVENT_ID, 10)).events.map((ev) => ev.data)).toEqual([
        { n: 0 },
        { n: 2 },
        { n: 3 },
      ]);
    });

    it('reads pages after an ID and tells whether it holds that ID', async () => {
      const events: TopicEvent[] = [];
      for (let n = 0; n < 10; n++) events.push(await log.append(message(n)));
      const ids = events.map((ev) => ev.id);
      const all = await log.read(MIN_EVENT_ID, 100);
      expect(all.events.map((ev) => ev.id)).toEqual(ids);
      expect(all.holdsAfter).toBe(false);
      const page = await log.read(ids[2]!, 3);
      expect(page.events.map((ev) => ev.id)).toEqual(ids.slice(3, 6));
      expect(page.holdsAfter).toBe(true);
      const none = await log.read(ids[4]!, 0);
      expect(none).toEqual({ events: [], floor: log.creationFloor, holdsAfter: true });
      expect(await log.read(ids.at(-1)!, 5)).toEqual({
        events: [],
        floor: log.creationFloor,
        holdsAfter: true,
      });
      // The floor is a position, not an event: it is never held.
      const fromFloor = await log.read(log.creationFloor, 2);
      expect(fromFloor.holdsAfter).toBe(false);
      expect(fromFloor.events.map((ev) => ev.id)).toEqual(ids.slice(0, 2));
    });

    it('trims the oldest events only, raises the floor to the last one trimmed, and calls the hooks', async () => {
      const rules = recordingRules({ maxEvents: 4 });
      const events: TopicEvent[] = [];
      for (let n = 0; n < 10; n++) events.push(await log.append(message(n), rules));
      expect(rules.appended.map((ev) => ev.id)).toEqual(events.map((ev) => ev.id));
      expect(rules.dropped.map((ev) => ev.id)).toEqual(events.slice(0, 6).map((ev) => ev.id));
      expect(log.length).toBe(4);
      expect(log.firstId).toBe(events[6]!.id);
      expect(log.floor).toBe(events[5]!.id);
      const page = await log.read(MIN_EVENT_ID, 100);
      expect(page.floor).toBe(events[5]!.id);
      expect(page.events.map((ev) => ev.id)).toEqual(events.slice(6).map((ev) => ev.id));
      expect((await log.read(events[5]!.id, 0)).holdsAfter).toBe(false);
      expect(log.lastId).toBe(events[9]!.id);
      expect(log.bytes).toBe(events.slice(6).reduce((sum, ev) => sum + ev.size, 0));
    });

    it('trims by bytes, and by trim() alone with tighter rules', async () => {
      const events: TopicEvent[] = [];
      for (let n = 0; n < 6; n++) events.push(await log.append(message(n)));
      const size = events[0]!.size; // every `{"n":<digit>}` is the same size
      const rules = recordingRules({ maxBytes: 2 * size });
      expect(await log.trim(rules)).toBe(4);
      expect(rules.dropped.map((ev) => ev.id)).toEqual(events.slice(0, 4).map((ev) => ev.id));
      expect(log.floor).toBe(events[3]!.id);
      expect(log.bytes).toBe(2 * size);
      expect(await log.trim(rules)).toBe(0);
    });

    it('never trims past a pinned event by the soft limits; trims it once unpinned', async () => {
      const open = new Set(['7']);
      const rules = recordingRules({
        maxEvents: 2,
        hardMaxEvents: 100,
        isPinned: (ev) => open.has(ev.messageId ?? ''),
      });
      const first = await log.append(message(0), rules);
      const pinned = await log.append(chat('7', 0), rules);
      for (let n = 1; n < 6; n++) await log.append(message(n), rules);
      // The first event went; the pinned one stops the trim, so everything after it stays too.
      expect(rules.dropped.map((ev) => ev.id)).toEqual([first.id]);
      expect(log.firstId).toBe(pinned.id);
      expect(log.length).toBe(6);
      expect(log.floor).toBe(first.id);
      open.delete('7');
      expect(await log.trim(rules)).toBe(4);
      expect(log.length).toBe(2);
      expect(rules.dropped.at(-4)!.id).toBe(pinned.id);
    });

    it('squeezes pinned events out at the hard limits', async () => {
      const rules = recordingRules({
        maxEvents: 2,
        hardMaxEvents: 4,
        isPinned: (ev) => ev.messageId === '9',
      });
      const events: TopicEvent[] = [];
      for (let n = 0; n < 7; n++) events.push(await log.append(chat('9', n), rules));
      expect(log.length).toBe(4);
      expect(rules.dropped.map((ev) => ev.id)).toEqual(events.slice(0, 3).map((ev) => ev.id));
      expect(log.floor).toBe(events[2]!.id);
    });

    it('keeps its floor when it is emptied and only ever raises it', async () => {
      const rules = recordingRules({ maxEvents: 1 });
      const floors: EventId[] = [log.floor];
      let last: TopicEvent | undefined;
      for (let n = 0; n < 5; n++) {
        last = await log.append(message(n), rules);
        floors.push(log.floor);
      }
      for (let i = 1; i < floors.length; i++)
        expect(compareEventIds(floors[i]!, floors[i - 1]!)).toBeGreaterThanOrEqual(0);
      expect(await log.trim({ ...rules, maxEvents: 1, maxBytes: 1 })).toBe(1);
      expect(log.length).toBe(0);
      expect(log.floor).toBe(last!.id);
      expect(log.lastId).toBe(last!.id);
      const page = await log.read(MIN_EVENT_ID, 10);
      expect(page).toEqual({ events: [], floor: last!.id, holdsAfter: false });
      const next = await log.append(message(9));
      expect(compareEventIds(next.id, last!.id)).toBeGreaterThan(0);
      expect(log.floor).toBe(last!.id);
    });
  });
}
