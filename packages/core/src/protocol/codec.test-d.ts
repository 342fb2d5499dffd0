import { expectTypeOf } from 'vitest';
import { SpoolError } from '../errors';
import { decodeClientMessage } from './decode-client-message';
import { encodeClientMessage, encodeServerMessage } from './encode-message';
import type { ClientMessage, ServerMessage } from './messages';
import { readServerFrame } from './read-server-frame';
import { type ParsedSseEvent, SseParser } from './sse-parser';
import { createSseParserStream } from './sse-parser-stream';

const res = readServerFrame('{"op":"hb"}');
if (res instanceof SpoolError) {
  expectTypeOf(res.code).toEqualTypeOf<SpoolError['code']>();
} else {
  expectTypeOf(res).toEqualTypeOf<ServerMessage>();
  if (res.op === 'ev') {
    expectTypeOf(res.id).toBeString();
    expectTypeOf(res.data).toBeUnknown();
  }
}

const req = decodeClientMessage(new Uint8Array());
if (req.ok && req.value.op === 'msg.append') expectTypeOf(req.value.messageId).toBeString();
expectTypeOf(req).toMatchTypeOf<{ ok: boolean }>();
expectTypeOf<Extract<typeof req, { ok: true }>['value']>().toEqualTypeOf<ClientMessage>();

// @ts-expect-error a server message is not a client message
encodeClientMessage({ op: 'hb' });
// @ts-expect-error ev needs a topic
encodeServerMessage({ op: 'ev', id: '1-0', event: 'e', data: 1 });

new SseParser({ onEvent: (ev) => expectTypeOf(ev).toEqualTypeOf<ParsedSseEvent>() });
expectTypeOf(createSseParserStream()).toEqualTypeOf<TransformStream<string | Uint8Array, ParsedSseEvent>>();
