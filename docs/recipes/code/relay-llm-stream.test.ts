import type { AddressInfo } from 'node:net';
import type { SpoolProducer } from '@spool/client/producer';
import { createSpool, type Spool } from '@spool/server';
import { listen } from '@spool/server/node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connectProducer, relayInProcess, relayReply } from './relay-llm-stream';

let spool: Spool;
let close: () => Promise<void>;
let baseUrl: string;
let client: SpoolProducer;

beforeEach(async () => {
  spool = createSpool();
  const started = await listen(spool, { host: '127.0.0.1', port: 0 });
  baseUrl = `http://127.0.0.1:${(started.server.address() as AddressInfo).port}`;
  close = () => started.close();
  client = connectProducer(`${baseUrl.replace('http', 'ws')}/v1/ws`);
});

afterEach(async () => {
  client.close();
  await close();
});

async function stored(messageId: string): Promise<{ text: string; status: string; reason?: string }> {
  const res = await fetch(`${baseUrl}/v1/messages/${messageId}`);
  expect(res.status).toBe(200);
  return res.json() as Promise<{ text: string; status: string; reason?: string }>;
}

/** A model stand-in: `n` numbered tokens, each after a turn of the event loop. */
async function* tokens(n: number, onEach?: (i: number) => void): AsyncIterable<string> {
  for (let i = 0; i < n; i++) {
    await new Promise((r) => setImmediate(r));
    onEach?.(i);
    yield `t${i} `;
  }
}
const text = (n: number) => Array.from({ length: n }, (_, i) => `t${i} `).join('');

describe('relay an LLM stream from a Node producer', () => {
  it('relays every token into one message that ends with success', async () => {
    const { messageId, reason } = await relayReply(client, 'general', tokens(500));
    expect(reason).toBe('success');
    expect(await stored(messageId)).toMatchObject({ text: text(500), status: 'ended', reason: 'success' });
  });

  it('loses nothing when the connection drops mid-reply', async () => {
    const { messageId } = await relayReply(
      client,
      'general',
      tokens(300, (i) => i === 100 && client.reconnect()),
    );
    expect((await stored(messageId)).text).toBe(text(300));
  });

  it('cancels the message when its signal aborts', async () => {
    const ctl = new AbortController();
    const { messageId, reason } = await relayReply(
      client,
      'general',
      tokens(10_000, (i) => i === 20 && ctl.abort()),
      ctl.signal,
    );
    expect(reason).toBe('cancelled');
    expect(await stored(messageId)).toMatchObject({ text: text(20), reason: 'cancelled' });
  });

  it('ends the message with error, keeping its text, when the model throws', async () => {
    const room = client.channel(1, 'failing');
    const failing = async function* () {
      yield 'partial ';
      throw new Error('model went away');
    };
    await expect(relayReply(client, 'failing', failing())).rejects.toThrow('model went away');
    await vi.waitFor(() => expect(room.getSnapshot()[0]).toMatchObject({ status: 'error' }));
    const { messageId } = room.getSnapshot()[0]!;
    expect(await stored(messageId)).toMatchObject({ text: 'partial ', status: 'ended', reason: 'error' });
  });

  it('in process: spool.run relays the tokens, and a cancel aborts the model', async () => {
    const done = await relayInProcess(spool, 'general', () => tokens(50));
    expect(done.reason).toBe('success');
    expect((await stored(done.messageId)).text).toBe(text(50));

    // A client's Stop, here through the HTTP API, once the reply is under way.
    const room = client.channel(1, 'stopped');
    let aborted = false;
    const cancelled = relayInProcess(spool, 'stopped', (signal) => {
      signal.addEventListener('abort', () => (aborted = true));
      return tokens(1_000_000);
    });
    await vi.waitFor(() => expect(room.getSnapshot()[0]?.text.length ?? 0).toBeGreaterThan(10));
    const res = await fetch(`${baseUrl}/v1/messages/${room.getSnapshot()[0]!.messageId}/end`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'cancelled' }),
    });
    expect(res.status).toBe(200);
    await expect(cancelled).resolves.toMatchObject({ reason: 'cancelled' });
    expect(aborted).toBe(true);
  });
});
