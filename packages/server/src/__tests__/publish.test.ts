/**
 * `spool.publish(topic, data, { event, key })`, the client's argument order: the default
 * event name, a named event, and idempotency keys (docs/http-api.md, "Topics").
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSpool, type Spool } from '../index';

let spool: Spool | undefined;
afterEach(() => spool?.close());

/** The retained events of a topic, as `GET /v1/topics/:topic/history` reads them. */
async function history(s: Spool, topic: string) {
  const res = await s.fetch(new Request(`http://localhost/v1/topics/${topic}/history?after=0-0`));
  return res.json();
}

describe('spool.publish(topic, data, { event, key })', () => {
  it('names the event `message` by default, as the client and the HTTP route do', async () => {
    spool = createSpool();
    const id = await spool.publish('news', { n: 1 });
    expect(await history(spool, 'news')).toEqual([{ id, event: 'message', data: { n: 1 } }]);
  });

  it('publishes a named event, with any JSON value as data', async () => {
    spool = createSpool();
    const a = await spool.publish('news', 'plain text', { event: 'story' });
    const b = await spool.publish('news', null, { event: 'marker' });
    expect(await history(spool, 'news')).toEqual([
      { id: a, event: 'story', data: 'plain text' },
      { id: b, event: 'marker', data: null },
    ]);
  });

  it('applies a repeated key once and resolves to the first event’s ID, also when both race', async () => {
    spool = createSpool();
    const first = await spool.publish('news', { n: 1 }, { key: 'k1' });
    expect(await spool.publish('news', { n: 1 }, { key: 'k1' })).toBe(first);
    const [x, y] = await Promise.all([
      spool.publish('news', { n: 2 }, { key: 'k2' }),
      spool.publish('news', { n: 2 }, { key: 'k2' }),
    ]);
    expect(x).toBe(y);
    expect(await history(spool, 'news')).toEqual([
      { id: first, event: 'message', data: { n: 1 } },
      { id: x, event: 'message', data: { n: 2 } },
    ]);
    expect((await spool.stats()).events.published).toBe(2);
  });

  it('keeps keys apart per topic', async () => {
    spool = createSpool();
    const a = await spool.publish('a', 1, { key: 'same' });
    const b = await spool.publish('b', 1, { key: 'same' });
    expect(await history(spool, 'a')).toEqual([{ id: a, event: 'message', data: 1 }]);
    expect(await history(spool, 'b')).toEqual([{ id: b, event: 'message', data: 1 }]);
    expect((await spool.stats()).events.published).toBe(2);
  });

  it('refuses an invalid event name with INVALID_EVENT, and a retry with its key can still apply', async () => {
    spool = createSpool();
    await expect(spool.publish('news', 1, { event: ' leading space', key: 'k' })).rejects.toMatchObject({
      code: 'INVALID_EVENT',
    });
    const id = await spool.publish('news', 1, { event: 'fixed', key: 'k' });
    expect(await history(spool, 'news')).toEqual([{ id, event: 'fixed', data: 1 }]);
  });

  it('answers every refusal as a rejection, never a throw, and counts only what was appended', async () => {
    spool = createSpool();
    const s = spool;
    // A bad topic name fails before any append: still a rejected promise, not a throw.
    let refused: Promise<string> | undefined;
    expect(() => {
      refused = s.publish('bad\nname', 1);
    }).not.toThrow();
    await expect(refused).rejects.toMatchObject({ code: 'INVALID_TOPIC' });
    await expect(s.publish('news', 1, { event: ' leading space' })).rejects.toMatchObject({
      code: 'INVALID_EVENT',
    });
    expect((await s.stats()).events.published).toBe(0);
    await s.publish('news', 1);
    await s.publish('news', 2, { key: 'k' });
    expect((await s.stats()).events.published).toBe(2);
  });
});
