import type { TopicEvent } from '@spool/core';
import { createTopicEvent, encodeTopicPayload, topicEventFrame } from '@spool/core/internal';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventFrames } from './event-frames';
import { frameText } from './frame';

const eventNames = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 40 })
  .filter((name) => !/[\r\n]|^ /.test(name));

const events = fc.record({
  ms: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
  seq: fc.integer({ min: 0, max: 2 ** 32 }),
  event: eventNames,
  data: fc.jsonValue(),
});

function eventOf(e: { ms: number; seq: number; event: string; data: unknown }): TopicEvent {
  return createTopicEvent({ ms: e.ms, seq: e.seq }, encodeTopicPayload(e.event, e.data), e.ms);
}

describe('eventFrames', () => {
  it('writes the bytes of the frame of topicEventFrame, for any topic, name and data', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 60 }),
        fc.array(events, { maxLength: 5 }),
        (topic, evs) => {
          const frame = eventFrames(topic);
          for (const e of evs) {
            const ev = eventOf(e);
            expect(frame(ev).equals(frameText(topicEventFrame(topic, ev)))).toBe(true);
          }
        },
      ),
    );
  });

  it('crosses every RFC 6455 length form', () => {
    const frame = eventFrames('room');
    for (const n of [0, 60, 100, 65_400, 65_500, 70_000]) {
      const ev = eventOf({ ms: 1, seq: 0, event: 'message', data: 'é'.repeat(n) });
      expect(frame(ev).equals(frameText(topicEventFrame('room', ev)))).toBe(true);
    }
  });

  it('frames names past the kept ones alike', () => {
    const frame = eventFrames('room');
    for (let i = 0; i < 300; i++) {
      const ev = eventOf({ ms: i, seq: 0, event: `name.${i}`, data: { i } });
      expect(frame(ev).equals(frameText(topicEventFrame('room', ev)))).toBe(true);
    }
  });

  it('builds a wrong-sized event from its string instead of writing a corrupt frame', () => {
    const frame = eventFrames('room');
    const ev = eventOf({ ms: 5, seq: 1, event: 'message', data: { text: 'héllo' } });
    for (const size of [0, ev.size - 1, ev.size + 1, ev.size + 40]) {
      const wrong = { ...ev, size };
      expect(frame(wrong).equals(frameText(topicEventFrame('room', ev)))).toBe(true);
    }
  });
});
