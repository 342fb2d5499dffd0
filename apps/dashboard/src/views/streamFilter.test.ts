import { describe, expect, it } from 'vitest';
import { activeStream } from '../test/fixtures';
import { emptyStreamFilter, filterChannel, matchesStreamFilter, serverQuery } from './streamFilter';

describe('stream filter', () => {
  it('sends the channel first, then the sender, then the custom field to the server', () => {
    const all = { channelType: '1', channelId: 'general', fromUid: 'bot', field: 'model', value: 'demo' };
    expect(serverQuery(all)).toEqual({ channelId: 'general', channelType: 1 });
    expect(serverQuery({ ...all, channelId: '' })).toEqual({ fromUid: 'bot' });
    expect(serverQuery({ ...all, channelId: '', fromUid: '' })).toEqual({ field: 'model', value: 'demo' });
    expect(serverQuery(emptyStreamFilter)).toEqual({});
    expect(serverQuery({ ...emptyStreamFilter, channelType: 'x', channelId: 'general' })).toEqual({});
  });

  it('applies every part of the filter to a row', () => {
    const s = activeStream();
    expect(matchesStreamFilter(s, emptyStreamFilter)).toBe(true);
    expect(matchesStreamFilter(s, { ...emptyStreamFilter, channelId: 'general', fromUid: 'bot' })).toBe(true);
    expect(matchesStreamFilter(s, { ...emptyStreamFilter, channelId: 'general', fromUid: 'alice' })).toBe(
      false,
    );
    expect(matchesStreamFilter(s, { ...emptyStreamFilter, channelType: '2' })).toBe(false);
    expect(matchesStreamFilter(s, { ...emptyStreamFilter, field: 'model' })).toBe(true);
    expect(matchesStreamFilter(s, { ...emptyStreamFilter, field: 'model', value: 'gpt' })).toBe(false);
    expect(matchesStreamFilter(s, { ...emptyStreamFilter, field: 'missing' })).toBe(false);
  });

  it('names the channel only when both type and ID are given', () => {
    expect(filterChannel({ ...emptyStreamFilter, channelType: '1', channelId: 'general' })).toEqual({
      channelType: 1,
      channelId: 'general',
    });
    expect(filterChannel({ ...emptyStreamFilter, channelId: 'general' })).toBeNull();
  });
});
