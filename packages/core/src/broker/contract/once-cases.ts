import { expect, it } from 'vitest';
import { type BrokerFixture, expectCode, ids } from './fixture';

/** `xaddOnce`, Spool's extension: one entry per once-key, whatever retries the caller makes. */
export function onceCases(get: () => BrokerFixture): void {
  it('xaddOnce adds once per key; a repeat returns the first entry ID and adds nothing', async () => {
    const { broker } = get();
    const first = await broker.xaddOnce('s', 'm:1', { messageId: '1', reason: 'success' });
    expect(first.added).toBe(true);
    expect(first.id).toMatch(/^\d+-\d+$/);
    expect(await broker.xaddOnce('s', 'm:1', { messageId: '1', reason: 'error' })).toEqual({
      id: first.id,
      added: false,
    });
    const second = await broker.xaddOnce('s', 'm:2', [['messageId', '2']]);
    expect(second.added).toBe(true);
    // One namespace for the whole broker: the same key on another stream is still a repeat.
    expect(await broker.xaddOnce('other', 'm:1', { messageId: '1' })).toEqual({ id: first.id, added: false });
    expect(await broker.xlen('other')).toBe(0);
    const entries = await broker.xrange('s', '-', '+');
    expect(ids(entries)).toEqual([first.id, second.id]);
    expect(entries[0]!.fields).toEqual({ messageId: '1', reason: 'success' });
    // Plain XADD is untouched by once-keys.
    await broker.xadd('s', { messageId: '1' });
    expect(await broker.xlen('s')).toBe(3);
  });

  it('xaddOnce called concurrently with one key adds exactly one entry', async () => {
    const { broker } = get();
    const replies = await Promise.all(
      Array.from({ length: 10 }, (_, i) => broker.xaddOnce('s', 'race', { i: String(i) })),
    );
    expect(replies.filter((r) => r.added)).toHaveLength(1);
    expect(new Set(replies.map((r) => r.id)).size).toBe(1);
    expect(await broker.xlen('s')).toBe(1);
  });

  it('xaddOnce with bad arguments fails with SYNTAX_ERROR and remembers nothing', async () => {
    const { broker } = get();
    await expectCode(broker.xaddOnce('s', 'k', {}), 'SYNTAX_ERROR');
    await expectCode(broker.xaddOnce('s', 7 as unknown as string, { f: 'v' }), 'SYNTAX_ERROR');
    expect(await broker.xlen('s')).toBe(0);
    expect((await broker.xaddOnce('s', 'k', { f: 'v' })).added).toBe(true);
  });
}
