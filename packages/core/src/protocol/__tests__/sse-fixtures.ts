/**
 * Shared by the SSE tests: a literal transcription of the WHATWG parsing steps to compare
 * against, generators of event-stream text, and helpers to split input anywhere.
 * https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */
import fc from 'fast-check';
import { type ParsedSseEvent, SseParser } from '../sse-parser';
import { anyString } from './any-string';

export interface SseOutcome {
  events: ParsedSseEvent[];
  retries: number[];
  comments: string[];
  lastEventId: string;
}

/**
 * The spec's algorithm, step by step and character by character, on the whole decoded
 * text at once. Slow and obviously right; the streaming parser must agree with it.
 */
export function specModel(decoded: string): SseOutcome {
  // "The UTF-8 decode algorithm strips one leading UTF-8 Byte Order Mark (BOM), if any."
  const text = decoded.charCodeAt(0) === 0xfeff ? decoded.slice(1) : decoded;
  const lines: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\r') {
      lines.push(current);
      current = '';
      if (text[i + 1] === '\n') i++;
    } else if (ch === '\n') {
      lines.push(current);
      current = '';
    } else current += ch;
  }
  // `current` is an unterminated last line: discarded at the end of the stream.
  const out: SseOutcome = { events: [], retries: [], comments: [], lastEventId: '' };
  let data = '';
  let type = '';
  let idBuffer = '';
  for (const line of lines) {
    if (line === '') {
      out.lastEventId = idBuffer;
      if (data === '') {
        type = '';
        continue;
      }
      if (data.endsWith('\n')) data = data.slice(0, -1);
      out.events.push({ id: out.lastEventId, event: type === '' ? 'message' : type, data });
      data = '';
      type = '';
      continue;
    }
    if (line.startsWith(':')) {
      out.comments.push(line.startsWith(': ') ? line.slice(2) : line.slice(1));
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') type = value;
    else if (field === 'data') data += `${value}\n`;
    else if (field === 'id') {
      if (!value.includes('\0')) idBuffer = value;
    } else if (field === 'retry') {
      if (/^[0-9]+$/.test(value)) out.retries.push(Number(value));
    }
  }
  return out;
}

/** Feeds `chunks` to a fresh {@link SseParser} and collects everything it reports. */
export function runParser(chunks: string[], maxBufferSize?: number): SseOutcome {
  const out: SseOutcome = { events: [], retries: [], comments: [], lastEventId: '' };
  const parser = new SseParser({
    onEvent: (ev) => out.events.push(ev),
    onRetry: (ms) => out.retries.push(ms),
    onComment: (text) => out.comments.push(text),
    ...(maxBufferSize === undefined ? {} : { maxBufferSize }),
  });
  for (const c of chunks) parser.feed(c);
  out.lastEventId = parser.lastEventId;
  return out;
}

/** Splits `text` at the given positions (any order, duplicates allowed). */
export function splitAt(text: string, points: number[]): string[] {
  const cuts = [...new Set(points.map((p) => p % (text.length + 1)))].sort((a, b) => a - b);
  const chunks: string[] = [];
  let from = 0;
  for (const cut of cuts) {
    chunks.push(text.slice(from, cut));
    from = cut;
  }
  chunks.push(text.slice(from));
  return chunks;
}

/** Splits `bytes` at the given positions, like network reads. */
export function splitBytes(bytes: Uint8Array, points: number[]): Uint8Array[] {
  const cuts = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const cut of cuts) {
    chunks.push(bytes.subarray(from, cut));
    from = cut;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

/** Characters that make parsing interesting: field letters, separators, NUL, BOM, multibyte. */
const tricky = fc.constantFrom(
  ...Array.from('datevnirycmsg:: 0123456789\0\uFEFFé数🙂'),
  'data',
  'event',
  'id',
  'retry',
);

/** Text without line breaks, for field values. */
export const sseValue = fc.oneof(
  fc.string({ unit: tricky, maxLength: 12 }),
  anyString({ maxLength: 12, loneSurrogates: false }).map((s) => s.replace(/[\r\n]/g, '')),
);

/** One line of an event stream, without its line ending: mostly well-formed fields. */
export const sseLine = fc.oneof(
  { arbitrary: fc.constant(''), weight: 4 },
  {
    arbitrary: fc.tuple(fc.constantFrom('data: ', 'data:', 'data:  '), sseValue).map(([p, v]) => p + v),
    weight: 5,
  },
  { arbitrary: fc.constantFrom('data', 'event', 'id', 'retry', 'Data: x', 'data :x'), weight: 1 },
  { arbitrary: fc.tuple(fc.constantFrom('event: ', 'event:'), sseValue).map(([p, v]) => p + v), weight: 2 },
  {
    arbitrary: fc
      .tuple(fc.constantFrom('id: ', 'id:'), fc.oneof(fc.constantFrom('1-0', '17-3', 'a\0b', ''), sseValue))
      .map(([p, v]) => p + v),
    weight: 2,
  },
  {
    arbitrary: fc
      .tuple(fc.constantFrom('retry: ', 'retry:'), fc.oneof(fc.nat().map(String), sseValue))
      .map(([p, v]) => p + v),
    weight: 1,
  },
  { arbitrary: fc.tuple(fc.constantFrom(':', ': '), sseValue).map(([p, v]) => p + v), weight: 1 },
  { arbitrary: sseValue, weight: 1 },
);

/** Whole event-stream texts: lines with mixed CR/LF/CRLF endings, or raw noise. */
export const sseText = fc.oneof(
  {
    arbitrary: fc
      .tuple(
        fc.boolean(),
        fc.array(fc.tuple(sseLine, fc.constantFrom('\n', '\r', '\r\n')), { maxLength: 30 }),
        sseValue,
      )
      .map(([bom, lines, tail]) => (bom ? '\uFEFF' : '') + lines.map(([l, e]) => l + e).join('') + tail),
    weight: 4,
  },
  {
    arbitrary: fc.string({ unit: fc.oneof(tricky, fc.constantFrom('\r', '\n', '\r\n')), maxLength: 80 }),
    weight: 1,
  },
);

/** Split points for {@link splitAt} / {@link splitBytes}. */
export const splitPoints = fc.array(fc.nat({ max: 4096 }), { maxLength: 12 });
