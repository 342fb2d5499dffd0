import { describe, expect, it, vi } from 'vitest';
import { isSpoolError } from '../errors';
import { createManualClock } from '../time/clock';
import { record } from './__tests__/topic-test-kit';
import { MemoryTopicLog } from './memory-topic-log';
import { Topic } from './topic';
import { TopicRegistry } from './topic-registry';

function codeOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return isSpoolError(err) ? err.code : err;
  }
  return undefined;
}

describe('TopicRegistry', () => {
  it('gets or creates topics with the options of the first matching pattern', () => {
    const registry = new TopicRegistry({
      cleanupIntervalMs: 0,
      defaults: { retention: { maxEvents: 100, maxAgeMs: 1_000 } },
      patterns: [
        { match: 'chan:*', options: { retention: { maxEvents: 5_000 } } },
        { match: /^jobs\./, options: { retention: { maxBytes: 1_024 }, retainUntilPersisted: 'events' } },
        { match: (name) => name.endsWith('!'), options: { retention: { maxEvents: 7 } } },
      ],
    });
    const chan = registry.getOrCreate('chan:1:general');
    expect(chan.retention).toMatchObject({ maxEvents: 5_000, maxAgeMs: 1_000 });
    expect(registry.getOrCreate('chan:1:general')).toBe(chan);
    expect(registry.getOrCreate('jobs.x').retention).toMatchObject({ maxEvents: 100, maxBytes: 1_024 });
    expect(registry.getOrCreate('hey!').retention.maxEvents).toBe(7);
    expect(registry.getOrCreate('other', { retention: { maxEvents: 3 } }).retention.maxEvents).toBe(3);
    // a glob matches whole names only; its dots are literal
    expect(registry.getOrCreate('xchan:1').retention.maxEvents).toBe(100);
    expect(registry.size).toBe(5);
    expect(registry.get('nope')).toBeUndefined();
    expect(codeOf(() => registry.require('nope'))).toBe('TOPIC_NOT_FOUND');
    expect(codeOf(() => registry.getOrCreate(''))).toBe('INVALID_TOPIC');
  });

  it('builds each topic’s log with createLog', () => {
    const createLog = vi.fn((_name: string, clock) => new MemoryTopicLog({ clock }));
    const registry = new TopicRegistry({ cleanupIntervalMs: 0, createLog });
    registry.getOrCreate('a');
    expect(createLog).toHaveBeenCalledWith('a', expect.anything());
  });

  it('registers topics built elsewhere, once per name, within maxTopics', async () => {
    const registry = new TopicRegistry({ cleanupIntervalMs: 0, maxTopics: 2 });
    const a = new Topic('a');
    expect(registry.register(a)).toBe(a);
    expect(registry.register(a)).toBe(a);
    expect(codeOf(() => registry.register(new Topic('a')))).toBe('TOPIC_EXISTS');
    registry.getOrCreate('b');
    expect(codeOf(() => registry.getOrCreate('c'))).toBe('TOO_MANY_TOPICS');
    const closed = new Topic('d');
    await closed.close();
    expect(codeOf(() => registry.register(closed))).toBe('TOPIC_CLOSED');
  });

  it('closes idle topics on its clock, but not those with subscribers', async () => {
    const clock = createManualClock(0);
    const onComplete = vi.fn();
    const registry = new TopicRegistry({
      clock,
      idleTimeoutMs: 60_000,
      cleanupIntervalMs: 10_000,
      onComplete,
    });
    const idle = registry.getOrCreate('idle');
    const watched = registry.getOrCreate('watched');
    const s = record(watched);
    await idle.append('message', 1);
    await clock.advanceAsync(50_000);
    expect(registry.size).toBe(2);
    await clock.advanceAsync(20_000);
    expect(registry.get('idle')).toBeUndefined();
    expect(idle.closed).toBe(true);
    expect(onComplete).toHaveBeenCalledWith(idle, 'idle');
    expect(registry.get('watched')).toBe(watched);
    // once its last subscriber leaves, it idles out too
    s.sub.close();
    await clock.advanceAsync(70_000);
    expect(registry.get('watched')).toBeUndefined();
    expect(onComplete).toHaveBeenLastCalledWith(watched, 'idle');
    await registry.close();
  });

  it('closes topics past their timeout, busy or not', async () => {
    const clock = createManualClock(0);
    const onComplete = vi.fn();
    const registry = new TopicRegistry({ clock, timeoutMs: 30_000, cleanupIntervalMs: 10_000, onComplete });
    const t = registry.getOrCreate('job');
    const s = record(t);
    await clock.advanceAsync(30_000);
    expect(t.closed).toBe(true);
    expect(s.sub.state).toBe('closed');
    expect(onComplete).toHaveBeenCalledWith(t, 'timeout');
    await registry.close();
  });

  it('applies age retention on each sweep', async () => {
    const clock = createManualClock(0);
    const registry = new TopicRegistry({
      clock,
      cleanupIntervalMs: 1_000,
      defaults: { retention: { maxAgeMs: 5_000 } },
    });
    const t = registry.getOrCreate('t');
    record(t); // keeps it from idling out
    await t.append('message', 1);
    await clock.advanceAsync(6_000);
    expect(t.stats().retainedEvents).toBe(0);
    await registry.close();
  });

  it('reports onComplete failures and keeps cleaning', async () => {
    const clock = createManualClock(0);
    const onError = vi.fn();
    const registry = new TopicRegistry({
      clock,
      idleTimeoutMs: 1_000,
      cleanupIntervalMs: 1_000,
      onComplete: async () => {
        throw new Error('hook failed');
      },
      onError,
    });
    registry.getOrCreate('a');
    await clock.advanceAsync(1_000);
    registry.getOrCreate('b');
    await clock.advanceAsync(1_000);
    expect(registry.size).toBe(0);
    expect(onError).toHaveBeenCalledTimes(2);
    await registry.close();
  });

  it('removes and closes everything on close, and stops its timer', async () => {
    const clock = createManualClock(0);
    const onComplete = vi.fn();
    const registry = new TopicRegistry({ clock, onComplete });
    const a = registry.getOrCreate('a');
    registry.getOrCreate('b');
    expect(registry.stats().map((s) => s.name)).toEqual(['a', 'b']);
    expect(await registry.remove('a')).toBe(true);
    expect(await registry.remove('a')).toBe(false);
    expect(onComplete).toHaveBeenCalledWith(a, 'closed');
    await registry.close();
    expect(registry.size).toBe(0);
    expect(clock.pending()).toBe(0);
    expect(codeOf(() => registry.getOrCreate('c'))).toBe('TOPIC_CLOSED');
  });

  it('replaces a topic closed behind its back', async () => {
    const registry = new TopicRegistry({ cleanupIntervalMs: 0 });
    const a = registry.getOrCreate('a');
    await a.close();
    const again = registry.getOrCreate('a');
    expect(again).not.toBe(a);
    expect(again.closed).toBe(false);
  });

  it('validates its options', () => {
    for (const bad of [
      { idleTimeoutMs: 0 },
      { timeoutMs: -1 },
      { cleanupIntervalMs: -5 },
      { maxTopics: 0 },
      { patterns: [{ match: 5 as never, options: {} }] },
    ]) {
      expect(codeOf(() => new TopicRegistry(bad))).toBe('INVALID_OPTION');
    }
  });
});
