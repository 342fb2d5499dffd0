import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSpoolInstance, type SpoolInstance } from '../spool';

/** Fails the test on any unhandled rejection: a Node process without a handler would crash on it. */
let unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeEach(() => {
  unhandled = [];
  process.on('unhandledRejection', onUnhandled);
});
afterEach(async () => {
  // Node reports unhandled rejections once the microtask queue is empty: let it.
  await new Promise((resolve) => setImmediate(resolve));
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

const meta = { channelId: 'runs', channelType: 1 };
const tokens = Array.from({ length: 20_000 }, (_, i) => `${i}·é `);

async function withSpool(
  options: Parameters<typeof createSpoolInstance>[0],
  fn: (spool: SpoolInstance) => Promise<void>,
) {
  const spool = createSpoolInstance(options);
  try {
    await fn(spool);
  } finally {
    await spool.close();
  }
}

describe('spool.run: write', () => {
  it('paces a work that never awaits: 20,000 tokens stored exactly, merged into far fewer chunks', async () => {
    await withSpool({}, async (spool) => {
      const run = await spool.run(meta, (write) => {
        for (const t of tokens) void write(t);
      });
      expect(await run.done).toBe('success');
      const stored = await spool.store.get(run.messageId);
      expect(stored?.text).toBe(tokens.join(''));
      expect(stored!.lastChunkId + 1).toBeLessThan(tokens.length / 10);
    });
  });

  it('resolves each write with the event ID of the chunk that carries it', async () => {
    await withSpool({}, async (spool) => {
      const ids: string[] = [];
      const run = await spool.run(meta, async (write) => {
        ids.push(await write('a'));
        ids.push(await write('b'));
      });
      expect(await run.done).toBe('success');
      expect(ids).toHaveLength(2);
      expect(ids[0]).not.toBe(ids[1]);
      expect((await spool.store.get(run.messageId))?.lastEventId).toBe(ids[1]);
    });
  });

  it('a chunk that finally fails ends the message with error, never success with a hole', async () => {
    await withSpool({ cache: { maxChunksPerStream: 3 } }, async (spool) => {
      let signal: AbortSignal | undefined;
      const results: Array<PromiseSettledResult<string>> = [];
      const run = await spool.run(meta, async (write, s) => {
        signal = s;
        for (let i = 0; i < 6; i++) results.push(...(await Promise.allSettled([write(`${i}`)])));
      });
      expect(await run.done).toBe('error');
      expect(results.map((r) => r.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'rejected',
        'rejected',
        'rejected',
      ]);
      expect((results[3] as PromiseRejectedResult).reason).toMatchObject({ code: 'TOO_MANY_CHUNKS' });
      expect(signal?.aborted).toBe(true);
      expect(await spool.store.get(run.messageId)).toMatchObject({ text: '012', reason: 'error' });
    });
  });

  it('the same when the work never awaits and returns at once: error, and no unhandled rejection', async () => {
    await withSpool({ cache: { maxChunksPerStream: 1 } }, async (spool) => {
      const run = await spool.run(meta, (write) => {
        write('a'); // chunk 0, applied at once
        write('b'); // waits behind it as chunk 1, which the cache refuses after the work returned
      });
      expect(await run.done).toBe('error');
      expect(await spool.store.get(run.messageId)).toMatchObject({ text: 'a', reason: 'error' });
    });
  });

  it('a write that is neither text nor bytes fails the message with INVALID_PAYLOAD', async () => {
    await withSpool({}, async (spool) => {
      let failure: unknown;
      const run = await spool.run(meta, async (write) => {
        await write('fine');
        await write(42 as unknown as string).catch((err: unknown) => {
          failure = err;
        });
      });
      expect(await run.done).toBe('error');
      expect(failure).toMatchObject({ code: 'INVALID_PAYLOAD' });
      expect(await spool.store.get(run.messageId)).toMatchObject({ text: 'fine', reason: 'error' });
    });
  });
});
