import { describe, expect, it } from 'vitest';
import { createSpoolInstance } from './spool';

describe('spool.stats()', () => {
  it('counts chat events (msg.open, msg.delta, msg.end) as published, not only plain publishes', async () => {
    const spool = createSpoolInstance();
    try {
      await spool.publish('news', { n: 1 });
      const run = await spool.run({ channelId: 'general', channelType: 1 }, async (write) => {
        await write('Hel');
        await write('lo');
      });
      expect(await run.done).toBe('success');
      // 1 publish + msg.open + 2 × msg.delta + msg.end
      expect((await spool.stats()).events.published).toBe(5);
    } finally {
      await spool.close();
    }
  });
});
