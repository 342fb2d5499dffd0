import { describe, expect, it } from 'vitest';
import { isSpoolError } from '../errors';
import { createTopicEvent, encodeTopicPayload, topicEventFrame } from './topic-event';

function codeOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return isSpoolError(err) ? err.code : err;
  }
  return undefined;
}

describe('encodeTopicPayload', () => {
  it('serialises once and counts UTF-8 bytes', () => {
    const p = encodeTopicPayload('message', { text: 'héllo 👋' });
    expect(p.json).toBe('{"text":"héllo 👋"}');
    expect(p.size).toBe(new TextEncoder().encode(p.json).length);
    expect(p.messageId).toBeUndefined();
  });

  it('turns undefined data into null', () => {
    const p = encodeTopicPayload('message', undefined);
    expect(p.json).toBe('null');
    expect(p.data).toBeNull();
  });

  it('finds the messageId of chat events only', () => {
    expect(encodeTopicPayload('msg.delta', { messageId: '1843563473929170944', chunkId: 0 }).messageId).toBe(
      '1843563473929170944',
    );
    expect(encodeTopicPayload('message', { messageId: '7' }).messageId).toBeUndefined();
    expect(encodeTopicPayload('msg.delta', { messageId: 7 }).messageId).toBeUndefined();
  });

  it('rejects names SSE cannot carry and data JSON cannot hold', () => {
    expect(codeOf(() => encodeTopicPayload('', 1))).toBe('INVALID_EVENT');
    expect(codeOf(() => encodeTopicPayload('a\nb', 1))).toBe('INVALID_EVENT');
    expect(codeOf(() => encodeTopicPayload(' lead', 1))).toBe('INVALID_EVENT');
    // The socket's codec and docs/protocol.md allow 256 characters: the log agrees.
    expect(encodeTopicPayload('x'.repeat(256), 1).event).toHaveLength(256);
    expect(codeOf(() => encodeTopicPayload('x'.repeat(257), 1))).toBe('INVALID_EVENT');
    expect(codeOf(() => encodeTopicPayload('message', { id: 1n }))).toBe('INVALID_EVENT');
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(codeOf(() => encodeTopicPayload('message', cyclic))).toBe('INVALID_EVENT');
  });
});

describe('topicEventFrame', () => {
  it('is the wire ev frame, and keeps nothing on the event', () => {
    const ev = createTopicEvent({ ms: 17, seq: 2 }, encodeTopicPayload('msg.delta', { text: 'a"b\n' }), 0);
    const frame = topicEventFrame('chan:1:"x"', ev);
    expect(JSON.parse(frame)).toEqual({
      op: 'ev',
      topic: 'chan:1:"x"',
      id: '17-2',
      event: 'msg.delta',
      data: { text: 'a"b\n' },
    });
    expect(frame).not.toContain('\n');
    expect(topicEventFrame('chan:1:"x"', ev)).toBe(frame);
    // A retained event must not hold its data a second time once a catch-up framed it.
    expect(Object.keys(ev).sort()).toEqual([
      'data',
      'event',
      'id',
      'json',
      'messageId',
      'ms',
      'seq',
      'size',
      'time',
    ]);
  });
});
