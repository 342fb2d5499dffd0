import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SpoolError } from '../errors';
import { specModel, splitBytes, splitPoints, sseText } from './__tests__/sse-fixtures';
import type { ParsedSseEvent } from './sse-parser';
import { createSseParserStream, type SseParserStreamOptions } from './sse-parser-stream';

// Property tests run hundreds of cases; the machine they run on may be busy.
const PROPERTY_TIMEOUT_MS = 30_000;

async function parseAll(
  chunks: Array<string | Uint8Array>,
  options?: SseParserStreamOptions,
): Promise<ParsedSseEvent[]> {
  const source = new ReadableStream<string | Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(c);
      controller.close();
    },
  });
  const out: ParsedSseEvent[] = [];
  const reader = source.pipeThrough(createSseParserStream(options)).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return out;
    out.push(value);
  }
}

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('createSseParserStream', () => {
  it('parses bytes into events', async () => {
    expect(await parseAll([utf8('id: 1-0\nevent: msg.delta\ndata: {"text":"Hi"}\n\n')])).toEqual([
      { id: '1-0', event: 'msg.delta', data: '{"text":"Hi"}' },
    ]);
  });

  it('decodes a multibyte character split across byte chunks', async () => {
    const bytes = utf8('data: é数🙂\n\n');
    // Every byte in its own chunk: each multibyte character arrives in pieces.
    const chunks = Array.from(bytes, (b) => Uint8Array.of(b));
    expect(await parseAll(chunks)).toEqual([{ id: '', event: 'message', data: 'é数🙂' }]);
  });

  it('strips exactly one BOM from bytes', async () => {
    const bom = Uint8Array.of(0xef, 0xbb, 0xbf);
    expect(await parseAll([bom.subarray(0, 1), bom.subarray(1), utf8('data: a\n\n')])).toEqual([
      { id: '', event: 'message', data: 'a' },
    ]);
    // The second BOM belongs to the first line, which becomes an unknown field.
    expect(await parseAll([bom, bom, utf8('data: a\n\ndata: b\n\n')])).toEqual([
      { id: '', event: 'message', data: 'b' },
    ]);
  });

  it('turns invalid UTF-8 into U+FFFD instead of failing', async () => {
    expect(await parseAll([Uint8Array.of(0x64, 0x61, 0x74, 0x61, 0x3a, 0xff, 0x0a, 0x0a)])).toEqual([
      { id: '', event: 'message', data: '\uFFFD' },
    ]);
  });

  it('accepts text chunks, and text after bytes that left a character unfinished', async () => {
    const e = utf8('é');
    expect(await parseAll(['data: a', utf8('b'), e.subarray(0, 1), '\n\n'])).toEqual([
      { id: '', event: 'message', data: 'ab\uFFFD' },
    ]);
  });

  it('drops an unfinished event at the end of the stream', async () => {
    expect(await parseAll([utf8('data: a\n\ndata: b\n')])).toEqual([{ id: '', event: 'message', data: 'a' }]);
  });

  it('passes retry and comments to the callbacks', async () => {
    const retries: number[] = [];
    const comments: string[] = [];
    await parseAll([utf8(': hello\nretry: 2500\n\n')], {
      onRetry: (ms) => retries.push(ms),
      onComment: (c) => comments.push(c),
    });
    expect(retries).toEqual([2500]);
    expect(comments).toEqual(['hello']);
  });

  it('errors the stream with SSE_LINE_TOO_LONG', async () => {
    const err = await parseAll([utf8('data: '), utf8('x'.repeat(100))], { maxBufferSize: 50 }).then(
      () => undefined,
      (e: SpoolError) => e,
    );
    expect(err?.code).toBe('SSE_LINE_TOO_LONG');
  });

  it('throws INVALID_OPTION at creation for bad options', () => {
    try {
      createSseParserStream({ maxBufferSize: -1 });
      expect.unreachable();
    } catch (err) {
      expect((err as SpoolError).code).toBe('INVALID_OPTION');
    }
  });

  it(
    'matches the spec model on any UTF-8 byte split (property)',
    async () => {
      await fc.assert(
        fc.asyncProperty(sseText, splitPoints, async (text, points) => {
          const events = await parseAll(splitBytes(utf8(text), points));
          expect(events).toEqual(specModel(text).events);
        }),
        { numRuns: 200 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
