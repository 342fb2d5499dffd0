/** A compacted snapshot of an ended message says it is closed, whether the log or the store serves it. */
import { channelTopic } from '@spool/core';
import { describe, expect, it } from 'vitest';
import { serverFixture, startServer } from './helpers';

const fixture = serverFixture();
const topic = channelTopic(1, 'general');

async function write(server: Awaited<ReturnType<typeof startServer>>, words: string[]) {
  const run = await server.spool.run({ channelId: 'general', channelType: 1, fromUid: 'bot' }, async (w) => {
    for (const word of words) await w(word);
  });
  await run.done;
  return run.messageId;
}

describe('msg.snapshot of an ended message', () => {
  it('from the log: meta.closed is true and meta.endReason is the reason', async () => {
    const server = fixture.track(await startServer());
    const id = await write(server, ['Hello', ' there']);
    const c = await fixture.client();
    c.send({ op: 'sub', topic, after: '0-0', compact: true });
    const [snap] = await c.events(topic, 1);
    expect(snap!.event).toBe('msg.snapshot');
    expect(snap!.data).toMatchObject({
      messageId: id,
      text: 'Hello there',
      status: 'ended',
      reason: 'success',
      meta: { messageId: id, fromUid: 'bot', closed: true, endReason: 'success' },
    });
  });

  it('from the store, once the log has let the message go: the same', async () => {
    const server = fixture.track(await startServer({ topics: { channelRetention: { maxEvents: 3 } } }));
    const first = await write(server, ['a', 'b', 'c', 'd']);
    // Later messages push the first one's events out of the log; the store then serves it.
    for (let i = 0; i < 3; i++) await write(server, ['x', 'y', 'z']);
    const c = await fixture.client();
    c.send({ op: 'sub', topic, after: '0-0', compact: true });
    const events = await c.events(topic, 1);
    expect(events[0]!.data).toMatchObject({
      messageId: first,
      text: 'abcd',
      status: 'ended',
      meta: { closed: true, endReason: 'success' },
    });
  });
});
