import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SpoolError } from '../errors';
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
