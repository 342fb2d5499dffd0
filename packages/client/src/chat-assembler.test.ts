import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assembleChannel, ChatAssembler } from './chat-assembler';
import { RESET_EVENT, type SpoolEvent } from './spool-event';

const T = 'chan:1:g';
let seq = 0;
const ev = (event: string, data: object, topic = T): SpoolEvent => ({ topic, id: `1-${seq++}`, event, data });
const delta = (messageId: string, chunkId: number, text: string) =>
  ev('msg.delta', { messageId, chunkId, text });
const end = (messageId: string, reason = 'success') => ev('msg.end', { messageId, reason, persisted: true });

describe('ChatAssembler', () => {
  it('orders deltas by chunkId, waiting for a gap to fill', () => {
    const chat = new ChatAssembler();
    const m = chat.message('1');
    chat.apply(delta('1', 1, 'b'));
    chat.apply(delta('1', 2, 'c'));
    expect(m.getSnapshot()).toMatchObject({ text: '', status: 'streaming' });
    chat.apply(delta('1', 0, 'a'));
    expect(m.getSnapshot().text).toBe('abc');
  });

  it('an ended snapshot over chunks held behind a gap keeps its text, without those chunks twice', () => {
    const chat = new ChatAssembler();
    chat.apply(delta('9', 0, 'a'));
    chat.apply(delta('9', 2, 'c'));
    chat.apply(delta('9', 3, 'd'));
    chat.apply(ev('msg.snapshot', { messageId: '9', text: 'abcd', lastChunkId: 3, status: 'ended' }));
    expect(chat.message('9').getSnapshot()).toMatchObject({
      text: 'abcd',
      status: 'ended',
      reason: 'success',
    });
  });

  it('an end with chunks missing keeps every chunk it has, in order', () => {
    const chat = new ChatAssembler();
    chat.apply(delta('8', 3, 'd'));
    chat.apply(delta('8', 0, 'a'));
    chat.apply(delta('8', 2, 'c'));
    chat.apply(end('8'));
    expect(chat.message('8').getSnapshot()).toMatchObject({ text: 'acd', status: 'ended' });
    chat.apply(delta('8', 1, 'b'));
    expect(chat.message('8').getSnapshot().text).toBe('acd');
  });

  it('assembles exactly the produced text from any arrival order with repeats', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'grapheme' }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 80 }),
        (chunks, noise) => {
          const chat = new ChatAssembler();
          const order = chunks.map((_, i) => i);
          // A deterministic shuffle from the noise, plus repeats of already-sent chunks.
          for (let i = order.length - 1; i > 0; i--) {
            const j = (noise[i] ?? 0) % (i + 1);
            [order[i], order[j]] = [order[j]!, order[i]!];
          }
          const sends = [...order, ...noise.map((n) => n % chunks.length)];
          for (const i of sends) chat.apply(delta('7', i, chunks[i]!));
          expect(chat.message('7').getSnapshot().text).toBe(chunks.join(''));
        },
      ),
    );
  });

  it('applies a snapshot over the chunks it covers and keeps newer text it does not', () => {
    const chat = new ChatAssembler();
    const m = chat.message('5');
    chat.apply(delta('5', 3, 'D'));
    chat.apply(
      ev('msg.snapshot', {
        messageId: '5',
        meta: { messageId: '5' },
        text: 'ABC',
        lastChunkId: 2,
        status: 'streaming',
      }),
    );
    expect(m.getSnapshot()).toMatchObject({ text: 'ABCD', status: 'streaming', meta: { messageId: '5' } });
    chat.apply(ev('msg.snapshot', { messageId: '5', text: 'AB', lastChunkId: 1, status: 'streaming' }));
    expect(m.getSnapshot().text).toBe('ABCD');
    chat.apply(delta('5', 2, 'C'));
    expect(m.getSnapshot().text).toBe('ABCD');
  });

  it('takes status and reason from a snapshot of an ended message', () => {
    const chat = new ChatAssembler();
    chat.apply(
      ev('msg.snapshot', { messageId: '5', text: 'x', lastChunkId: 0, status: 'ended', reason: 'timeout' }),
    );
    expect(chat.message('5').getSnapshot()).toMatchObject({ text: 'x', status: 'ended', reason: 'timeout' });
  });

  it('ends with a reason, and with status error when the reason is error', () => {
    const chat = new ChatAssembler();
    chat.apply(delta('1', 0, 'a'));
    chat.apply(end('1', 'cancelled'));
    chat.apply(end('2', 'error'));
    expect(chat.message('1').getSnapshot()).toMatchObject({ status: 'ended', reason: 'cancelled' });
    expect(chat.message('2').getSnapshot()).toMatchObject({ status: 'error', reason: 'error' });
  });

  it('flushes chunks past a gap when the message ends, since none can follow', () => {
    const chat = new ChatAssembler();
    chat.apply(delta('1', 0, 'a'));
    chat.apply(delta('1', 4, 'e'));
    chat.apply(delta('1', 2, 'c'));
    chat.apply(end('1'));
    expect(chat.message('1').getSnapshot().text).toBe('ace');
  });

  it('decodes base64 deltas, with a multibyte character split across chunks', () => {
    const chat = new ChatAssembler();
    const bytes = new TextEncoder().encode('héllo €');
    const b64 = (u: Uint8Array) => btoa(String.fromCharCode(...u));
    chat.apply(ev('msg.delta', { messageId: '1', chunkId: 1, b64: b64(bytes.slice(2, 8)) }));
    chat.apply(ev('msg.delta', { messageId: '1', chunkId: 0, b64: b64(bytes.slice(0, 2)) }));
    chat.apply(ev('msg.delta', { messageId: '1', chunkId: 2, b64: b64(bytes.slice(8)) }));
    expect(chat.message('1').getSnapshot().text).toBe('héllo €');
  });

  it('changes the snapshot object only on a change, for useSyncExternalStore', () => {
    const chat = new ChatAssembler();
    const m = chat.message('1');
    let calls = 0;
    const off = m.subscribe(() => calls++);
    const before = m.getSnapshot();
    expect(m.getSnapshot()).toBe(before);
    chat.apply(delta('1', 0, 'a'));
    expect(m.getSnapshot()).not.toBe(before);
    expect(calls).toBe(1);
    off();
    chat.apply(delta('1', 1, 'b'));
    expect(calls).toBe(1);
  });

  it('ignores events that are not chat events', () => {
    const chat = new ChatAssembler();
    const ch = chat.channel(T);
    chat.apply(ev('message', { messageId: '1' }));
    chat.apply(ev('msg.delta', null as unknown as object));
    chat.apply(ev('spool.reset', { earliest: '1-0' }));
    expect(ch.getSnapshot()).toEqual([]);
  });

  it('lists a channel in first-seen order and keeps other topics apart', () => {
    const chat = new ChatAssembler();
    const ch = chat.channel(T);
    let changes = 0;
    ch.subscribe(() => changes++);
    chat.apply(delta('2', 0, 'x'));
    chat.apply(delta('1', 0, 'y'));
    chat.apply(ev('msg.delta', { messageId: '3', chunkId: 0, text: 'z' }, 'chan:1:other'));
    expect(ch.getSnapshot().map((m) => [m.messageId, m.text])).toEqual([
      ['2', 'x'],
      ['1', 'y'],
    ]);
    expect(ch.getSnapshot()).toBe(ch.getSnapshot());
    expect(changes).toBe(2);
  });

  it('drops the oldest unwatched message past maxMessages', () => {
    const chat = new ChatAssembler(2);
    const watched = chat.message('1');
    watched.subscribe(() => {});
    chat.apply(delta('1', 0, 'a'));
    chat.apply(delta('2', 0, 'b'));
    chat.apply(delta('3', 0, 'c'));
    expect(
      chat
        .channel(T)
        .getSnapshot()
        .map((m) => m.messageId),
    ).toEqual(['1', '3']);
    expect(watched.getSnapshot().text).toBe('a');
  });

  it('marks the streaming messages of a reset topic interrupted; a later event of one replaces it', () => {
    const chat = new ChatAssembler();
    chat.apply(delta('1', 0, 'a'));
    chat.apply(delta('2', 0, 'b'));
    chat.apply(delta('3', 0, 'c'));
    chat.apply(end('3'));
    chat.apply(ev('msg.delta', { messageId: '4', chunkId: 0, text: 'other' }, 'chan:1:other'));
    const changes: string[] = [];
    chat.channel(T).subscribe(() => changes.push('channel'));
    chat.apply({ topic: T, id: '5-0', event: RESET_EVENT, data: { earliest: '5-0' } });
    const status = (id: string) => chat.message(id).getSnapshot().status;
    expect(['1', '2', '3', '4'].map(status)).toEqual(['interrupted', 'interrupted', 'ended', 'streaming']);
    expect(changes).toEqual(['channel']);
    expect(chat.message('1').getSnapshot().text).toBe('a');
    // not final: a delta shows it goes on, an end or an ended snapshot ends it
    chat.apply(delta('1', 1, 'b'));
    chat.apply(
      ev('msg.snapshot', { messageId: '2', text: 'b', lastChunkId: 0, status: 'ended', reason: 'force' }),
    );
    expect(chat.message('1').getSnapshot()).toMatchObject({ status: 'streaming', text: 'ab' });
    expect(chat.message('2').getSnapshot()).toMatchObject({ status: 'ended', reason: 'force' });
    // a second reset changes nothing that is not streaming
    chat.interrupt('chan:1:nobody');
    expect(status('1')).toBe('streaming');
  });

  it('assembleChannel feeds a store from any event source', () => {
    const listeners: Array<(e: SpoolEvent) => void> = [];
    const store = assembleChannel({
      topic: T,
      listen: (l) => {
        listeners.push(l);
        return () => {};
      },
    });
    for (const l of listeners) l(delta('9', 0, 'hi'));
    expect(store.getSnapshot()).toMatchObject([{ messageId: '9', text: 'hi' }]);
    expect(store.message('9').getSnapshot().text).toBe('hi');
  });
});
