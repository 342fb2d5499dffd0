import { describe, expect, it } from 'vitest';
import { parseChatRequest } from './chat-requests';
import { roomFromLocation } from './room';

describe('parseChatRequest', () => {
  it('reads prompts and stops, and nothing else', () => {
    expect(parseChatRequest({ type: 'prompt', room: 'r', text: 'hi', requestId: 'k', extra: 1 })).toEqual({
      type: 'prompt',
      room: 'r',
      text: 'hi',
      requestId: 'k',
    });
    expect(parseChatRequest({ type: 'stop', messageId: '1843563473929170944' })).toEqual({
      type: 'stop',
      messageId: '1843563473929170944',
    });
    for (const bad of [
      null,
      'prompt',
      42,
      {},
      { type: 'prompt', room: '', text: 'hi', requestId: 'k' },
      { type: 'prompt', room: 'r', text: 7, requestId: 'k' },
      { type: 'prompt', room: 'r', text: 'hi' },
      // A message ID is a decimal string on the wire, never a number.
      { type: 'stop', messageId: 42 },
      { type: 'other' },
    ]) {
      expect(parseChatRequest(bad), JSON.stringify(bad)).toBeUndefined();
    }
  });
});

describe('roomFromLocation', () => {
  it('takes ?room=, trimmed and at most 64 characters, else the lobby', () => {
    expect(roomFromLocation({ search: '?room=team' })).toBe('team');
    expect(roomFromLocation({ search: '?room=%20team%20' })).toBe('team');
    expect(roomFromLocation({ search: `?room=${'x'.repeat(100)}` })).toBe('x'.repeat(64));
    expect(roomFromLocation({ search: '' })).toBe('lobby');
    expect(roomFromLocation({ search: '?room=' })).toBe('lobby');
  });
});
