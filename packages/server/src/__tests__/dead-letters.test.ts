/**
 * Messages whose save failed (dead letters, docs/http-api.md "Dead letters"): the timer
 * replays them, and a graceful close gives them one last replay and logs what is lost.
 */
import { MemoryMessageStore, SpoolError } from '@spool/core';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createSpoolInstance, type SpoolInstance } from '../spool';

/** A memory store that fails every save while `down` is set. */
class FlakyStore extends MemoryMessageStore {
  down = false;
  override save(...args: Parameters<MemoryMessageStore['save']>) {
    if (this.down) return Promise.reject(new SpoolError('STORE_UNAVAILABLE', 'the store is down'));
    return super.save(...args);
  }
}

let spool: SpoolInstance | undefined;
afterEach(async () => {
  await spool?.close();
  spool = undefined;
});

async function deadLetter(s: SpoolInstance, store: FlakyStore, text: string): Promise<string> {
  store.down = true;
  const { messageId } = await s.messages.open(
    { channelId: 'dl', channelType: 1 },
    { id: 'bot', role: 'admin' },
  );
  await s.messages.append(messageId, 0, { text }, { id: 'bot', role: 'admin' });
  await s.messages.end(messageId, 'success', { id: 'bot', role: 'admin' });
  for (let i = 0; s.messages.deadLetters.length === 0; i++) {
    if (i > 1000) throw new Error('never dead-lettered');
    await new Promise((r) => setTimeout(r, 2));
  }
  return messageId;
}

describe('dead letters', () => {
  it('are saved by the replay timer once the store is back', async () => {
    const store = new FlakyStore();
    spool = createSpoolInstance({
      store,
      retry: { maxAttempts: 1, baseMs: 1, maxMs: 1 },
      deadLetterReplayMs: 20,
    });
    const id = await deadLetter(spool, store, 'late but kept');
    // While the store is down, the timer keeps them.
    await new Promise((r) => setTimeout(r, 60));
    expect(spool.messages.deadLetters.map((l) => l.messageId)).toEqual([id]);
    store.down = false;
    for (let i = 0; spool.messages.deadLetters.length > 0; i++) {
      if (i > 1000) throw new Error('never replayed');
      await new Promise((r) => setTimeout(r, 5));
    }
    expect((await store.get(id))?.text).toBe('late but kept');
  });

  it('get one last replay on close, and the ones still unsaved are logged as lost', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'error' }, { write: (l: string) => lines.push(JSON.parse(l)) });
    const back = new FlakyStore();
    const s1 = createSpoolInstance({ store: back, retry: { maxAttempts: 1, baseMs: 1, maxMs: 1 }, logger });
    const saved = await deadLetter(s1, back, 'saved at close');
    back.down = false;
    await s1.close();
    expect((await back.get(saved))?.text).toBe('saved at close');
    expect(lines.filter((l) => String(l.msg).includes('lost'))).toEqual([]);

    const gone = new FlakyStore();
    const s2 = createSpoolInstance({ store: gone, retry: { maxAttempts: 1, baseMs: 1, maxMs: 1 }, logger });
    const lost = await deadLetter(s2, gone, 'never saved');
    await s2.close();
    expect(lines.filter((l) => String(l.msg).includes('lost'))).toEqual([
      expect.objectContaining({
        msg: '1 finished message(s) were never saved and are lost with this process',
        messageIds: [lost],
      }),
    ]);
  });
});
