import { describe, expect, it } from 'vitest';
import type { SpoolError } from '../errors';
import { encodeClientMessage, encodeMessage, encodeServerMessage } from './encode-message';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as SpoolError).code;
  }
  return undefined;
}

describe('encodeMessage', () => {
  it('writes one JSON object per frame', () => {
    expect(encodeClientMessage({ op: 'sub', topic: 'chan:1:general', after: '0-0' })).toBe(
      '{"op":"sub","topic":"chan:1:general","after":"0-0"}',
    );
    expect(encodeServerMessage({ op: 'hb' })).toBe('{"op":"hb"}');
    expect(encodeMessage({ op: 'ack', ref: 1, messageId: '1843563473929170944' })).toBe(
      '{"op":"ack","ref":1,"messageId":"1843563473929170944"}',
    );
  });

  it('throws INVALID_MESSAGE for data JSON cannot carry', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(
      codeOf(() => encodeServerMessage({ op: 'ev', topic: 't', id: '1-0', event: 'e', data: cyclic })),
    ).toBe('INVALID_MESSAGE');
    expect(codeOf(() => encodeClientMessage({ op: 'pub', ref: 1, topic: 't', data: { n: 1n } }))).toBe(
      'INVALID_MESSAGE',
    );
    expect(codeOf(() => encodeClientMessage({ op: 'pub', ref: 1, topic: 't', data: undefined }))).toBe(
      'INVALID_MESSAGE',
    );
  });
});
