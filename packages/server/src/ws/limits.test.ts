import { createManualClock, SpoolError } from '@spool/core';
import { describe, expect, it } from 'vitest';
import { IdempotencyWindow, TokenBucket } from './limits';

describe('TokenBucket', () => {
  it('allows a burst, then refills at the rate', () => {
    const clock = createManualClock(0);
    const bucket = new TokenBucket(10, 3, clock);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    clock.advance(100);
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
  });

  it('says how long until the next token after a refusal', () => {
    const clock = createManualClock(0);
    const bucket = new TokenBucket(10, 1, clock);
    bucket.take();
    expect(bucket.take()).toBe(false);
    expect(bucket.retryAfterMs()).toBe(100);
    clock.advance(60);
    expect(bucket.take()).toBe(false);
    expect(bucket.retryAfterMs()).toBe(40);
    clock.advance(40);
    expect(bucket.take()).toBe(true);
  });
});

describe('IdempotencyWindow', () => {
  it('applies a key once per principal, even when the retry races the first attempt', async () => {
    const window = new IdempotencyWindow(10);
    let calls = 0;
    const publish = async () => `1-${calls++}`;
    const [a, b] = await Promise.all([window.run('p', 'k', publish), window.run('p', 'k', publish)]);
    expect(a).toEqual({ id: '1-0', duplicate: false });
    expect(b).toEqual({ id: '1-0', duplicate: true });
    expect((await window.run('other', 'k', publish)).id).toBe('1-1');
  });

  it('forgets a failed attempt, and forgets the oldest keys past its size', async () => {
    const window = new IdempotencyWindow(2);
    await expect(
      window.run('p', 'k', async () => {
        throw new SpoolError('UNAVAILABLE', 'down');
      }),
    ).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect((await window.run('p', 'k', async () => 'x')).duplicate).toBe(false);
    await window.run('p', 'k2', async () => 'y');
    await window.run('p', 'k3', async () => 'z');
    expect(window.count('p')).toBe(2);
    expect((await window.run('p', 'k', async () => 'again')).id).toBe('again');
  });
});
