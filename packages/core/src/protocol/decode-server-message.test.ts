import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SpoolError } from '../errors';
import { anyString } from './__tests__/any-string';
import { serverMessage } from './__tests__/wire-arbitraries';
import { decodeServerMessage } from './decode-server-message';
import { encodeServerMessage } from './encode-message';
import type { ServerMessage } from './messages';
import type { WireDecodeResult } from './wire-frame';

// Property tests run hundreds of cases; the machine they run on may be busy.
const PROPERTY_TIMEOUT_MS = 30_000;

function failure(res: WireDecodeResult<unknown>) {
  if (res.ok) throw new Error(`expected a failure, got ${JSON.stringify(res.value)}`);
  return res;
}

const DECODE_CODES: string[] = ['BAD_FRAME', 'UNKNOWN_OP', 'INVALID_MESSAGE', 'FRAME_TOO_LARGE'];

describe('decodeServerMessage', () => {
  it.each<[string, ServerMessage]>([
    [
      'ev',
      { op: 'ev', topic: 'chan:1:general', id: '1731900000000-4', event: 'msg.delta', data: { text: 'Hi' } },
    ],
    ['ev with null data', { op: 'ev', topic: 't', id: '1-0', event: 'message', data: null }],
    ['subok', { op: 'subok', topic: 't', from: '1731900000000-5' }],
    ['reset', { op: 'reset', topic: 't', earliest: '1731900000000-0' }],
    ['lag', { op: 'lag', topic: 't' }],
    ['ack', { op: 'ack', ref: 7, id: '1-0' }],
    ['ack with messageId', { op: 'ack', ref: 1, messageId: '1843563473929170944' }],
    ['err', { op: 'err', ref: 7, code: 'FORBIDDEN', message: 'no' }],
    ['err for a topic', { op: 'err', topic: 't', code: 'NOT_SUBSCRIBED', message: '' }],
    [
      'err with retryAfterMs',
      { op: 'err', ref: 3, code: 'RATE_LIMITED', message: 'later', retryAfterMs: 40 },
    ],
    ['pong', { op: 'pong', ref: 9 }],
    ['hb', { op: 'hb' }],
  ])('decodes %s', (_name, msg) => {
    expect(decodeServerMessage(JSON.stringify(msg))).toEqual({ ok: true, value: msg });
  });

  it('keeps a snowflake message ID exact', () => {
    const res = decodeServerMessage('{"op":"ack","ref":1,"messageId":"1843563473929170944"}');
    expect(res.ok && res.value.op === 'ack' && res.value.messageId).toBe('1843563473929170944');
  });

  it('accepts bytes as well as text', () => {
    const bytes = new TextEncoder().encode('{"op":"hb"}');
    expect(decodeServerMessage(bytes)).toEqual({ ok: true, value: { op: 'hb' } });
    expect(decodeServerMessage(bytes.buffer)).toEqual({ ok: true, value: { op: 'hb' } });
  });

  it('drops unknown fields', () => {
    expect(decodeServerMessage('{"op":"lag","topic":"t","future":1}')).toEqual({
      ok: true,
      value: { op: 'lag', topic: 't' },
    });
  });

  it.each([
    ['not JSON', 'nope', 'BAD_FRAME'],
    ['a JSON array', '[1]', 'BAD_FRAME'],
    ['JSON null', 'null', 'BAD_FRAME'],
    ['a JSON string', '"hb"', 'BAD_FRAME'],
    ['no op', '{"topic":"t"}', 'UNKNOWN_OP'],
    ['a number op', '{"op":1}', 'UNKNOWN_OP'],
    ['an unknown op', '{"op":"sub","topic":"t"}', 'UNKNOWN_OP'],
    ['an inherited op name', '{"op":"constructor"}', 'UNKNOWN_OP'],
    ['__proto__ as op', '{"op":"__proto__"}', 'UNKNOWN_OP'],
    ['a bad event ID', '{"op":"ev","topic":"t","id":"01-0","event":"e","data":1}', 'INVALID_MESSAGE'],
    ['ev without data', '{"op":"ev","topic":"t","id":"1-0","event":"e"}', 'INVALID_MESSAGE'],
    ['an empty topic', '{"op":"lag","topic":""}', 'INVALID_MESSAGE'],
    ['a negative ref', '{"op":"pong","ref":-1}', 'INVALID_MESSAGE'],
    ['a fractional ref', '{"op":"pong","ref":1.5}', 'INVALID_MESSAGE'],
    ['a numeric messageId', '{"op":"ack","ref":1,"messageId":1843563473929170944}', 'INVALID_MESSAGE'],
    ['a zero messageId', '{"op":"ack","ref":1,"messageId":"0"}', 'INVALID_MESSAGE'],
    ['err without code', '{"op":"err","message":"x"}', 'INVALID_MESSAGE'],
    [
      'a negative retryAfterMs',
      '{"op":"err","code":"RATE_LIMITED","message":"","retryAfterMs":-5}',
      'INVALID_MESSAGE',
    ],
  ])('rejects %s', (_name, frame, code) => {
    expect(failure(decodeServerMessage(frame)).error.code).toBe(code);
  });

  it('names the field and the expectation in INVALID_MESSAGE', () => {
    const res = failure(decodeServerMessage('{"op":"subok","topic":"t","from":"x"}'));
    expect(res.error.message).toBe('`subok.from` must be an event ID "<ms>-<seq>", got "x".');
  });

  it('rejects invalid UTF-8 bytes with BAD_FRAME', () => {
    expect(failure(decodeServerMessage(Uint8Array.of(0x7b, 0xff, 0x7d))).error.code).toBe('BAD_FRAME');
  });

  it('rejects a frame that is neither text nor bytes with BAD_FRAME', () => {
    expect(failure(decodeServerMessage(42 as never)).error.code).toBe('BAD_FRAME');
  });

  it('counts maxBytes in UTF-8 bytes, for text and bytes', () => {
    const frame = JSON.stringify({ op: 'err', code: 'X', message: '数'.repeat(10) }); // 10 x 3 bytes
    const size = new TextEncoder().encode(frame).byteLength;
    expect(decodeServerMessage(frame, { maxBytes: size }).ok).toBe(true);
    expect(failure(decodeServerMessage(frame, { maxBytes: size - 1 })).error.code).toBe('FRAME_TOO_LARGE');
    const bytes = new TextEncoder().encode(frame);
    expect(decodeServerMessage(bytes, { maxBytes: size }).ok).toBe(true);
    expect(failure(decodeServerMessage(bytes, { maxBytes: size - 1 })).error.code).toBe('FRAME_TOO_LARGE');
    const emoji = JSON.stringify({ op: 'err', code: 'X', message: '🙂'.repeat(5) }); // 4 bytes each
    const emojiSize = new TextEncoder().encode(emoji).byteLength;
    expect(decodeServerMessage(emoji, { maxBytes: emojiSize }).ok).toBe(true);
    expect(failure(decodeServerMessage(emoji, { maxBytes: emojiSize - 1 })).error.code).toBe(
      'FRAME_TOO_LARGE',
    );
  });

  it('throws INVALID_OPTION for a bad maxBytes (a programming error, not input)', () => {
    try {
      decodeServerMessage('{"op":"hb"}', { maxBytes: 0 });
      expect.unreachable();
    } catch (err) {
      expect((err as SpoolError).code).toBe('INVALID_OPTION');
    }
  });

  it(
    'round-trips every valid server message, as text and as bytes (property)',
    () => {
      fc.assert(
        fc.property(serverMessage, (msg) => {
          const frame = encodeServerMessage(msg);
          expect(decodeServerMessage(frame)).toEqual({ ok: true, value: msg });
          expect(decodeServerMessage(new TextEncoder().encode(frame))).toEqual({ ok: true, value: msg });
        }),
        { numRuns: 500 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'never throws on garbage: strings, JSON values, bytes, anything (property)',
    () => {
      const garbage = fc.oneof(
        anyString({ maxLength: 40 }),
        fc.jsonValue().map((v) => JSON.stringify(v) ?? ''),
        fc
          .record({ op: fc.constantFrom('ev', 'subok', 'reset', 'lag', 'ack', 'err', 'pong', 'hb') }, {})
          .chain(({ op }) =>
            fc
              .dictionary(fc.constantFrom('topic', 'id', 'event', 'data', 'ref', 'code'), fc.jsonValue())
              .map((rest) => JSON.stringify({ ...rest, op })),
          ),
        fc.uint8Array(),
        fc.anything({ maxDepth: 2 }),
      );
      fc.assert(
        fc.property(garbage, (frame) => {
          const res = decodeServerMessage(frame as string, { maxBytes: 256 });
          // Plain checks: expect() per run is slow under load and adds nothing here.
          if (!res.ok && !(res.error instanceof SpoolError && DECODE_CODES.includes(res.error.code))) {
            throw new Error(`unexpected failure ${String(res.error)}`);
          }
        }),
        { numRuns: 500 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
