import { describe, expect, it } from 'vitest';
import { serverFixture, startServer, type TestServer } from './helpers';

const fixture = serverFixture();
const client = fixture.client;
let server: TestServer | undefined;

describe('WebSocket publish and subscribe', () => {
  it('delivers a publish to every subscriber of the topic, with an ack carrying the event ID', async () => {
    server = fixture.track(await startServer());
    const [a, b, pub] = [await client(), await client(), await client()];
    for (const c of [a, b]) {
      c.send({ op: 'sub', topic: 'news' });
      const ok = await c.next((f) => f.op === 'subok');
      expect(ok.topic).toBe('news');
    }
    const ack = await pub.request({ op: 'pub', topic: 'news', event: 'headline', data: { n: 1 } });
    expect(ack.op).toBe('ack');
    for (const c of [a, b]) {
      const [ev] = await c.events('news', 1);
      expect(ev).toEqual({ op: 'ev', topic: 'news', id: ack.id, event: 'headline', data: { n: 1 } });
    }
  });

  it('multiplexes topics on one socket, each in order', async () => {
    server = fixture.track(await startServer());
    const c = await client();
    c.send({ op: 'sub', topic: 'a' });
    c.send({ op: 'sub', topic: 'b' });
    await c.next((f) => f.op === 'subok' && f.topic === 'a');
    await c.next((f) => f.op === 'subok' && f.topic === 'b');
    for (let i = 0; i < 5; i++) {
      await server.spool.publish('a', i);
      await server.spool.publish('b', i * 10);
    }
    expect((await c.events('a', 5)).map((f) => f.data)).toEqual([0, 1, 2, 3, 4]);
    expect((await c.events('b', 5)).map((f) => f.data)).toEqual([0, 10, 20, 30, 40]);
  });
});
