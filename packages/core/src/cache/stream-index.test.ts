import { describe, expect, it } from 'vitest';
import { channelKey, isIndexedFieldValue, StreamMetaIndex } from './stream-index';
import { createStreamMeta } from './stream-meta';

describe('StreamMetaIndex', () => {
  it('indexes channel, user and primitive field values, and forgets empty keys', () => {
    const index = new StreamMetaIndex<string>();
    const a = createStreamMeta(
      { messageId: '1', channelId: 'g', channelType: 1, fromUid: 'u', customFields: { p: 'x', o: {} } },
      0,
    );
    const b = createStreamMeta(
      { messageId: '2', channelId: 'g', channelType: 1, customFields: { p: 'x' } },
      0,
    );
    index.add(a, 'a');
    index.add(b, 'b');
    expect([...(index.channel('g', 1) ?? [])]).toEqual(['a', 'b']);
    expect(index.hasChannel('g', 1)).toBe(true);
    expect([...(index.user('u') ?? [])]).toEqual(['a']);
    expect([...(index.field('p', 'x') ?? [])]).toEqual(['a', 'b']);
    expect(index.field('o', {})).toBeUndefined();
    index.remove(a, 'a');
    index.remove(b, 'b');
    expect(index.hasChannel('g', 1)).toBe(false);
    expect(index.keyCount()).toBe(0);
  });

  it('keeps channel keys unambiguous', () => {
    expect(channelKey('1:x', 2)).not.toBe(channelKey('x', 21));
    expect(channelKey('', 0)).toBe('0:');
  });

  it('indexes only values with a useful equality', () => {
    for (const v of ['s', 1, true, 1n, null]) expect(isIndexedFieldValue(v)).toBe(true);
    for (const v of [undefined, {}, [], () => 0, Symbol('s')]) expect(isIndexedFieldValue(v)).toBe(false);
  });
});
