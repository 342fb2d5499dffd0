import { isSpoolError, SpoolError } from '@spool/core';
import { describe, expect, it } from 'vitest';
import { SaveBatcher } from './save-batcher';

interface Item {
  key: string;
  v: number;
}

/** A batcher whose writes are recorded and can be held open until the test releases them. */
function harness(options: { maxBatchSize?: number; fail?: (items: Item[]) => unknown } = {}) {
  const writes: Item[][] = [];
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  const batcher = new SaveBatcher<Item>({
    maxBatchSize: options.maxBatchSize ?? 100,
    keyOf: (i) => i.key,
    isolate: (err) => isSpoolError(err, 'INVALID_MESSAGE'),
    write: async (items) => {
      writes.push(items);
      if (gate) await gate;
      const err = options.fail?.(items);
      if (err) throw err;
    },
  });
  return {
    batcher,
    writes,
    hold() {
      gate = new Promise((resolve) => {
        open = resolve;
      });
    },
    release() {
      gate = undefined;
      open?.();
    },
  };
}

const item = (key: string, v = 0): Item => ({ key, v });

describe('SaveBatcher', () => {
  it('writes a lone save at once, in a batch of its own', async () => {
    const h = harness();
    await h.batcher.add(item('a'));
    expect(h.writes).toEqual([[item('a')]]);
  });

  it('puts the saves of one tick in one batch', async () => {
    const h = harness();
    await Promise.all(['a', 'b', 'c'].map((k) => h.batcher.add(item(k))));
    expect(h.writes).toEqual([[item('a'), item('b'), item('c')]]);
  });

  it('gathers the saves made while a batch is in flight into the next one (group commit)', async () => {
    const h = harness();
    h.hold();
    const first = h.batcher.add(item('a'));
    await Promise.resolve();
    await Promise.resolve();
    expect(h.writes).toHaveLength(1);
    const rest = Array.from({ length: 10 }, (_, i) => h.batcher.add(item(`k${i}`)));
    expect(h.batcher.queued).toBe(10);
    h.release();
    await Promise.all([first, ...rest]);
    expect(h.writes.map((w) => w.length)).toEqual([1, 10]);
  });

  it('splits a backlog into batches of at most maxBatchSize', async () => {
    const h = harness({ maxBatchSize: 3 });
    await Promise.all(Array.from({ length: 7 }, (_, i) => h.batcher.add(item(`k${i}`))));
    expect(h.writes.map((w) => w.length)).toEqual([3, 3, 1]);
  });

  it('writes only the last save of a key in a batch, and settles every save of it', async () => {
    const h = harness();
    await Promise.all([
      h.batcher.add(item('a', 1)),
      h.batcher.add(item('b', 1)),
      h.batcher.add(item('a', 2)),
    ]);
    expect(h.writes).toEqual([[item('a', 2), item('b', 1)]]);
  });

  it('writes a key saved again while its first save is in flight after it, so the later save wins', async () => {
    const h = harness();
    h.hold();
    const first = h.batcher.add(item('a', 1));
    await Promise.resolve();
    await Promise.resolve();
    const second = h.batcher.add(item('a', 2));
    h.release();
    await Promise.all([first, second]);
    expect(h.writes).toEqual([[item('a', 1)], [item('a', 2)]]);
  });

  it('isolates a batch that failed on data: one bad item fails alone', async () => {
    const bad = new SpoolError('INVALID_MESSAGE', 'refused');
    const h = harness({ fail: (items) => (items.some((i) => i.key === 'bad') ? bad : undefined) });
    const results = await Promise.allSettled(['a', 'bad', 'b'].map((k) => h.batcher.add(item(k))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBe(bad);
    expect(h.writes.map((w) => w.map((i) => i.key))).toEqual([['a', 'bad', 'b'], ['a'], ['bad'], ['b']]);
  });

  it('fails the whole batch at once when the database is unavailable', async () => {
    const down = new SpoolError('STORE_UNAVAILABLE', 'down');
    let calls = 0;
    const h = harness({ fail: () => (calls++ === 0 ? down : undefined) });
    const results = await Promise.allSettled(['a', 'b'].map((k) => h.batcher.add(item(k))));
    expect(results.map((r) => r.status === 'rejected' && r.reason)).toEqual([down, down]);
    expect(h.writes).toHaveLength(1);
    // and the next save goes through once the database is back
    await h.batcher.add(item('c'));
    expect(h.writes.at(-1)).toEqual([item('c')]);
  });

  it('drain waits for every save added so far', async () => {
    const h = harness();
    h.hold();
    let done = 0;
    for (const k of ['a', 'b']) void h.batcher.add(item(k)).then(() => done++);
    const drained = h.batcher.drain();
    h.release();
    await drained;
    expect(done).toBe(2);
  });

  it('validates maxBatchSize eagerly', () => {
    for (const maxBatchSize of [0, 1.5, Number.NaN]) {
      expect(() => harness({ maxBatchSize })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    }
  });
});
