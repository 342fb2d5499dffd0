import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SpoolError } from '../errors';
import { anyString } from './__tests__/any-string';
import { serverMessage } from './__tests__/wire-arbitraries';
import { encodeServerMessage } from './encode-message';
import type { ServerMessage } from './messages';
import { readServerFrame } from './read-server-frame';

const valid: ServerMessage[] = [
  {
    op: 'ev',
    topic: 't',
    id: '1731900000000-4',
    event: 'msg.delta',
    data: { messageId: '1', chunkId: 0, text: 'é' },
  },
  { op: 'subok', topic: 't', from: '5-1' },
  { op: 'reset', topic: 't', earliest: '9-0' },
  { op: 'lag', topic: 't' },
  { op: 'ack', ref: 7, id: '1-0' },
  { op: 'err', ref: 7, code: 'FORBIDDEN', message: 'no' },
  { op: 'err', code: 'BAD_FRAME', message: 'x' },
  { op: 'pong', ref: 9 },
  { op: 'hb' },
];

describe('readServerFrame', () => {
  it.each(valid)('reads what the core encoder writes: $op', (m) => {
    expect(readServerFrame(encodeServerMessage(m))).toEqual(m);
  });

  it.each([
    'not json',
    'null',
    '[]',
    '{"op":"nope"}',
    '{"op":"ev","topic":"t","id":"abc","event":"x"}',
    '{"op":"ev","topic":"t","event":"x"}',
    '{"op":"subok","topic":"t","from":5}',
    '{"op":"ack","ref":"7"}',
    '{"op":"err","ref":1}',
  ])('answers BAD_FRAME for %s', (text) => {
    const r = readServerFrame(text);
    expect(r).toBeInstanceOf(SpoolError);
    expect((r as SpoolError).code).toBe('BAD_FRAME');
  });

  it('never throws on garbage', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.anything()), (x) => {
        const input = typeof x === 'string' ? x : JSON.stringify(x);
        const r = readServerFrame(input);
        expect(r instanceof SpoolError || typeof (r as ServerMessage).op === 'string').toBe(true);
      }),
    );
  });
});

describe('readServerFrame, the cases of the former full decoder', () => {
  it.each<[string, ServerMessage]>([
    ['ev with null data', { op: 'ev', topic: 't', id: '1-0', event: 'message', data: null }],
    ['ack with messageId', { op: 'ack', ref: 1, messageId: '1843563473929170944' }],
    ['err for a topic', { op: 'err', topic: 't', code: 'NOT_SUBSCRIBED', message: '' }],
    [
      'err with retryAfterMs',
      { op: 'err', ref: 3, code: 'RATE_LIMITED', message: 'later', retryAfterMs: 40 },
    ],
  ])('reads %s', (_name, m) => {
    expect(readServerFrame(JSON.stringify(m))).toEqual(m);
  });

  it('keeps a snowflake message ID exact (a string, never a rounded number)', () => {
    const m = readServerFrame('{"op":"ack","ref":1,"messageId":"1843563473929170944"}');
    expect(m).toMatchObject({ op: 'ack', messageId: '1843563473929170944' });
  });

  it.each([
    ['a JSON string', '"hb"'],
    ['no op', '{"topic":"t"}'],
    ['a number op', '{"op":1}'],
    ['an unknown op', '{"op":"sub","topic":"t"}'],
    ['an inherited op name', '{"op":"constructor"}'],
    ['__proto__ as op', '{"op":"__proto__"}'],
    ['toString as op', '{"op":"toString"}'],
    ['err without code', '{"op":"err","message":"x"}'],
    ['subok with a bad event ID', '{"op":"subok","topic":"t","from":"x"}'],
    ['reset without earliest', '{"op":"reset","topic":"t"}'],
    ['lag without topic', '{"op":"lag"}'],
  ])('answers BAD_FRAME for %s', (_name, text) => {
    const r = readServerFrame(text);
    expect(r).toBeInstanceOf(SpoolError);
    expect((r as SpoolError).code).toBe('BAD_FRAME');
  });

  it('round-trips every valid server message the core encoder writes (property)', () => {
    fc.assert(
      fc.property(serverMessage, (msg) => {
        expect(readServerFrame(encodeServerMessage(msg))).toEqual(msg);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on garbage shaped like server frames (property)', () => {
    const shaped = fc
      .record({ op: fc.constantFrom('ev', 'subok', 'reset', 'lag', 'ack', 'err', 'pong', 'hb') }, {})
      .chain(({ op }) =>
        fc
          .dictionary(fc.constantFrom('topic', 'id', 'event', 'data', 'ref', 'code'), fc.jsonValue())
          .map((rest) => JSON.stringify({ ...rest, op })),
      );
    fc.assert(
      fc.property(fc.oneof(shaped, anyString({ maxLength: 40 })), (text) => {
        const r = readServerFrame(text);
        if (!(r instanceof SpoolError) && typeof r.op !== 'string') throw new Error(`misread ${text}`);
        if (r instanceof SpoolError && r.code !== 'BAD_FRAME') throw new Error(`code ${r.code}`);
      }),
      { numRuns: 300 },
    );
  });
});
