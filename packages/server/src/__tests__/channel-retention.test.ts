import { afterEach, describe, expect, it } from 'vitest';
import { createSpoolInstance, type SpoolInstance } from '../spool';

const open = (id: string) => ({ messageId: id, meta: { messageId: id, channelId: 'g', channelType: 1 } });
const delta = (id: string, chunkId: number) => ({ messageId: id, chunkId, text: `${id}${chunkId}` });

describe("Spool's channel topics pin unpersisted messages (the chan:* pattern's retention-pin policy)", () => {
  let spool: SpoolInstance | undefined;
  afterEach(async () => {
    await spool?.close();
    spool = undefined;
  });

  it('keeps an open message past the soft limits until it is persisted; other topics are not pinned', async () => {
    spool = createSpoolInstance({
      topics: {
        retention: { maxEvents: 1, hardMaxEvents: 100 },
        channelRetention: { maxEvents: 1, hardMaxEvents: 100 },
      },
    });
    const channel = spool.topics.getOrCreate('chan:1:g');
    await channel.append('msg.open', open('1'));
    for (let i = 0; i < 3; i++) await channel.append('msg.delta', delta('1', i));
    expect(channel.stats().retainedEvents).toBe(4);
    await channel.persistAndClear(() => undefined, { messageId: '1' });
    expect(channel.stats().retainedEvents).toBe(1);

    const plain = spool.topics.getOrCreate('news');
    for (let i = 0; i < 3; i++) await plain.append('x', i);
    expect(plain.stats().retainedEvents).toBe(1);
  });
});
