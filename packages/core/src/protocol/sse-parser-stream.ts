import { type ParsedSseEvent, SseParser, type SseParserOptions } from './sse-parser';

/** Options of {@link createSseParserStream}: those of {@link SseParser} except `onEvent`. */
export type SseParserStreamOptions = Omit<SseParserOptions, 'onEvent'>;

/**
 * A `TransformStream` from `text/event-stream` bytes or text to {@link ParsedSseEvent}s.
 * Bytes are decoded as UTF-8 with a streaming `TextDecoder`, so a character split across
 * chunks arrives whole (and invalid bytes become U+FFFD, as the spec's UTF-8 decode
 * does). A line too long errors the stream with `SSE_LINE_TOO_LONG`; an event left
 * unfinished at the end of the input is dropped, as the spec says.
 *
 * @example
 * const res = await fetch(url, { headers: { accept: 'text/event-stream' } });
 * for await (const ev of res.body!.pipeThrough(createSseParserStream())) console.log(ev.data);
 */
export function createSseParserStream(
  options: SseParserStreamOptions = {},
): TransformStream<string | Uint8Array, ParsedSseEvent> {
  // ignoreBOM keeps a leading BOM in the decoded text, so that the parser skips exactly
  // one BOM for bytes and text alike.
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  let out: TransformStreamDefaultController<ParsedSseEvent> | undefined;
  // Built here, not in start(), so that bad options throw at once.
  const parser = new SseParser({ ...options, onEvent: (ev) => out!.enqueue(ev) });
  let decoding = false;
  return new TransformStream<string | Uint8Array, ParsedSseEvent>({
    start(controller) {
      out = controller;
    },
    transform(chunk) {
      if (typeof chunk === 'string') {
        // Text after bytes: finish any character the decoder still holds first.
        if (decoding) {
          decoding = false;
          parser.feed(decoder.decode());
        }
        parser.feed(chunk);
      } else {
        decoding = true;
        parser.feed(decoder.decode(chunk, { stream: true }));
      }
    },
    flush() {
      // A truncated character at the very end becomes U+FFFD in an unfinished line,
      // which is then dropped with the rest of the unfinished event.
      if (decoding) parser.feed(decoder.decode());
    },
  });
}
