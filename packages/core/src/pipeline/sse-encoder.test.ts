import { createParser, type EventSourceMessage } from 'eventsource-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SpoolError } from '../errors';
import { frameSseEvent, ssePipelineEncoder } from './sse-encoder';

function parse(text: string): EventSourceMessage[] {
  const out: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (e) => out.push(e) });
  parser.feed(text);
  return out;
}

describe('ssePipelineEncoder', () => {
  it('frames id, event, retry and data lines, ended by a blank line', () => {
    expect(frameSseEvent({ id: '1-0', event: 'msg.delta', retry: 1000, data: { t: 'hi' } })).toBe(
      'id: 1-0\nevent: msg.delta\nretry: 1000\ndata: {"t":"hi"}\n\n',
    );
    expect(frameSseEvent({ data: 'plain' })).toBe('data: plain\n\n');
  });

  it('splits data on CRLF, LF and CR into data lines', () => {
    expect(frameSseEvent({ data: 'a\r\nb\nc\rd' })).toBe('data: a\ndata: b\ndata: c\ndata: d\n\n');
  });

  it('round-trips any string data and id through a WHATWG parser', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme' }),
        fc.string({ unit: 'grapheme' }).filter((s) => !/[\r\n\0]/.test(s) && !s.startsWith(' ')),
        (data, id) => {
          const [event] = parse(frameSseEvent({ id, event: 'e', data }));
          // The WHATWG parser joins data lines with LF, so CR and CRLF come back as LF.
          expect(event?.data).toBe(data.replace(/\r\n|\r/g, '\n'));
          expect(event?.id).toBe(id);
        },
      ),
    );
  });

  it('rejects fields that would break the framing with INVALID_SSE_FIELD', () => {
    for (const bad of [
      { id: 'a\nb', data: 1 },
      { id: 'a\0', data: 1 },
      { event: 'x\ry', data: 1 },
      { retry: -1, data: 1 },
    ]) {
      try {
        frameSseEvent(bad);
        expect.unreachable();
      } catch (err) {
        expect((err as SpoolError).code).toBe('INVALID_SSE_FIELD');
      }
    }
  });

  it('maps items through toEvent and writes the in-band error as an `error` event', () => {
    const encoder = ssePipelineEncoder<{ n: number }>({ toEvent: (x) => ({ id: String(x.n), data: x }) });
    const text =
      encoder.start() +
      (encoder.item({ n: 1 }, 0) as string) +
      (encoder.error({ code: 'PIPELINE_FAILED', message: 'x' }, 1) as string);
    const events = parse(text);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ id: '1', data: '{"n":1}' });
    expect(events[1]?.event).toBe('error');
    expect(JSON.parse(events[1]!.data)).toEqual({ error: { code: 'PIPELINE_FAILED', message: 'x' } });
    expect(encoder.contentType).toBe('text/event-stream; charset=utf-8');
  });
});
