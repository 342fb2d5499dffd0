import { describe, expect, it } from 'vitest';
import { realClock } from './clock';

describe('realClock', () => {
  it('fires its timers, and cancels them', async () => {
    const fired: string[] = [];
    const cancelled = realClock.setTimeout(() => fired.push('cancelled'), 0);
    realClock.clearTimeout(cancelled);
    await new Promise<void>((resolve) =>
      realClock.setTimeout(() => {
        fired.push('kept');
        resolve();
      }, 1),
    );
    expect(fired).toEqual(['kept']);
  });

  it('does not let its timers keep a Node process alive (unref), and works where handles are numbers', () => {
    const handle = realClock.setTimeout(() => {}, 60_000) as { hasRef?: () => boolean };
    realClock.clearTimeout(handle);
    // Node: a Timeout with hasRef(); a browser-like runtime: a number, which has no unref to call.
    if (typeof handle === 'object') expect(handle.hasRef?.()).toBe(false);
    else expect(typeof handle).toBe('number');
  });
});
