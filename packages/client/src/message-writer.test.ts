import { type ClientMessage, createManualClock, SpoolError } from '@spool/core';
import { describe, expect, it } from 'vitest';
import { MessageWriter, type SendRequest } from './message-writer';

/** A request function whose answers the test gives by hand, in any order. */
function fakeSend() {
  const sent: Array<{
    frame: ClientMessage;
    ok: (a: { id?: string; messageId?: string }) => void;
    ko: (e: SpoolError) => void;
  }> = [];
  const send: SendRequest = (frame) => new Promise((ok, ko) => sent.push({ frame, ok, ko }));
  const tick = () => new Promise((r) => setTimeout(r, 0));
  return { send, sent, tick };
}

describe('MessageWriter', () => {
  it('chooses a 64-bit message ID itself, so a retried open names the same message', () => {
    const { send, sent } = fakeSend();
    const w = new MessageWriter(send, { channelId: 'c', channelType: 1 }, () => 0.5);
    expect(BigInt(w.messageId) > 0n && BigInt(w.messageId) < 2n ** 63n).toBe(true);
    expect(sent[0]!.frame).toMatchObject({
      op: 'msg.open',
      meta: { channelId: 'c', messageId: w.messageId },
    });
    const given = new MessageWriter(send, {
      channelId: 'c',
      channelType: 1,
      messageId: '1843563473929170944',
    });
    expect(given.messageId).toBe('1843563473929170944');
  });

  it('holds appends until the open is acknowledged, then pipelines them in call order', async () => {
    const { send, sent, tick } = fakeSend();
    const w = new MessageWriter(send, { channelId: 'c', channelType: 1 });
    const a = w.append('a');
    const b = w.append('b');
    await tick();
    expect(sent.map((s) => s.frame.op)).toEqual(['msg.open']);
    sent[0]!.ok({});
    await tick();
    expect(sent.slice(1).map((s) => [s.frame.op, (s.frame as { chunkId: number }).chunkId])).toEqual([
      ['msg.append', 0],
      ['msg.append', 1],
    ]);
    sent[2]!.ok({ id: '1-2' });
    sent[1]!.ok({ id: '1-1' });
    expect(await Promise.all([a, b])).toEqual(['1-1', '1-2']);
  });

  it('sends end only after every append is acknowledged', async () => {
    const { send, sent, tick } = fakeSend();
    const w = new MessageWriter(send, { channelId: 'c', channelType: 1 });
    sent[0]!.ok({});
    const a = w.append('a');
    const ended = w.end('timeout');
    await tick();
    expect(sent.map((s) => s.frame.op)).toEqual(['msg.open', 'msg.append']);
    sent[1]!.ok({ id: '1-1' });
    expect(await a).toBe('1-1');
    await tick();
    expect(sent[2]!.frame).toMatchObject({ op: 'msg.end', reason: 'timeout', messageId: w.messageId });
    sent[2]!.ok({});
    await ended;
  });

  it('a chunk that finally fails ends the message with reason error, and end() rejects with its error', async () => {
    const { send, sent, tick } = fakeSend();
    const w = new MessageWriter(send, { channelId: 'c', channelType: 1 });
    sent[0]!.ok({});
    const a = w.append('a');
    const b = w.append('b');
    const ended = w.end(); // asked for success...
    await tick();
    sent[1]!.ko(new SpoolError('TOO_MANY_CHUNKS', 'full'));
    sent[2]!.ok({ id: '1-2' });
    await expect(a).rejects.toMatchObject({ code: 'TOO_MANY_CHUNKS' });
    expect(await b).toBe('1-2');
    // ...but chunk 0 is missing: the message ends as `error`, never `success` with a hole.
    await expect(ended).rejects.toMatchObject({ code: 'TOO_MANY_CHUNKS' });
    expect(sent.slice(3).map((s) => s.frame)).toEqual([
      { op: 'msg.end', ref: 0, messageId: w.messageId, reason: 'error' },
    ]);
    await expect(w.append('later')).rejects.toMatchObject({ code: 'STREAM_CLOSED' });
  });

  it('keeps at most `window` appends in flight and merges the text waiting behind them', async () => {
    const { send, sent, tick } = fakeSend();
    const w = new MessageWriter(send, { channelId: 'c', channelType: 1 }, Math.random, { window: 2 });
    sent[0]!.ok({});
    const parts = ['a', 'b', 'c', 'd', 'e'].map((t) => w.append(t));
    await tick();
    const appends = () =>
      sent
        .filter((s) => s.frame.op === 'msg.append')
        .map((s) => s.frame as { chunkId: number; text: string });
    expect(appends().map((f) => [f.chunkId, f.text])).toEqual([
      [0, 'a'],
      [1, 'b'],
    ]);
    sent[1]!.ok({ id: '1-0' });
    await tick();
    expect(appends().map((f) => [f.chunkId, f.text])).toEqual([
      [0, 'a'],
      [1, 'b'],
      [2, 'cde'],
    ]);
    sent[2]!.ok({ id: '1-1' });
    sent[3]!.ok({ id: '1-2' });
    expect(await Promise.all(parts)).toEqual(['1-0', '1-1', '1-2', '1-2', '1-2']);
  });

  it('sends a chunk refused for rate again after its retryAfterMs, and end waits for it', async () => {
    const { send, sent, tick } = fakeSend();
    const clock = createManualClock(0);
    const w = new MessageWriter(send, { channelId: 'c', channelType: 1 }, Math.random, { clock });
    sent[0]!.ok({});
    const a = w.append('a');
    const ended = w.end();
    await tick();
    sent[1]!.ko(new SpoolError('RATE_LIMITED', 'later', { details: { retryAfterMs: 30 } }));
    await tick();
    await clock.advanceAsync(29);
    expect(sent).toHaveLength(2);
    await clock.advanceAsync(1);
    expect(sent[2]!.frame).toMatchObject({ op: 'msg.append', chunkId: 0, text: 'a' });
    sent[2]!.ok({ id: '1-1' });
    expect(await a).toBe('1-1');
    await tick();
    expect(sent[3]!.frame).toMatchObject({ op: 'msg.end', reason: 'success' });
    sent[3]!.ok({});
    await ended;
  });

  it('fails with QUEUE_FULL past maxQueuedSize instead of dropping text, and ends the message with error', async () => {
    const { send, sent, tick } = fakeSend();
    const w = new MessageWriter(send, { channelId: 'c', channelType: 1 }, Math.random, {
      window: 1,
      maxQueuedSize: 4,
    });
    sent[0]!.ok({});
    w.append('a');
    w.append('bcd');
    const overflow = w.append('efg');
    await expect(overflow).rejects.toMatchObject({ code: 'QUEUE_FULL' });
    await expect(w.end()).rejects.toMatchObject({ code: 'QUEUE_FULL' });
    await tick();
    expect(sent.at(-1)!.frame).toMatchObject({ op: 'msg.end', reason: 'error' });
  });

  it('opens again on a new connection, and fails if the server answers with another message', async () => {
    const { send, sent, tick } = fakeSend();
    const w = new MessageWriter(send, { channelId: 'c', channelType: 1 });
    expect(w.reopen()).toBe(true); // not opened yet: the client sends its first open again itself
    expect(sent).toHaveLength(1);
    sent[0]!.ok({ id: '5-0', messageId: w.messageId });
    await tick();
    expect(w.reopen()).toBe(true);
    expect(sent[1]!.frame).toEqual(sent[0]!.frame);
    sent[1]!.ok({ id: '5-0', messageId: w.messageId }); // the idempotent retry: same open
    const a = w.append('a');
    await tick();
    sent[2]!.ok({ id: '5-1' });
    expect(await a).toBe('5-1');
    // A server that restarted opens a new message under the same ID: the text so far is gone.
    w.reopen();
    sent[3]!.ok({ id: '9-0', messageId: w.messageId });
    await expect(w.end()).rejects.toMatchObject({ code: 'STREAM_NOT_FOUND' });
    await tick();
    expect(sent.at(-1)!.frame).toMatchObject({ op: 'msg.end', reason: 'error' });
    expect(w.reopen()).toBe(false);
  });

  it('rejects appends after end or cancel with STREAM_CLOSED', async () => {
    const { send, sent, tick } = fakeSend();
    const w = new MessageWriter(send, { channelId: 'c', channelType: 1 });
    sent[0]!.ok({});
    const cancelled = w.cancel();
    await tick();
    expect(sent[1]!.frame).toEqual({ op: 'msg.cancel', ref: 0, messageId: w.messageId });
    sent[1]!.ok({});
    await cancelled;
    await expect(w.append('late')).rejects.toMatchObject({ code: 'STREAM_CLOSED' });
    await expect(w.end()).rejects.toMatchObject({ code: 'STREAM_CLOSED' });
  });

  it('fails appends and end with the error of a failed open', async () => {
    const { send, sent } = fakeSend();
    const w = new MessageWriter(send, { channelId: 'c', channelType: 1 });
    const a = w.append('a');
    const e = w.end();
    sent[0]!.ko(new SpoolError('TOO_MANY_STREAMS', 'full'));
    await expect(w.opened).rejects.toMatchObject({ code: 'TOO_MANY_STREAMS' });
    await expect(a).rejects.toMatchObject({ code: 'TOO_MANY_STREAMS' });
    await expect(e).rejects.toMatchObject({ code: 'TOO_MANY_STREAMS' });
  });
});
