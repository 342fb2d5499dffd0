import { describe, expect, it } from 'vitest';
import { type Frame, serverFixture, startServer, type TestServer } from './helpers';

const fixture = serverFixture();
const client = fixture.client;
let server: TestServer | undefined;

describe('resume over the WebSocket', () => {
  it('after a dropped connection, gives every event exactly once, in order', async () => {
    server = fixture.track(await startServer());
    const total = 300;
    const first = await client();
    first.send({ op: 'sub', topic: 'feed', after: '0-0' });
    await first.next((f) => f.op === 'subok');
    // Publish in the background while the connection drops midway.
    let published = 0;
    const publishing = (async () => {
      for (; published < total; published++) {
        await server!.spool.publish('feed', { n: published });
        if (published % 10 === 0) await new Promise((r) => setImmediate(r));
      }
    })();
    const before = await first.events('feed', 50);
    first.ws.terminate();
    await first.closed;
    const lastId = before.at(-1)!.id as string;

    const second = await client();
    second.send({ op: 'sub', topic: 'feed', after: lastId });
    await second.next((f) => f.op === 'subok');
    await publishing;
    const after = await second.events('feed', total - 50);
    const all = [...before, ...after];
    expect(all.map((f) => (f.data as { n: number }).n)).toEqual(Array.from({ length: total }, (_, i) => i));
    const ids = all.map((f) => f.id as string);
    expect(new Set(ids).size).toBe(total);
    // Nothing more arrives: no duplicate at the seam.
    await server.spool.publish('feed', { n: 'sentinel' });
    const next = await second.next((f) => f.op === 'ev');
    expect(next.data).toEqual({ n: 'sentinel' });
  });

  it('treats after "0-0" as everything retained, and no `after` as live only', async () => {
    server = fixture.track(await startServer());
    for (let i = 0; i < 3; i++) await server.spool.publish('t', i);
    const all = await client();
    const live = await client();
    all.send({ op: 'sub', topic: 't', after: '0-0' });
    live.send({ op: 'sub', topic: 't' });
    await live.next((f) => f.op === 'subok');
    await server.spool.publish('t', 3);
    expect((await all.events('t', 4)).map((f) => f.data)).toEqual([0, 1, 2, 3]);
    expect((await live.events('t', 1)).map((f) => f.data)).toEqual([3]);
  });

  it('sends a reset naming the earliest ID when the history is gone, then continues from there', async () => {
    server = fixture.track(
      await startServer({ topics: { retention: { maxEvents: 10, hardMaxEvents: 10 } } }),
    );
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(await server.spool.publish('short', i));
    const c = await client();
    c.send({ op: 'sub', topic: 'short', after: ids[2] });
    const reset: Frame = await c.next((f) => f.op === 'reset');
    expect(reset).toEqual({ op: 'reset', topic: 'short', earliest: ids[20] });
    const events = await c.events('short', 10);
    expect(events.map((f) => f.data)).toEqual(Array.from({ length: 10 }, (_, i) => 20 + i));
  });

  it('holds a subscription at zero credit and resumes it exactly when credit comes', async () => {
    server = fixture.track(await startServer());
    const c = await client();
    c.send({ op: 'sub', topic: 'cr', credit: 3 });
    await c.next((f) => f.op === 'subok');
    for (let i = 0; i < 10; i++) await server.spool.publish('cr', i);
    expect((await c.events('cr', 3)).map((f) => f.data)).toEqual([0, 1, 2]);
    const health = (await server.spool.stats()).connectionHealth[0]!;
    expect(health.credit).toBe(0);
    c.send({ op: 'credit', topic: 'cr', n: 100 });
    expect((await c.events('cr', 7)).map((f) => f.data)).toEqual([3, 4, 5, 6, 7, 8, 9]);
  });
});
