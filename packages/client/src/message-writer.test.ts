import { type ClientMessage, SpoolError } from '@spool/core';
import { describe, expect, it } from 'vitest';
import { MessageWriter, type SendRequest } from './message-writer';

/** A request function whose answers the test gives by hand, in any order. */
function fakeSend() {
  const sent: Array<{ frame: ClientMessage; ok: (a: { id?: string }) => void; ko: (e: SpoolError) => void }> =
    [];
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

  it('sends end only after every append settled', async () => {
    const { send, sent, tick } = fakeSend();
    const w = new MessageWriter(send, { channelId: 'c', channelType: 1 });
    sent[0]!.ok({});
    const a = w.append('a');
    const ended = w.end('timeout');
    await tick();
    expect(sent.map((s) => s.frame.op)).toEqual(['msg.open', 'msg.append']);
    sent[1]!.ko(new SpoolError('TOO_MANY_CHUNKS', 'full'));
    await expect(a).rejects.toMatchObject({ code: 'TOO_MANY_CHUNKS' });
    await tick();
    expect(sent[2]!.frame).toMatchObject({ op: 'msg.end', reason: 'timeout', messageId: w.messageId });
    sent[2]!.ok({});
    await ended;
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
