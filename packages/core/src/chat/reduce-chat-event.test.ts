import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ChatEvent, type ChatState, initialChatState, reduceChatEvent } from './reduce-chat-event';

const ID = '1843563473929170944';
const delta = (chunkId: number, text: string): ChatEvent => ({
  event: 'msg.delta',
  data: { messageId: ID, chunkId, text },
});
const snapshot = (text: string, lastChunkId: number, extra: object = {}): ChatEvent => ({
  event: 'msg.snapshot',
  data: { messageId: ID, meta: { messageId: ID }, text, lastChunkId, status: 'streaming', ...extra },
});
const end = (reason = 'success'): ChatEvent => ({
  event: 'msg.end',
  data: { messageId: ID, reason, persisted: true },
});
const RESET: ChatEvent = { event: 'reset' };
const run = (events: ChatEvent[], from: ChatState = initialChatState(ID)) =>
  events.reduce(reduceChatEvent, from);

/** The chunks up to the first one missing from `sent`, joined. */
const contiguousPrefix = (chunks: string[], sent: Set<number>) => {
  let text = '';
  for (let i = 0; i < chunks.length && sent.has(i); i++) text += chunks[i];
  return text;
};

/** Chunk IDs 0..n-1 and some repeats, in an order fast-check picks. */
const arrivals = (n: number) =>
  fc
    .tuple(fc.shuffledSubarray([...Array(n).keys()]), fc.array(fc.nat(n - 1), { maxLength: n }))
    .chain(([some, repeats]) =>
      fc.shuffledSubarray([...some, ...repeats.filter((r) => some.includes(r))], {
        minLength: some.length + repeats.filter((r) => some.includes(r)).length,
      }),
    );

const chunksArb = fc.array(fc.string({ unit: 'grapheme', maxLength: 6 }), { minLength: 1, maxLength: 30 });

describe('reduceChatEvent', () => {
  it('any order and duplication of deltas gives the text of the contiguous prefix (property)', () => {
    fc.assert(
      fc.property(
        chunksArb.chain((chunks) => fc.tuple(fc.constant(chunks), arrivals(chunks.length))),
        ([chunks, order]) => {
          const state = run(order.map((i) => delta(i, chunks[i]!)));
          const sent = new Set(order);
          expect(state.message.text).toBe(contiguousPrefix(chunks, sent));
          let last = -1;
          while (sent.has(last + 1)) last++;
          expect(state.message.lastChunkId).toBe(last);
          expect(state.message.status).toBe(order.length ? 'streaming' : 'unknown');
          // Every chunk sent, in any order: the whole text.
          const all = run([...order, ...chunks.map((_, i) => i)].map((i) => delta(i, chunks[i]!)));
          expect(all.message.text).toBe(chunks.join(''));
        },
      ),
    );
  });

  it('a repeated or covered event returns the same state (property)', () => {
    fc.assert(
      fc.property(
        chunksArb.chain((chunks) => fc.tuple(fc.constant(chunks), arrivals(chunks.length))),
        ([chunks, order]) => {
          let state = initialChatState(ID);
          for (const i of order) {
            state = reduceChatEvent(state, delta(i, chunks[i]!));
            expect(reduceChatEvent(state, delta(i, chunks[i]!))).toBe(state);
          }
        },
      ),
    );
  });

  it('a snapshot, then deltas in any order: the snapshot text and the contiguous run after it (property)', () => {
    fc.assert(
      fc.property(
        chunksArb
          .chain((chunks) => fc.tuple(fc.constant(chunks), fc.nat(chunks.length - 1)))
          .chain(([chunks, covered]) =>
            fc.tuple(fc.constant(chunks), fc.constant(covered), arrivals(chunks.length)),
          ),
        ([chunks, covered, order]) => {
          const head = chunks.slice(0, covered + 1).join('');
          // Deltas the snapshot covers change nothing, whether they come before or after it.
          const before = order.filter((i) => i <= covered).map((i) => delta(i, chunks[i]!));
          const after = order.map((i) => delta(i, chunks[i]!));
          const state = run([...before, snapshot(head, covered), ...after]);
          const sent = new Set([...order, ...Array(covered + 1).keys()]);
          expect(state.message.text).toBe(contiguousPrefix(chunks, sent));
          expect(state.message.status).toBe('streaming');
          // An older snapshot never rolls the text back.
          expect(run([snapshot(chunks[0]!, 0)], state).message.text).toBe(state.message.text);
        },
      ),
    );
  });

  it('reset interrupts only a streaming message; any later event of it puts it back (property)', () => {
    const event = fc.oneof(
      fc.nat(5).map((i) => delta(i, String(i))),
      fc.nat(5).map((i) => snapshot('x'.repeat(i + 1), i)),
      fc.constantFrom<ChatEvent>(end(), end('error'), snapshot('e', 0, { status: 'ended' }), RESET, {
        event: 'msg.open',
        data: { messageId: ID, meta: { messageId: ID } },
      }),
    );
    fc.assert(
      fc.property(fc.array(event, { maxLength: 20 }), (events) => {
        let state = initialChatState(ID);
        for (const ev of events) {
          const before = state.message.status;
          state = reduceChatEvent(state, ev);
          const after = state.message.status;
          if (ev === RESET) expect(after).toBe(before === 'streaming' ? 'interrupted' : before);
          else if (before === 'interrupted') expect(after).not.toBe('interrupted');
        }
        const text = state.message.text;
        expect(reduceChatEvent(state, RESET).message.text).toBe(text);
      }),
    );
  });

  it('an event applied twice in a row changes nothing more than once (property)', () => {
    const event = fc.oneof(
      fc.nat(6).map((i) => delta(i, `<${i}>`)),
      fc.nat(6).map((i) => snapshot(Array.from({ length: i + 1 }, (_, k) => `<${k}>`).join(''), i)),
      fc.constantFrom(end(), end('timeout'), snapshot('<0>', 0, { status: 'ended' })),
    );
    fc.assert(
      fc.property(fc.array(event, { maxLength: 25 }), (events) => {
        expect(run(events.flatMap((e) => [e, e])).message).toEqual(run(events).message);
      }),
    );
  });

  it('folds deltas in chunkId order and waits for a gap to fill', () => {
    let state = run([delta(0, 'a'), delta(2, 'c')]);
    expect(state.message).toMatchObject({ text: 'a', lastChunkId: 0, status: 'streaming' });
    expect(state.held).toEqual({ 2: { messageId: ID, chunkId: 2, text: 'c' } });
    state = reduceChatEvent(state, delta(1, 'b'));
    expect(state.message).toMatchObject({ text: 'abc', lastChunkId: 2 });
    expect(state.held).toEqual({});
  });

  it('keeps newer chunks a snapshot does not cover, and drops those it does', () => {
    const state = run([delta(3, 'D'), delta(1, 'b'), snapshot('ABC', 2)]);
    expect(state.message).toMatchObject({ text: 'ABCD', lastChunkId: 3, meta: { messageId: ID } });
  });

  it('ends with the reason; status error when the reason is error; held chunks fold past a gap', () => {
    expect(run([delta(0, 'x'), delta(2, 'z'), end('error')]).message).toMatchObject({
      text: 'xz',
      lastChunkId: 2,
      status: 'error',
      reason: 'error',
    });
    // A chunk of the gap that arrives after the end comes too late: the text went past it.
    expect(run([delta(0, 'a'), delta(2, 'c'), end('cancelled'), delta(1, 'b')]).message).toMatchObject({
      text: 'ac',
      status: 'ended',
      reason: 'cancelled',
    });
    // A snapshot of an ended message without a reason ended with success.
    expect(run([snapshot('s', 0, { status: 'ended' })]).message).toMatchObject({
      status: 'ended',
      reason: 'success',
    });
    // A streaming snapshot after the end does not reopen it.
    expect(run([end('force'), snapshot('ab', 1)]).message).toMatchObject({ status: 'ended', text: 'ab' });
  });

  it('decodes base64 deltas as UTF-8, with multibyte characters split across chunks in any order', () => {
    const bytes = new TextEncoder().encode('héllo € 𝄞!');
    const b64 = (u: Uint8Array) => btoa(String.fromCharCode(...u));
    const cuts = [0, 2, 7, 9, 11, 13, bytes.length];
    const events = cuts.slice(1).map((to, i) => ({
      event: 'msg.delta',
      data: { messageId: ID, chunkId: i, b64: b64(bytes.slice(cuts[i], to)) },
    }));
    expect(run(events.reverse()).message.text).toBe('héllo € 𝄞!');
  });

  it('ignores events that are not chat events of a message', () => {
    const state = initialChatState(ID);
    expect(reduceChatEvent(state, { event: 'message', data: { messageId: ID } })).toBe(state);
    expect(reduceChatEvent(state, { event: 'msg.delta', data: null })).toBe(state);
    expect(reduceChatEvent(state, RESET)).toBe(state);
  });
});
