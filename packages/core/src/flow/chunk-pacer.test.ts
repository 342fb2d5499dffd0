import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SpoolError } from '../errors';
import { createManualClock } from '../time/clock';
import { type ChunkPacerOptions, chunkPacer } from './chunk-pacer';

/** A send function whose answers the test gives by hand. */
function harness(options: ChunkPacerOptions = {}) {
  const sent: Array<{
    chunkId: number;
    payload: string | Uint8Array;
    attempt: number;
    ok(id?: string): void;
    ko(err: unknown): void;
  }> = [];
  const failures: unknown[] = [];
  const clock = createManualClock(1_000);
  const pacer = chunkPacer(
    (chunkId, payload, attempt) =>
      new Promise((ok, ko) => sent.push({ chunkId, payload, attempt, ok: (id) => ok(id), ko })),
    { clock, onFail: (err) => failures.push(err), ...options },
  );
  const tick = () => new Promise((r) => setTimeout(r, 0));
  return { pacer, sent, failures, clock, tick };
}

const rateLimited = (retryAfterMs?: number) =>
  new SpoolError(
    'RATE_LIMITED',
    'slow down',
    retryAfterMs === undefined ? undefined : { details: { retryAfterMs } },
  );

describe('ChunkPacer', () => {
  it('keeps at most `window` chunks in flight and merges the text queued behind them', async () => {
    const { pacer, sent } = harness({ window: 2, maxChunkSize: 6 });
    const a = pacer.push('a');
    pacer.push('b');
    const c = pacer.push('cc');
    const d = pacer.push('dd');
    pacer.push('eee'); // would pass 6 bytes: starts the next chunk
    expect(sent.map((s) => [s.chunkId, s.payload])).toEqual([
      [0, 'a'],
      [1, 'b'],
    ]);
    expect(c).toBe(d);
    sent[0]!.ok('1-0');
    expect(await a).toBe('1-0');
    expect(sent.map((s) => s.payload)).toEqual(['a', 'b', 'ccdd']);
    sent[1]!.ok('1-1');
    sent[2]!.ok('1-2');
    expect(await d).toBe('1-2');
    expect(sent.map((s) => [s.chunkId, s.payload])).toEqual([
      [0, 'a'],
      [1, 'b'],
      [2, 'ccdd'],
      [3, 'eee'],
    ]);
    sent[3]!.ok('1-3');
    await pacer.drained();
    expect(sent).toHaveLength(4);
  });

  it('measures text by its length and never merges binary chunks', async () => {
    const { pacer, sent, tick } = harness({ window: 1, maxChunkSize: 3 });
    pacer.push('x'); // in flight
    pacer.push('é€');
    pacer.push('😀'); // two UTF-16 code units: 2 + 2 > 3
    pacer.push(Uint8Array.of(1));
    pacer.push(Uint8Array.of(2));
    for (let i = 0; i < 5; i++) {
      sent[i]?.ok(`1-${i}`);
      await tick();
    }
    expect(sent.map((s) => s.payload)).toEqual(['x', 'é€', '😀', Uint8Array.of(1), Uint8Array.of(2)]);
  });

  it('sends a refused chunk again after the delay the refusal names, before any chunk not sent yet', async () => {
    const { pacer, sent, clock, tick } = harness({ window: 2 });
    pacer.push('a');
    const b = pacer.push('b');
    sent[0]!.ok('1-0');
    sent[1]!.ko(rateLimited(50));
    await tick();
    pacer.push('c'); // the window has room, but nothing goes out during the wait
    await tick();
    expect(sent).toHaveLength(2);
    await clock.advanceAsync(49);
    expect(sent).toHaveLength(2);
    await clock.advanceAsync(1);
    // The refused chunk first, with its ID and text, then the chunk never sent.
    expect(sent.slice(2).map((s) => [s.chunkId, s.payload, s.attempt])).toEqual([
      [1, 'b', 2],
      [2, 'c', 1],
    ]);
    sent[2]!.ok('1-1');
    expect(await b).toBe('1-1');
  });

  it('sends several refused chunks again in chunk-ID order, ahead of the rest, never merging into them', async () => {
    const { pacer, sent, clock, tick } = harness({ window: 3 });
    for (const t of ['a', 'b', 'c']) pacer.push(t);
    sent[2]!.ko(rateLimited(10));
    sent[0]!.ko(rateLimited(10));
    sent[1]!.ok('1-1');
    await tick();
    pacer.push('d');
    pacer.push('e'); // merges with 'd', never with a refused chunk
    await clock.advanceAsync(10);
    expect(sent.slice(3).map((s) => [s.chunkId, s.payload])).toEqual([
      [0, 'a'],
      [2, 'c'],
      [3, 'de'],
    ]);
    for (const s of sent.slice(3)) s.ok('1-x');
    await pacer.drained();
    expect(pacer.failure).toBeUndefined();
  });

  it('backs off when a refusal names no delay (100 ms, doubling)', async () => {
    const { pacer, sent, clock, tick } = harness();
    pacer.push('a');
    sent[0]!.ko(new SpoolError('MEMORY_LIMIT_REACHED', 'full'));
    await tick();
    await clock.advanceAsync(99);
    expect(sent).toHaveLength(1);
    await clock.advanceAsync(1);
    expect(sent).toHaveLength(2);
    sent[1]!.ko(new SpoolError('MEMORY_LIMIT_REACHED', 'full'));
    await tick();
    await clock.advanceAsync(199);
    expect(sent).toHaveLength(2);
    await clock.advanceAsync(1);
    expect(sent[2]!.attempt).toBe(3);
  });

  it('fails for good after maxRetries refusals: onFail once, every chunk rejects, drained resolves', async () => {
    const { pacer, sent, clock, failures, tick } = harness({ window: 1, maxRetries: 2 });
    const a = pacer.push('a');
    const b = pacer.push('b');
    for (let i = 0; i < 3; i++) {
      sent[i]!.ko(rateLimited(5));
      await tick();
      await clock.advanceAsync(5);
    }
    expect(sent.map((s) => s.attempt)).toEqual([1, 2, 3]);
    await expect(a).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    await expect(b).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    await expect(pacer.push('c')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    await pacer.drained();
    expect(failures).toHaveLength(1);
    expect(pacer.failure).toBe(failures[0]);
  });

  it('fails at once on an error that is not about rate, and sends nothing after it', async () => {
    const { pacer, sent, failures, tick } = harness({ window: 2 });
    pacer.push('a');
    pacer.push('b');
    const queued = pacer.push('c');
    sent[0]!.ko(new SpoolError('TOO_MANY_CHUNKS', 'full'));
    await expect(queued).rejects.toMatchObject({ code: 'TOO_MANY_CHUNKS' });
    sent[1]!.ok('1-1');
    await tick();
    expect(sent).toHaveLength(2);
    expect(failures.map((e) => (e as SpoolError).code)).toEqual(['TOO_MANY_CHUNKS']);
  });

  it('fails with QUEUE_FULL past maxQueuedSize, instead of dropping the text', async () => {
    const { pacer, failures } = harness({ window: 1, maxQueuedSize: 4 });
    pacer.push('a'); // in flight, not queued
    pacer.push('bbbb');
    await expect(pacer.push('c')).rejects.toMatchObject({ code: 'QUEUE_FULL' });
    expect(failures.map((e) => (e as SpoolError).code)).toEqual(['QUEUE_FULL']);
  });

  it('validates its options', () => {
    expect(() => chunkPacer(async () => '1-0', { window: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    expect(() => chunkPacer(async () => '1-0', { maxRetries: -1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });

  it('sends every payload exactly once, in order, whatever the answers', async () => {
    // Property: with refusals at random, the chunks acknowledged, joined by chunk ID, are
    // exactly the pushed text, and no chunk ID is acknowledged twice.
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ maxLength: 3 }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 64 }),
        fc.integer({ min: 1, max: 4 }),
        async (tokens, refuse, window) => {
          const clock = createManualClock(0);
          const acked = new Map<number, string>();
          let n = 0;
          const pacer = chunkPacer(
            async (chunkId, payload) => {
              if (refuse[n++]) throw rateLimited(1); // then every answer is an ack
              expect(acked.has(chunkId)).toBe(false);
              acked.set(chunkId, payload as string);
              return `1-${chunkId}`;
            },
            { window, maxChunkSize: 5, clock, maxRetries: 64 },
          );
          for (const t of tokens) pacer.push(t);
          let drained = false;
          void pacer.drained().then(() => {
            drained = true;
          });
          while (!drained) await clock.advanceAsync(1);
          expect(pacer.failure).toBeUndefined();
          const ids = [...acked.keys()].sort((a, b) => a - b);
          expect(ids).toEqual(ids.map((_, i) => i));
          expect(ids.map((i) => acked.get(i)).join('')).toBe(tokens.join(''));
        },
      ),
    );
  });
});
