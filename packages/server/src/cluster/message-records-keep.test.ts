import type { WireStreamMeta } from '@spool/core';
import { afterAll, describe, expect, it } from 'vitest';
import { adminClient, deleteKeys, nextPrefix, runPrefix } from '../broker/redis-test-env';
import type { InstanceRef } from './membership';
import { MessageRecords } from './message-records';

// The owner record scripts of a message kept across a rejoin (docs/architecture.md,
// "Instances and incarnations"), on the real Redis.

const admin = adminClient();
afterAll(async () => {
  await deleteKeys(admin, runPrefix);
  admin.disconnect();
});

const META = { channelId: 'general', channelType: 1 } as unknown as WireStreamMeta;
const TOPIC = 'chan:1:general';

/** Records as one incarnation writes them (each its own view of `self`). */
function recordsOf(prefix: string, self: InstanceRef): MessageRecords {
  return new MessageRecords(admin, prefix, self);
}

describe('a message kept across a rejoin', () => {
  it('names the new incarnation, still takes the evicted one’s writes, and a later takeover fences both', async () => {
    const prefix = nextPrefix();
    const evicted = recordsOf(prefix, { instanceId: 'a', incarnation: 'old' });
    const next = recordsOf(prefix, { instanceId: 'a', incarnation: 'new' });
    const other = recordsOf(prefix, { instanceId: 'b', incarnation: 'b1' });
    await evicted.claim('m1', TOPIC, META, '$system');
    await evicted.guard('m1', { firstEventId: '1-0' });
    await evicted.append('m1', 0, 'a');

    expect(await next.keep('m1', 'old', 'new')).toBe(true);
    expect(await evicted.owner('m1')).toEqual({ instanceId: 'a', incarnation: 'new', topic: TOPIC });
    // Only once: the record no longer names the evicted incarnation.
    expect(await next.keep('m1', 'old', 'new')).toBe(false);
    // A write sent under the evicted incarnation before the switch, and the new one's.
    await evicted.append('m1', 1, 'b');
    await next.append('m1', 2, 'c');
    // A takeover of the evicted incarnation finds nothing of it: the message is the new one's.
    expect(await other.take('m1', 'old')).toBe(false);
    expect(await other.ownedBy('old')).toEqual([]);

    // The new incarnation dies: its taker fences both of this process's incarnations.
    expect(await other.take('m1', 'new')).toBe(true);
    await expect(evicted.append('m1', 3, 'd')).rejects.toMatchObject({ code: 'FENCED' });
    await expect(next.append('m1', 3, 'd')).rejects.toMatchObject({ code: 'FENCED' });
    await other.finish('m1', 'error');
    expect(await admin.hget(`${prefix}msg:{m1}`, 'status')).toBe('ended');
  });

  it('keeps nothing another instance took first', async () => {
    const prefix = nextPrefix();
    const evicted = recordsOf(prefix, { instanceId: 'a', incarnation: 'old' });
    const next = recordsOf(prefix, { instanceId: 'a', incarnation: 'new' });
    const other = recordsOf(prefix, { instanceId: 'b', incarnation: 'b1' });
    await evicted.claim('m2', TOPIC, META, '$system');
    expect(await other.take('m2', 'old')).toBe(true);
    expect(await next.keep('m2', 'old', 'new')).toBe(false);
    await expect(evicted.append('m2', 0, 'a')).rejects.toMatchObject({ code: 'FENCED' });
    await expect(next.append('m2', 0, 'a')).rejects.toMatchObject({ code: 'FENCED' });
  });

  it('a producer moving a kept message away fences the evicted incarnation too', async () => {
    const prefix = nextPrefix();
    const evicted = recordsOf(prefix, { instanceId: 'a', incarnation: 'old' });
    const next = recordsOf(prefix, { instanceId: 'a', incarnation: 'new' });
    const other = recordsOf(prefix, { instanceId: 'b', incarnation: 'b1' });
    await evicted.claim('m3', TOPIC, META, '$system');
    await evicted.guard('m3', { firstEventId: '1-0' });
    expect(await next.keep('m3', 'old', 'new')).toBe(true);
    // Re-opened by the same producer under either incarnation of the process: still here.
    expect(await evicted.claim('m3', TOPIC, META, '$system')).toEqual({ kind: 'here' });
    expect(await other.claim('m3', TOPIC, META, '$system')).toMatchObject({
      kind: 'moved',
      from: { instanceId: 'a', incarnation: 'new' },
    });
    await expect(evicted.append('m3', 0, 'a')).rejects.toMatchObject({ code: 'FENCED' });
    await expect(next.append('m3', 0, 'a')).rejects.toMatchObject({ code: 'FENCED' });
  });
});
