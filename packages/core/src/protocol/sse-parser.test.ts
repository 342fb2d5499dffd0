import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SpoolError } from '../errors';
import { runParser, specModel, splitAt, splitPoints, sseText } from './__tests__/sse-fixtures';
import { type ParsedSseEvent, SseParser, sseParserDefaults } from './sse-parser';

// Property tests run hundreds of cases; the machine they run on may be busy.
const PROPERTY_TIMEOUT_MS = 30_000;

function events(...chunks: string[]): ParsedSseEvent[] {
  return runParser(chunks).events;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as SpoolError).code;
  }
  return undefined;
}

describe('SseParser fields', () => {
  it('dispatches an event with id, type and data', () => {
    expect(events('id: 1-0\nevent: msg.delta\ndata: {"text":"Hi"}\n\n')).toEqual([
      { id: '1-0', event: 'msg.delta', data: '{"text":"Hi"}' },
    ]);
  });

  it('joins multi-line data with LF', () => {
    expect(events('data: a\ndata:\ndata:  b\ndata\n\n')).toEqual([
      { id: '', event: 'message', data: 'a\n\n b\n' },
    ]);
  });

  it('uses the type "message" when event is absent or empty, and resets it after each event', () => {
    expect(events('event: x\ndata: 1\n\ndata: 2\n\nevent:\ndata: 3\n\nevent: y\n\ndata: 4\n\n')).toEqual([
      { id: '', event: 'x', data: '1' },
      { id: '', event: 'message', data: '2' },
      { id: '', event: 'message', data: '3' },
      { id: '', event: 'message', data: '4' },
    ]);
  });

  it('does not dispatch an event without data lines, but dispatches empty data', () => {
    expect(events('event: x\n\nid: 1\n\n:c\n\ndata:\n\n')).toEqual([{ id: '1', event: 'message', data: '' }]);
  });

  it('carries the last event ID across events, and an empty id: clears it', () => {
    const out = runParser(['id: 5-0\ndata: a\n\ndata: b\n\nid\ndata: c\n\nid: 6-0\n\ndata: d\n\n']);
    expect(out.events.map((e) => e.id)).toEqual(['5-0', '5-0', '', '6-0']);
    expect(out.lastEventId).toBe('6-0');
  });

  it('moves lastEventId only when a blank line dispatches, as EventSource does', () => {
    const parser = new SseParser();
    parser.feed('id: 1-0\n');
    expect(parser.lastEventId).toBe('');
    parser.feed('\n');
    expect(parser.lastEventId).toBe('1-0');
  });

  it('ignores an id containing NUL', () => {
    expect(events('id: 1-0\ndata: a\n\nid: 2\0x\ndata: b\n\n').map((e) => e.id)).toEqual(['1-0', '1-0']);
  });

  it('reports retry only for ASCII digits', () => {
    const out = runParser(['retry: 3000\nretry: 1a\nretry:\nretry: -1\nretry:  5\nretry:42\nretry: ４\n\n']);
    expect(out.retries).toEqual([3000, 42]);
    expect(out.events).toEqual([]);
  });

  it('reports comments without dispatching them', () => {
    const out = runParser([': hb\n:x\n:  two\n\n']);
    expect(out.comments).toEqual(['hb', 'x', ' two']);
    expect(out.events).toEqual([]);
  });

  it('ignores unknown fields and compares field names case-sensitively', () => {
    expect(events('Data: x\nfoo: bar\nDATA\nevent : y\ndata: ok\n\n')).toEqual([
      { id: '', event: 'message', data: 'ok' },
    ]);
  });

  it('removes exactly one space after the colon', () => {
    expect(events('data:x\n\ndata: x\n\ndata:  x\n\n').map((e) => e.data)).toEqual(['x', 'x', ' x']);
  });

  it('keeps colons after the first one in the value', () => {
    expect(events('data: a:b: c\n\n')[0]!.data).toBe('a:b: c');
  });
});

describe('SseParser line endings and chunking', () => {
  it('accepts LF, CR and CRLF, mixed', () => {
    expect(events('data: a\rdata: b\r\ndata: c\n\r\n\rdata: d\r\r')).toEqual([
      { id: '', event: 'message', data: 'a\nb\nc' },
      { id: '', event: 'message', data: 'd' },
    ]);
  });

  it('counts a CR ending one chunk and an LF starting the next as ONE line ending', () => {
    // Two endings would make a blank line and dispatch "a" alone.
    expect(events('data: a\r', '\ndata: b\r', '\n\r', '\n')).toEqual([
      { id: '', event: 'message', data: 'a\nb' },
    ]);
  });

  it('dispatches at a CR that ends the chunk without waiting for more input', () => {
    const seen: string[] = [];
    const parser = new SseParser({ onEvent: (ev) => seen.push(ev.data) });
    parser.feed('data: now\r\r');
    expect(seen).toEqual(['now']);
  });

  it('still sees the LF after a CR when empty chunks come between', () => {
    expect(events('data: a\r', '', '\n', 'data: b\n\n')).toEqual([
      { id: '', event: 'message', data: 'a\nb' },
    ]);
  });

  it('skips one leading BOM, only at the start of the stream', () => {
    expect(events('\uFEFFdata: a\n\n')).toEqual([{ id: '', event: 'message', data: 'a' }]);
    expect(events('\uFEFF', 'data: a\n\n')).toEqual([{ id: '', event: 'message', data: 'a' }]);
    // A second BOM is part of the first field name, so the line is an unknown field.
    expect(events('\uFEFF\uFEFFdata: a\n\ndata: b\n\n')).toEqual([{ id: '', event: 'message', data: 'b' }]);
    expect(events('data: a\n\n', '\uFEFFdata: b\n\n')).toEqual([{ id: '', event: 'message', data: 'a' }]);
  });

  it('joins a line split across many chunks, multibyte characters included', () => {
    const text = 'id: 1-0\nevent: msg.delta\ndata: {"text":"naïve 数据 🙂"}\n\n';
    const chunks = Array.from(text.split(''), (c) => c); // splits 🙂 into its two surrogates
    expect(events(...chunks)).toEqual([{ id: '1-0', event: 'msg.delta', data: '{"text":"naïve 数据 🙂"}' }]);
  });

  it('drops an event left unfinished at the end of the input', () => {
    expect(events('data: a\n\ndata: b\n')).toEqual([{ id: '', event: 'message', data: 'a' }]);
    expect(events('data: a\n\ndata: b')).toEqual([{ id: '', event: 'message', data: 'a' }]);
  });

  it(
    'gives the same result however the input is split (property)',
    () => {
      fc.assert(
        fc.property(sseText, splitPoints, (text, points) => {
          expect(runParser(splitAt(text, points))).toEqual(runParser([text]));
        }),
        { numRuns: 500 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'agrees with a literal transcription of the WHATWG steps on any split (property)',
    () => {
      fc.assert(
        fc.property(sseText, splitPoints, (text, points) => {
          expect(runParser(splitAt(text, points))).toEqual(specModel(text));
        }),
        { numRuns: 500 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

describe('SseParser limits and state', () => {
  it('throws SSE_LINE_TOO_LONG for a complete line past maxBufferSize', () => {
    const parser = new SseParser({ maxBufferSize: 16 });
    parser.feed('data: 123456789\n'); // 15 characters: fine
    expect(codeOf(() => parser.feed('data: 1234567890x\n'))).toBe('SSE_LINE_TOO_LONG');
  });

  it('throws SSE_LINE_TOO_LONG for a line that never ends, across chunks', () => {
    const parser = new SseParser({ maxBufferSize: 64 });
    let code: string | undefined;
    for (let i = 0; i < 100 && !code; i++) code = codeOf(() => parser.feed('xxxxxxxxxx'));
    expect(code).toBe('SSE_LINE_TOO_LONG');
  });

  it('throws SSE_LINE_TOO_LONG for an event whose data lines add up past the limit', () => {
    const parser = new SseParser({ maxBufferSize: 32 });
    expect(codeOf(() => parser.feed('data: 0123456789\n'.repeat(4)))).toBe('SSE_LINE_TOO_LONG');
  });

  it('keeps failing after SSE_LINE_TOO_LONG until reset, then parses a new stream', () => {
    const seen: ParsedSseEvent[] = [];
    const parser = new SseParser({ maxBufferSize: 8, onEvent: (ev) => seen.push(ev) });
    expect(codeOf(() => parser.feed('data: far too long\n'))).toBe('SSE_LINE_TOO_LONG');
    expect(codeOf(() => parser.feed('data: a\n\n'))).toBe('SSE_LINE_TOO_LONG');
    parser.reset();
    parser.feed('data: a\n\n');
    expect(seen).toEqual([{ id: '', event: 'message', data: 'a' }]);
  });

  it('delivers the events before the overlong line in the same chunk', () => {
    const seen: string[] = [];
    const parser = new SseParser({ maxBufferSize: 10, onEvent: (ev) => seen.push(ev.data) });
    expect(codeOf(() => parser.feed('data: ok\n\ndata: overflowing\n\n'))).toBe('SSE_LINE_TOO_LONG');
    expect(seen).toEqual(['ok']);
  });

  it('reset() drops partial input and the id buffer but keeps lastEventId, like a reconnect', () => {
    const seen: ParsedSseEvent[] = [];
    const parser = new SseParser({ lastEventId: '3-0', onEvent: (ev) => seen.push(ev) });
    expect(parser.lastEventId).toBe('3-0');
    parser.feed('id: 4-0\ndata: half');
    parser.reset();
    expect(parser.lastEventId).toBe('3-0');
    parser.feed('\uFEFFdata: b\n\n');
    expect(seen).toEqual([{ id: '', event: 'message', data: 'b' }]);
  });

  it('validates its options eagerly with INVALID_OPTION', () => {
    expect(sseParserDefaults.maxBufferSize).toBe(1024 * 1024);
    for (const bad of [0, -1, 1.5, Number.NaN, '10']) {
      expect(codeOf(() => new SseParser({ maxBufferSize: bad as number }))).toBe('INVALID_OPTION');
    }
    expect(codeOf(() => new SseParser({ onEvent: 'x' as never }))).toBe('INVALID_OPTION');
    expect(codeOf(() => new SseParser({ lastEventId: 5 as never }))).toBe('INVALID_OPTION');
    expect(codeOf(() => new SseParser((() => {}) as never))).toBe('INVALID_OPTION');
  });

  it('lets a throwing callback propagate, and recovers after reset', () => {
    let fail = true;
    const seen: string[] = [];
    const parser = new SseParser({
      onEvent: (ev) => {
        if (fail) throw new Error('boom');
        seen.push(ev.data);
      },
    });
    expect(() => parser.feed('data: a\n\n')).toThrow('boom');
    fail = false;
    parser.reset();
    parser.feed('data: b\n\n');
    expect(seen).toEqual(['b']);
  });
});
