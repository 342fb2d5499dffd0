import { describe, expect, it } from 'vitest';
import type { SpoolError } from '../errors';
import { getCustomFieldString } from './stream-meta';
import { StreamMetaBuilder } from './stream-meta-builder';

describe('StreamMetaBuilder', () => {
  it('builds the documented example with a canonical 64-bit ID', () => {
    const meta = new StreamMetaBuilder(1843563473929170944n)
      .channel('general', 1)
      .from('user123')
      .clientMessage('msg-001')
      .customField('priority', 'high')
      .customField('category', 'notification')
      .timestamp(new Date(5_000))
      .build();
    expect(meta).toEqual({
      messageId: '1843563473929170944',
      channelId: 'general',
      channelType: 1,
      fromUid: 'user123',
      clientMsgNo: 'msg-001',
      timestamp: 5_000,
      customFields: { priority: 'high', category: 'notification' },
    });
    expect(getCustomFieldString(meta, 'category')).toBe('notification');
  });

  it('returns a fresh object per build, so a builder is a template', () => {
    const builder = new StreamMetaBuilder('9').customField('a', 1);
    const first = builder.build();
    first.customFields.a = 2;
    expect(builder.build().customFields).toEqual({ a: 1 });
    expect(builder.timestamp(7).build().timestamp).toBe(7);
  });

  it('validates at each step', () => {
    const codeOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return (err as SpoolError).code;
      }
      return 'none';
    };
    expect(codeOf(() => new StreamMetaBuilder(0))).toBe('INVALID_MESSAGE_ID');
    expect(codeOf(() => new StreamMetaBuilder('1').channel('x', 256))).toBe('INVALID_STREAM_META');
    expect(codeOf(() => new StreamMetaBuilder('1').channel(3 as unknown as string, 1))).toBe(
      'INVALID_STREAM_META',
    );
    expect(codeOf(() => new StreamMetaBuilder('1').from(1 as unknown as string))).toBe('INVALID_STREAM_META');
    expect(codeOf(() => new StreamMetaBuilder('1').clientMessage({} as unknown as string))).toBe(
      'INVALID_STREAM_META',
    );
  });
});
