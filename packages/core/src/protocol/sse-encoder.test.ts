import { createParser, type EventSourceMessage } from 'eventsource-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SpoolError } from '../errors';
import { anyString } from './__tests__/any-string';
import { runParser } from './__tests__/sse-fixtures';
import { createSseEncoderStream, encodeSseEvent, type SseEventInit } from './sse-encoder';

// Property tests run hundreds of cases; the machine they run on may be busy.
const PROPERTY_TIMEOUT_MS = 30_000;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as SpoolError).code;
  }
  return undefined;
}

describe('encodeSseEvent', () => {
  it('frames id, event and data, ending with a blank line', () => {
    expect(encodeSseEvent({ id: '1731900000000-4', event: 'msg.delta', data: '{"text":"Hi"}' })).toBe(
      'id: 1731900000000-4\nevent: msg.delta\ndata: {"text":"Hi"}\n\n',
    );
    expect(encodeSseEvent({ data: 'x' })).toBe('data: x\n\n');
  });

  it('splits multi-line data on LF, CR and CRLF', () => {
    expect(encodeSseEvent({ data: 'a\nb\r\nc\rd\n' })).toBe('data: a\ndata: b\ndata: c\ndata: d\ndata: \n\n');
  });

  it('sends empty data as one empty data line, and no data as none', () => {
    expect(encodeSseEvent({ data: '' })).toBe('data: \n\n');
    expect(encodeSseEvent({ id: '5-0' })).toBe('id: 5-0\n\n');
  });

  it('writes retry and comments', () => {
    expect(encodeSseEvent({ retry: 3000 })).toBe('retry: 3000\n\n');
    expect(encodeSseEvent({ comment: 'hb' })).toBe(': hb\n\n');
    expect(encodeSseEvent({ comment: 'two\nlines', data: 'x' })).toBe(': two\n: lines\ndata: x\n\n');
  });

  it.each<[string, SseEventInit]>([
    ['LF in id', { id: '1\n2' }],
    ['CR in id', { id: '1\r2' }],
    ['NUL in id', { id: '1\u00002' }],
    ['LF in event', { event: 'a\nb' }],
    ['CR in event', { event: 'a\rdata: injected' }],
    ['negative retry', { retry: -1 }],
    ['fractional retry', { retry: 1.5 }],
    ['NaN retry', { retry: Number.NaN }],
    ['non-string data', { data: { a: 1 } as never }],
    ['non-string id', { id: 5 as never }],
    ['non-string comment', { comment: 5 as never }],
  ])('rejects %s with INVALID_SSE_FIELD', (_name, ev) => {
    expect(codeOf(() => encodeSseEvent(ev))).toBe('INVALID_SSE_FIELD');
  });

  it(
    'round-trips through the parser for any encodable event (property)',
    () => {
      const noBreaks = anyString().map((s) => s.replace(/[\r\n]/g, ''));
      const ev = fc.record(
        {
          id: noBreaks.map((s) => s.replace(/\0/g, '')),
          event: noBreaks,
          data: anyString(),
          retry: fc.nat(),
          comment: anyString(),
        },
        { requiredKeys: [] },
      );
      fc.assert(
        fc.property(fc.array(ev, { maxLength: 8 }), (evs) => {
          const out = runParser([evs.map(encodeSseEvent).join('')]);
          let lastId = '';
          const expected = [];
          for (const e of evs) {
            if (e.id !== undefined) lastId = e.id;
            if (e.data === undefined) continue;
            // The parser splits data lines on CR, LF and CRLF and joins them with LF.
            const data = e.data.replace(/\r\n|\r/g, '\n');
            expected.push({ id: lastId, event: e.event || 'message', data });
          }
          expect(out.events).toEqual(expected);
          expect(out.retries).toEqual(evs.flatMap((e) => (e.retry === undefined ? [] : [e.retry])));
        }),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

describe('encodeSseEvent against an independent WHATWG parser (eventsource-parser)', () => {
  it('round-trips any string data and id', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme' }),
        fc.string({ unit: 'grapheme' }).filter((s) => !/[\r\n\0]/.test(s) && !s.startsWith(' ')),
        (data, id) => {
          const out: EventSourceMessage[] = [];
          createParser({ onEvent: (e) => out.push(e) }).feed(encodeSseEvent({ id, event: 'e', data }));
          // The WHATWG parser joins data lines with LF, so CR and CRLF come back as LF.
          expect(out[0]?.data).toBe(data.replace(/\r\n|\r/g, '\n'));
          expect(out[0]?.id).toBe(id);
        },
      ),
    );
  });
});

describe('createSseEncoderStream', () => {
  async function encodeAll(evs: SseEventInit[]): Promise<string> {
    const source = new ReadableStream<SseEventInit>({
      start(c) {
        for (const e of evs) c.enqueue(e);
        c.close();
      },
    });
    const reader = source.pipeThrough(createSseEncoderStream()).getReader();
    const decoder = new TextDecoder();
    let text = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text;
      expect(value).toBeInstanceOf(Uint8Array);
      text += decoder.decode(value, { stream: true });
    }
  }

  it('writes UTF-8 bytes of the framed events', async () => {
    expect(await encodeAll([{ id: '1-0', data: 'é数🙂' }, { comment: 'hb' }])).toBe(
      'id: 1-0\ndata: é数🙂\n\n: hb\n\n',
    );
  });

  it('errors the stream with INVALID_SSE_FIELD', async () => {
    const err = await encodeAll([{ event: 'bad\n' }]).then(
      () => undefined,
      (e: SpoolError) => e,
    );
    expect(err?.code).toBe('INVALID_SSE_FIELD');
  });
});
