import { describe, expect, it } from 'vitest';
import type { SpoolError } from '../errors';
import {
  applyStreamMetaDraft,
  copyStreamMeta,
  createStreamMeta,
  getCustomFieldBoolean,
  getCustomFieldNumber,
  getCustomFieldString,
  removeCustomField,
  type StreamMetaInit,
  setCustomField,
} from './stream-meta';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as SpoolError).code;
  }
  return undefined;
}

describe('createStreamMeta', () => {
  it('fills defaults from the clock and canonicalises the ID', () => {
    const meta = createStreamMeta({ messageId: 1843563473929170944n }, 1_000);
    expect(meta).toEqual({
      messageId: '1843563473929170944',
      channelId: '',
      channelType: 0,
      fromUid: '',
      clientMsgNo: '',
      timestamp: 1_000,
      createdAt: 1_000,
      updatedAt: 1_000,
      closed: false,
      customFields: {},
    });
  });

  it('keeps given fields and copies customFields, ignoring lifecycle fields of a full meta', () => {
    const fields = { priority: 'high' };
    const init = {
      messageId: '42',
      channelId: 'general',
      channelType: 255,
      fromUid: 'u1',
      clientMsgNo: 'c-1',
      timestamp: 5,
      customFields: fields,
      createdAt: 1,
      updatedAt: 2,
      closed: true,
      endReason: 'error',
    } as StreamMetaInit;
    const meta = createStreamMeta(init, 100);
    expect(meta).toMatchObject({
      channelId: 'general',
      channelType: 255,
      timestamp: 5,
      createdAt: 100,
      closed: false,
    });
    expect(meta.endReason).toBeUndefined();
    fields.priority = 'low';
    expect(meta.customFields).toEqual({ priority: 'high' });
  });

  it.each([
    [{ messageId: '1', channelType: 256 }, 'INVALID_STREAM_META'],
    [{ messageId: '1', channelType: -1 }, 'INVALID_STREAM_META'],
    [{ messageId: '1', channelType: 1.5 }, 'INVALID_STREAM_META'],
    [{ messageId: '1', channelId: 7 }, 'INVALID_STREAM_META'],
    [{ messageId: '1', fromUid: 5 }, 'INVALID_STREAM_META'],
    [{ messageId: '1', clientMsgNo: 3 }, 'INVALID_STREAM_META'],
    [{ messageId: '1', timestamp: Number.NaN }, 'INVALID_STREAM_META'],
    [{ messageId: '1', customFields: [] }, 'INVALID_STREAM_META'],
    [{ messageId: 0 }, 'INVALID_MESSAGE_ID'],
    [{ messageId: '9223372036854775808' }, 'INVALID_MESSAGE_ID'],
    [null, 'INVALID_STREAM_META'],
  ])('rejects %j with %s', (init, code) => {
    expect(codeOf(() => createStreamMeta(init as unknown as StreamMetaInit, 0))).toBe(code);
  });
});

describe('applyStreamMetaDraft', () => {
  it('takes editable fields from the draft and identity/lifecycle fields from the current meta', () => {
    const current = createStreamMeta({ messageId: '7', channelId: 'a' }, 10);
    const draft = { ...copyStreamMeta(current), channelId: 'b', createdAt: 999, closed: true };
    const next = applyStreamMetaDraft(current, draft, 20);
    expect(next).toMatchObject({
      messageId: '7',
      channelId: 'b',
      createdAt: 10,
      updatedAt: 20,
      closed: false,
    });
  });

  it('refuses a changed messageId and invalid fields', () => {
    const current = createStreamMeta({ messageId: '7' }, 10);
    expect(codeOf(() => applyStreamMetaDraft(current, { ...current, messageId: '8' }, 20))).toBe(
      'INVALID_STREAM_META',
    );
    expect(codeOf(() => applyStreamMetaDraft(current, { ...current, channelType: 300 }, 20))).toBe(
      'INVALID_STREAM_META',
    );
  });
});

describe('custom fields', () => {
  it('reads typed values and undefined for absent or other types', () => {
    const meta = { customFields: { priority: 'high', retryCount: 3, encrypted: true, nothing: null } };
    expect(getCustomFieldString(meta, 'priority')).toBe('high');
    expect(getCustomFieldNumber(meta, 'retryCount')).toBe(3);
    expect(getCustomFieldBoolean(meta, 'encrypted')).toBe(true);
    expect(getCustomFieldString(meta, 'retryCount')).toBeUndefined();
    expect(getCustomFieldNumber(meta, 'priority')).toBeUndefined();
    expect(getCustomFieldBoolean(meta, 'nothing')).toBeUndefined();
    expect(getCustomFieldString(meta, 'missing')).toBeUndefined();
    expect(getCustomFieldString({}, 'priority')).toBeUndefined();
    // inherited properties are not fields
    expect(getCustomFieldString(meta, 'toString')).toBeUndefined();
  });

  it('sets and removes, creating customFields when absent', () => {
    const meta: { customFields?: Record<string, unknown> } = {};
    setCustomField(meta, 'retryCount', 3);
    expect(getCustomFieldNumber(meta, 'retryCount')).toBe(3);
    setCustomField(meta, 'retryCount', 4);
    expect(meta.customFields).toEqual({ retryCount: 4 });
    expect(removeCustomField(meta, 'retryCount')).toBe(true);
    expect(removeCustomField(meta, 'retryCount')).toBe(false);
    expect(removeCustomField({}, 'x')).toBe(false);
    expect(meta.customFields).toEqual({});
  });

  it('stores __proto__ as a plain field, never as the prototype', () => {
    const meta = { customFields: {} as Record<string, unknown> };
    setCustomField(meta, '__proto__', 'x');
    expect(Object.getPrototypeOf(meta.customFields)).toBe(Object.prototype);
    expect(getCustomFieldString(meta, '__proto__')).toBe('x');
  });
});
