/**
 * The resume rule on the wire (docs/protocol.md, "The resume rule"), against one server:
 * positions that never existed in this log get exactly one `reset`, `subok.from` is the
 * reset's `earliest`, and everything the server holds follows from there; a graceful
 * shutdown gets every open message's `msg.end` out before the sockets close.
 */
import { channelTopic, createManualClock, eventIdAfter, eventIdBefore, type ManualClock } from '@spool/core';
import { describe, expect, it } from 'vitest';
import { type Frame, serverFixture, startServer, type TestClient, type TestServer } from './helpers';

const fixture = serverFixture();
let server: TestServer;
let clock: ManualClock;

/** A server on a manual clock, so that tests place events in distinct milliseconds. */
async function startManual(): Promise<TestServer> {
  clock = createManualClock(1_000_000);
  return fixture.track(await startServer({ clock }));
}

/** Subscribes and returns every frame of the topic up to `subok` and the `n`-th `ev`. */
async function subscribe(c: TestClient, topic: string, after: string | undefined, n: number) {
  c.send({ op: 'sub', topic, ...(after === undefined ? {} : { after }) });
  const frames: Frame[] = [];
  for (let evs = 0, ready = false; evs < n || !ready; ) {
    const f = await c.next((x) => x.topic === topic);
    frames.push(f);
    if (f.op === 'ev') evs++;
    if (f.op === 'subok') ready = true;
  }
  return frames;
}

async function publishN(topic: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    ids.push(await server.spool.publish(topic, i));
    // a new millisecond now and then, so that IDs between two events exist
    if (i % 2 === 1) clock.advance(5);
  }
  return ids;
}

describe('the resume rule over the WebSocket', () => {
  it('resets a future ID once: subok.from is earliest, then every retained event, then live', async () => {
    server = await startManual();
    const ids = await publishN('t', 3);
    const c = await fixture.client();
    const frames = await subscribe(c, 't', '9999999999999-0', 3);
    expect(frames.map((f) => f.op)).toEqual(['subok', 'reset', 'ev', 'ev', 'ev']);
    expect(frames[0]!.from).toBe(ids[0]);
    expect(frames[1]!.earliest).toBe(ids[0]);
    expect(frames.slice(2).map((f) => f.id)).toEqual(ids);
    const live = await server.spool.publish('t', 'live');
    expect((await c.next((f) => f.op === 'ev')).id).toBe(live);
    expect(c.frames.filter((f) => f.op === 'reset')).toEqual([]);
  });

  it('resets an ID that never existed between two that do, and serves the log exactly from its own IDs', async () => {
    server = await startManual();
    const ids = await publishN('t', 4);
    const [ms] = ids[1]!.split('-');
    const between = `${ms}-${Number(ids[1]!.split('-')[1]) + 7}`;
    expect(ids).not.toContain(between);
    const forged = await subscribe(await fixture.client(), 't', between, 4);
    expect(forged.map((f) => f.op)).toEqual(['subok', 'reset', 'ev', 'ev', 'ev', 'ev']);
    expect([forged[0]!.from, forged[1]!.earliest]).toEqual([ids[0], ids[0]]);
    const exact = await subscribe(await fixture.client(), 't', ids[1], 2);
    expect(exact.map((f) => f.op)).toEqual(['subok', 'ev', 'ev']);
    expect(exact[0]!.from).toBe(eventIdAfter(ids[1]!));
    expect(exact.slice(1).map((f) => f.id)).toEqual(ids.slice(2));
  });

  it('gives a live start a resumable position: the ID after the topic’s last (or its floor)', async () => {
    server = await startManual();
    const empty = await subscribe(await fixture.client(), 'e', undefined, 0);
    const [ready] = empty;
    expect(ready!.op).toBe('subok');
    // just below `from` is the empty topic's floor: resuming there is exact
    const first = await server.spool.publish('e', 0);
    const resumed = await subscribe(await fixture.client(), 'e', eventIdBefore(ready!.from as string), 1);
    expect(resumed.map((f) => [f.op, f.id])).toEqual([
      ['subok', undefined],
      ['ev', first],
    ]);
    const [live] = await subscribe(await fixture.client(), 'e', undefined, 0);
    expect(live!.from).toBe(eventIdAfter(first));
  });
});

describe('the resume rule over SSE', () => {
  async function readEvents(res: Response, until: (text: string) => boolean): Promise<string> {
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!until(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    await reader.cancel();
    return text;
  }

  it('resets a future Last-Event-ID (header or query) with an id just below earliest', async () => {
    server = await startManual();
    const ids = await publishN('s', 2);
    const url = `${server.url}/v1/topics/s/events`;
    for (const res of [
      await fetch(url, { headers: { 'last-event-id': '9999999999999-0' } }),
      await fetch(`${url}?lastEventId=9999999999999-0`),
    ]) {
      const text = await readEvents(res, (t) => t.includes(`id: ${ids[1]}\n`));
      const body = text.slice(text.indexOf('\n\n') + 2);
      expect(body).toBe(
        `id: ${eventIdBefore(ids[0]!)}\nevent: reset\ndata: {"earliest":"${ids[0]}"}\n\n` +
          `id: ${ids[0]}\ndata: 0\n\nid: ${ids[1]}\ndata: 1\n\n`,
      );
    }
  });
});

describe('graceful shutdown', () => {
  it('ends open messages with reason force and sends their msg.end before closing with 1001', async () => {
    server = fixture.track(await startServer());
    const topic = channelTopic(1, 'bye');
    const ws = await fixture.client();
    ws.send({ op: 'sub', topic });
    await ws.next((f) => f.op === 'subok');
    const sse = await fetch(`${server.url}/v1/topics/${encodeURIComponent(topic)}/events`);
    const run = await server.spool.run({ channelId: 'bye', channelType: 1 }, async (write, signal) => {
      await write('half a ');
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
    });
    await ws.next((f) => f.op === 'ev' && f.event === 'msg.delta');
    await server.close();
    const end = await ws.next((f) => f.op === 'ev' && f.event === 'msg.end');
    expect(end.data).toEqual({ messageId: run.messageId, reason: 'force', persisted: true });
    expect((await ws.closed).code).toBe(1001);
    // the SSE stream carries it too, and then ends
    const text = await sse.text();
    expect(text).toContain(`"messageId":"${run.messageId}","reason":"force","persisted":true`);
    expect(await run.done).toBe('force');
  });
});
