import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { describe, expect, it } from 'vitest';
import type { SpoolError } from '../errors';
import { type SsePipelineEvent, ssePipelineEncoder } from './sse-encoder';

function parse(text: string): EventSourceMessage[] {
  const out: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (e) => out.push(e) });
  parser.feed(text);
  return out;
}

/** One item through the default encoder (items are SsePipelineEvents). */
const frame = (event: SsePipelineEvent) => ssePipelineEncoder().item(event, 0) as string;

describe('ssePipelineEncoder', () => {
  it('frames retry, id, event and data lines with the protocol framer, ended by a blank line', () => {
    expect(frame({ id: '1-0', event: 'msg.delta', retry: 1000, data: { t: 'hi' } })).toBe(
      'retry: 1000\nid: 1-0\nevent: msg.delta\ndata: {"t":"hi"}\n\n',
    );
    expect(frame({ data: 'plain' })).toBe('data: plain\n\n');
    // JSON.stringify(undefined) is undefined: the data is then the JSON null.
    expect(frame({ data: undefined })).toBe('data: null\n\n');
  });

  it('splits data on CRLF, LF and CR into data lines', () => {
    expect(frame({ data: 'a\r\nb\nc\rd' })).toBe('data: a\ndata: b\ndata: c\ndata: d\n\n');
  });

  it('rejects fields that would break the framing with INVALID_SSE_FIELD', () => {
    for (const bad of [
      { id: 'a\nb', data: 1 },
      { id: 'a\0', data: 1 },
      { event: 'x\ry', data: 1 },
      { retry: -1, data: 1 },
    ]) {
      try {
        frame(bad);
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
