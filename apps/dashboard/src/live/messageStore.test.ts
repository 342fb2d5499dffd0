import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMessageStore, MESSAGE_STORE_LIMIT } from './messageStore';

const T = 'chan:1:general';
const ID = '1843563473929170944';

describe('createMessageStore', () => {
  it('folds deltas in chunkId order and waits for a gap to fill', () => {
    const store = createMessageStore();
    const { applyEvent } = store.getState();
    applyEvent(T, 'msg.delta', { messageId: ID, chunkId: 0, text: 'a' });
    applyEvent(T, 'msg.delta', { messageId: ID, chunkId: 2, text: 'c' });
    expect(store.getState().messages[ID]).toMatchObject({ text: 'a', lastChunkId: 0, waiting: { 2: 'c' } });
    applyEvent(T, 'msg.delta', { messageId: ID, chunkId: 1, text: 'b' });
    expect(store.getState().messages[ID]).toMatchObject({
      text: 'abc',
      lastChunkId: 2,
      waiting: {},
      deltas: 3,
    });
  });

  it('interrupts the streaming messages of a reset topic; a later event of one replaces it', () => {
    const store = createMessageStore();
    const { applyEvent, interrupt } = store.getState();
    applyEvent(T, 'msg.delta', { messageId: '1', chunkId: 0, text: 'a' });
    applyEvent(T, 'msg.delta', { messageId: '2', chunkId: 0, text: 'b' });
    applyEvent(T, 'msg.end', { messageId: '2', reason: 'success', persisted: true });
    applyEvent(T, 'msg.delta', { messageId: '3', chunkId: 0, text: 'c' });
    applyEvent('chan:1:other', 'msg.delta', { messageId: '4', chunkId: 0, text: 'd' });
    const before = store.getState().messages;
    interrupt(T);
    const status = () => Object.values(store.getState().messages).map((m) => `${m.messageId}:${m.status}`);
    expect(status()).toEqual(['1:interrupted', '2:ended', '3:interrupted', '4:streaming']);
    expect(store.getState().messages['1']!.text).toBe('a');
    // nothing streaming left: no new state object
    const after = store.getState().messages;
    interrupt(T);
    expect(store.getState().messages).toBe(after);
    expect(after).not.toBe(before);
    // not final: a delta shows it goes on, a snapshot that says ended ends it
    applyEvent(T, 'msg.delta', { messageId: '1', chunkId: 1, text: 'b' });
    applyEvent(T, 'msg.snapshot', { messageId: '3', meta: null, text: 'c', lastChunkId: 0, status: 'ended' });
    expect(status()).toEqual(['1:streaming', '2:ended', '3:ended', '4:streaming']);
    expect(store.getState().messages['1']!.text).toBe('ab');
  });

  it('ignores a repeated delta and one already covered by a snapshot', () => {
    const store = createMessageStore();
    const { applyEvent } = store.getState();
    applyEvent(
      T,
      'msg.snapshot',
      { messageId: ID, meta: null, text: 'Hello', lastChunkId: 4, status: 'streaming' },
      '1-5',
    );
    applyEvent(T, 'msg.delta', { messageId: ID, chunkId: 4, text: 'o' }, '1-4');
    applyEvent(T, 'msg.delta', { messageId: ID, chunkId: 5, text: '!' }, '1-6');
    applyEvent(T, 'msg.delta', { messageId: ID, chunkId: 5, text: '!' }, '1-6');
    expect(store.getState().messages[ID]).toMatchObject({
      text: 'Hello!',
      lastChunkId: 5,
      lastEventId: '1-6',
    });
  });

  it('never lets an older snapshot roll the text back', () => {
    const store = createMessageStore();
    const { applyEvent } = store.getState();
    applyEvent(T, 'msg.snapshot', { messageId: ID, text: 'abcd', lastChunkId: 3, status: 'streaming' });
    applyEvent(T, 'msg.snapshot', {
      messageId: ID,
      text: 'ab',
      lastChunkId: 1,
      status: 'ended',
      reason: 'force',
    });
    expect(store.getState().messages[ID]).toMatchObject({ text: 'abcd', status: 'ended', reason: 'force' });
  });

  it('records the end reason and persistence, folding what waited behind a gap', () => {
    const store = createMessageStore();
    const { applyEvent } = store.getState();
    applyEvent(T, 'msg.delta', { messageId: ID, chunkId: 0, text: 'x' });
    applyEvent(T, 'msg.delta', { messageId: ID, chunkId: 2, text: 'z' });
    applyEvent(T, 'msg.end', { messageId: ID, reason: 'error', persisted: false });
    expect(store.getState().messages[ID]).toMatchObject({
      text: 'xz',
      status: 'ended',
      reason: 'error',
      persisted: false,
      waiting: {},
    });
  });

  it('decodes binary (b64) deltas as UTF-8', () => {
    const store = createMessageStore();
    const b64 = btoa(String.fromCharCode(...new TextEncoder().encode('héllo')));
    store.getState().applyEvent(T, 'msg.delta', { messageId: ID, chunkId: 0, b64 });
    expect(store.getState().messages[ID]?.text).toBe('héllo');
  });

  it('ignores events that are not chat events of a message', () => {
    const store = createMessageStore();
    const before = store.getState().messages;
    store.getState().applyEvent(T, 'message', { hello: 1 });
    store.getState().applyEvent(T, 'msg.delta', null);
    expect(store.getState().messages).toBe(before);
  });

  it(`keeps at most ${MESSAGE_STORE_LIMIT} messages, evicting ended ones first`, () => {
    const store = createMessageStore();
    const { applyEvent } = store.getState();
    applyEvent(T, 'msg.delta', { messageId: 'open-0', chunkId: 0, text: 'keep' });
    for (let i = 1; i <= MESSAGE_STORE_LIMIT; i++) {
      applyEvent(T, 'msg.end', { messageId: `m${i}`, reason: 'success', persisted: true });
    }
    const messages = store.getState().messages;
    expect(Object.keys(messages)).toHaveLength(MESSAGE_STORE_LIMIT);
    expect(messages['open-0']?.text).toBe('keep');
    expect(messages.m1).toBeUndefined();
  });

  it('assembles the same text whatever order the chunks arrive in (property)', () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.string({ maxLength: 4 }), { minLength: 1, maxLength: 20 })
          .chain((parts) =>
            fc.tuple(fc.constant(parts), fc.shuffledSubarray([...parts.keys()], { minLength: parts.length })),
          ),
        ([parts, order]) => {
          const store = createMessageStore();
          // Chunk 0 first, as the log delivers it; the rest in any order, some twice.
          const sequence = [0, ...order.filter((i) => i !== 0), ...order.slice(0, 3)];
          for (const i of sequence)
            store.getState().applyEvent(T, 'msg.delta', { messageId: ID, chunkId: i, text: parts[i] });
          expect(store.getState().messages[ID]?.text).toBe(parts.join(''));
        },
      ),
    );
  });
});
