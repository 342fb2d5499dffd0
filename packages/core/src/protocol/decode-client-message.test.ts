import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SpoolError } from '../errors';
import { anyString } from './__tests__/any-string';
import { clientMessage, json } from './__tests__/wire-arbitraries';
import { decodeClientMessage, wireLimits } from './decode-client-message';
import { encodeClientMessage } from './encode-message';
import type { ClientMessage } from './messages';
import type { WireDecodeResult } from './wire-frame';

// Property tests run hundreds of cases; the machine they run on may be busy.
const PROPERTY_TIMEOUT_MS = 30_000;

function failure(res: WireDecodeResult<unknown>) {
  if (res.ok) throw new Error(`expected a failure, got ${JSON.stringify(res.value)}`);
  return res;
}

const DECODE_CODES: string[] = ['BAD_FRAME', 'UNKNOWN_OP', 'INVALID_MESSAGE', 'FRAME_TOO_LARGE'];

const decode = (msg: unknown) => decodeClientMessage(JSON.stringify(msg));

describe('decodeClientMessage', () => {
  it.each<[string, ClientMessage]>([
    ['sub', { op: 'sub', topic: 'chan:1:general', after: '1731900000000-3', compact: false, credit: 1024 }],
    ['sub live', { op: 'sub', topic: 'chan:1:general' }],
    ['unsub', { op: 'unsub', topic: 't' }],
    ['pub', { op: 'pub', ref: 7, topic: 't', event: 'message', data: { a: [1] }, key: 'idem-1' }],
    ['pub with null data', { op: 'pub', ref: 7, topic: 't', data: null }],
    ['credit', { op: 'credit', topic: 't', n: 512 }],
    ['ping', { op: 'ping', ref: 9 }],
    ['msg.open', { op: 'msg.open', ref: 1, meta: { channelId: 'general', channelType: 1 } }],
    [
      'msg.open with every meta field',
      {
        op: 'msg.open',
        ref: 1,
        meta: {
          messageId: '1843563473929170944',
          channelId: 'general',
          channelType: 2,
          fromUid: 'bot',
          clientMsgNo: 'c-1',
          timestamp: 1731900000000,
          customFields: { model: 'x', tokens: 3 },
        },
      },
    ],
    ['msg.append text', { op: 'msg.append', ref: 2, messageId: '42', chunkId: 0, text: 'Hel' }],
    ['msg.append b64', { op: 'msg.append', ref: 2, messageId: '42', chunkId: 1, b64: 'AAE=' }],
    ['msg.end', { op: 'msg.end', ref: 3, messageId: '42', reason: 'success' }],
    ['msg.end without reason', { op: 'msg.end', ref: 3, messageId: '42' }],
    ['msg.cancel', { op: 'msg.cancel', ref: 4, messageId: '42' }],
  ])('decodes %s', (_name, msg) => {
    expect(decode(msg)).toEqual({ ok: true, value: msg });
  });

  it('returns message IDs in canonical form, exact past 2^53', () => {
    expect(decode({ op: 'msg.cancel', ref: 1, messageId: '0042' })).toEqual({
      ok: true,
      value: { op: 'msg.cancel', ref: 1, messageId: '42' },
    });
    expect(decode({ op: 'msg.cancel', ref: 1, messageId: '1843563473929170945' })).toEqual({
      ok: true,
      value: { op: 'msg.cancel', ref: 1, messageId: '1843563473929170945' },
    });
  });

  it('drops unknown fields, also inside meta', () => {
    expect(decode({ op: 'unsub', topic: 't', extra: 1 })).toEqual({
      ok: true,
      value: { op: 'unsub', topic: 't' },
    });
    const res = decode({ op: 'msg.open', ref: 1, meta: { channelId: 'c', channelType: 1, closed: true } });
    expect(res).toEqual({
      ok: true,
      value: { op: 'msg.open', ref: 1, meta: { channelId: 'c', channelType: 1 } },
    });
  });

  it.each<[string, unknown, string]>([
    ['sub without topic', { op: 'sub' }, '`sub.topic` must be a non-empty string, got undefined.'],
    [
      'sub with a bad after',
      { op: 'sub', topic: 't', after: 'abc' },
      '`sub.after` must be an event ID "<ms>-<seq>", got "abc".',
    ],
    [
      'sub with a string credit',
      { op: 'sub', topic: 't', credit: '5' },
      '`sub.credit` must be an integer from 1 to 2147483647, got "5".',
    ],
    [
      'sub with a non-boolean compact',
      { op: 'sub', topic: 't', compact: 1 },
      '`sub.compact` must be a boolean, got 1.',
    ],
    [
      'sub with zero credit',
      { op: 'sub', topic: 't', credit: 0 },
      '`sub.credit` must be an integer from 1 to 2147483647, got 0.',
    ],
    [
      'credit of zero',
      { op: 'credit', topic: 't', n: 0 },
      '`credit.n` must be an integer from 1 to 2147483647, got 0.',
    ],
    [
      'pub without data',
      { op: 'pub', ref: 1, topic: 't' },
      '`pub.data` must be any JSON value, got undefined.',
    ],
    [
      'pub without ref',
      { op: 'pub', topic: 't', data: 1 },
      '`pub.ref` must be a non-negative integer, got undefined.',
    ],
    [
      'pub with LF in event',
      { op: 'pub', ref: 1, topic: 't', event: 'a\nb', data: 1 },
      '`pub.event` must be a non-empty string of at most 256 characters without CR or LF, got "a\\nb".',
    ],
    [
      'pub with a long key',
      { op: 'pub', ref: 1, topic: 't', data: 1, key: 'k'.repeat(257) },
      undefined as never,
    ],
    [
      'msg.open with an array meta',
      { op: 'msg.open', ref: 1, meta: [] },
      '`msg.open.meta` must be a JSON object (the message metadata), got an array.',
    ],
    [
      'msg.open with a bad channelType',
      { op: 'msg.open', ref: 1, meta: { channelId: 'c', channelType: 256 } },
      '`msg.open.meta.channelType` must be an integer from 0 to 255, got 256.',
    ],
    [
      'msg.open with a number messageId',
      { op: 'msg.open', ref: 1, meta: { channelId: 'c', channelType: 1, messageId: 5 } },
      '`msg.open.meta.messageId` must be a message ID as a decimal string (1 to 2^63-1), got 5.',
    ],
    [
      'msg.open with array customFields',
      { op: 'msg.open', ref: 1, meta: { channelId: 'c', channelType: 1, customFields: [] } },
      '`msg.open.meta.customFields` must be a JSON object, got an array.',
    ],
    [
      'msg.append with both payloads',
      { op: 'msg.append', ref: 2, messageId: '1', chunkId: 0, text: 'a', b64: 'AA==' },
      '`msg.append` needs exactly one of `text` (a string) and `b64` (base64 bytes).',
    ],
    [
      'msg.append with no payload',
      { op: 'msg.append', ref: 2, messageId: '1', chunkId: 0 },
      '`msg.append` needs exactly one of `text` (a string) and `b64` (base64 bytes).',
    ],
    [
      'msg.append with bad base64',
      { op: 'msg.append', ref: 2, messageId: '1', chunkId: 0, b64: 'A=A=' },
      '`msg.append.b64` must be a base64 string, got "A=A=".',
    ],
    [
      'msg.append with a negative chunkId',
      { op: 'msg.append', ref: 2, messageId: '1', chunkId: -1, text: '' },
      '`msg.append.chunkId` must be an integer >= 0, got -1.',
    ],
    [
      'msg.append with messageId over 2^63-1',
      { op: 'msg.append', ref: 2, messageId: '9223372036854775808', chunkId: 0, text: '' },
      undefined as never,
    ],
    [
      'msg.end with an unknown reason',
      { op: 'msg.end', ref: 3, messageId: '1', reason: 'SUCCESS' },
      '`msg.end.reason` must be one of success, timeout, error, cancelled, force, got "SUCCESS".',
    ],
  ])('rejects %s with INVALID_MESSAGE', (_name, msg, message) => {
    const res = failure(decode(msg));
    expect(res.error.code).toBe('INVALID_MESSAGE');
    if (message !== undefined) expect(res.error.message).toBe(message);
  });

  it('keeps ref and topic of a bad frame for the err reply', () => {
    const res = failure(decode({ op: 'pub', ref: 7, topic: 'chan:1:x', data: 1, event: '' }));
    expect(res.ref).toBe(7);
    expect(res.topic).toBe('chan:1:x');
    const unknown = failure(decode({ op: 'subscribe', ref: 3 }));
    expect(unknown.error.code).toBe('UNKNOWN_OP');
    expect(unknown.error.message).toContain('expected one of sub, unsub, pub, credit, ping, msg.open');
    expect(unknown.ref).toBe(3);
    const noOp = failure(decode({ ref: 4 }));
    expect(noOp.error.code).toBe('UNKNOWN_OP');
    expect(noOp.ref).toBe(4);
  });

  it('leaves ref out when it cannot be read', () => {
    const res = failure(decode({ op: 'ping', ref: 'x' }));
    expect(res.error.code).toBe('INVALID_MESSAGE');
    expect('ref' in res).toBe(false);
    expect('ref' in failure(decodeClientMessage('{"op":"ping","ref":1'))).toBe(false);
  });

  it.each([
    ['not JSON', '{op:ping}', 'BAD_FRAME'],
    ['an empty frame', '', 'BAD_FRAME'],
    ['a number', '42', 'BAD_FRAME'],
    ['an unknown op', '{"op":"ev"}', 'UNKNOWN_OP'],
    ['a prototype key as op', '{"op":"toString"}', 'UNKNOWN_OP'],
  ])('rejects %s with %s', (_name, frame, code) => {
    expect(failure(decodeClientMessage(frame)).error.code).toBe(code);
  });

  it('rejects frames past maxBytes with FRAME_TOO_LARGE, before parsing them', () => {
    const frame = JSON.stringify({ op: 'pub', ref: 1, topic: 't', data: 'x'.repeat(100) });
    expect(failure(decodeClientMessage(frame, { maxBytes: 64 })).error.code).toBe('FRAME_TOO_LARGE');
    expect(failure(decodeClientMessage(`${'['.repeat(100)}`, { maxBytes: 64 })).error.code).toBe(
      'FRAME_TOO_LARGE',
    );
  });

  it('exposes its limits', () => {
    expect(wireLimits).toEqual({
      maxEventNameLength: 256,
      maxIdempotencyKeyLength: 256,
      maxCredit: 2 ** 31 - 1,
    });
  });

  it(
    'round-trips every valid client message, as text and as bytes (property)',
    () => {
      fc.assert(
        fc.property(clientMessage, (msg) => {
          const frame = encodeClientMessage(msg);
          expect(decodeClientMessage(frame)).toEqual({ ok: true, value: msg });
          expect(decodeClientMessage(new TextEncoder().encode(frame))).toEqual({ ok: true, value: msg });
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
        fc.uint8Array(),
        fc.anything({ maxDepth: 2 }),
      );
      fc.assert(
        fc.property(garbage, (frame) => {
          const res = decodeClientMessage(frame as string, { maxBytes: 256 });
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

  it(
    'never throws when any field of a valid message is replaced by any JSON value (property)',
    () => {
      const fieldNames = fc.constantFrom(
        'op',
        'topic',
        'after',
        'compact',
        'credit',
        'ref',
        'event',
        'data',
        'key',
        'n',
        'meta',
        'messageId',
        'chunkId',
        'text',
        'b64',
        'reason',
      );
      fc.assert(
        fc.property(clientMessage, fieldNames, json, (msg, field, value) => {
          const mutated: Record<string, unknown> = { ...msg, [field]: value };
          if ('meta' in msg && field !== 'meta') mutated.meta = { ...msg.meta, [field]: value };
          const res = decodeClientMessage(JSON.stringify(mutated));
          if (res.ok) {
            // Whatever passes must still round-trip.
            expect(decodeClientMessage(encodeClientMessage(res.value))).toEqual(res);
          } else {
            expect(['UNKNOWN_OP', 'INVALID_MESSAGE']).toContain(res.error.code);
            if (field !== 'ref' && 'ref' in msg) expect(res.ref).toBe(msg.ref);
          }
        }),
        { numRuns: 1000 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
