import { describe, expect, it } from 'vitest';
import { createManualClock } from '../time/clock';
import { CircuitBreaker } from './circuit-breaker';
import { CreditWindow } from './credit-window';
import { createHealthSnapshot, creditWindowHealth } from './health';

const clock = createManualClock(1_700_000_000_000);

describe('createHealthSnapshot', () => {
  it('is healthy when idle', () => {
    expect(createHealthSnapshot({ clock })).toEqual({
      status: 'healthy',
      totalStreams: 0,
      healthyStreams: 0,
      subscribers: 0,
      breakers: {},
      timestamp: 1_700_000_000_000,
    });
  });

  it('is degraded when some streams are unhealthy and unhealthy when all are', () => {
    const some = createHealthSnapshot({
      streams: [{ healthy: true }, { healthy: false }],
      subscribers: 5,
      clock,
    });
    expect(some).toMatchObject({ status: 'degraded', totalStreams: 2, healthyStreams: 1, subscribers: 5 });
    expect(createHealthSnapshot({ streams: [{ healthy: false }], clock }).status).toBe('unhealthy');
  });

  it('reports breakers: half-open degrades, open is unhealthy', async () => {
    const bclock = createManualClock();
    const store = new CircuitBreaker({ name: 'store', failureThreshold: 1, cooldownMs: 10, clock: bclock });
    const broker = new CircuitBreaker({ name: 'broker', clock: bclock });
    await store.execute(() => Promise.reject(new Error('x'))).catch(() => {});
    expect(createHealthSnapshot({ breakers: [store, broker], clock })).toMatchObject({
      status: 'unhealthy',
      breakers: { store: 'open', broker: 'closed' },
    });
    bclock.advance(10);
    expect(createHealthSnapshot({ breakers: [store, broker], clock }).status).toBe('degraded');
    expect(createHealthSnapshot({ breakers: { store: 'closed' }, clock }).status).toBe('healthy');
  });
});

describe('creditWindowHealth', () => {
  it('flags a stream starved of credit for longer than stallAfterMs', () => {
    const w = new CreditWindow({ initial: 2, max: 8 });
    w.tryConsume(2);
    const fresh = creditWindowHealth('sub-1', w, {
      startedAt: 0,
      lastActivityAt: 900,
      now: 1_000,
      stallAfterMs: 500,
    });
    expect(fresh).toEqual({
      id: 'sub-1',
      buffered: 2,
      maxBuffered: 8,
      retries: 0,
      lastActivityAt: 900,
      backpressure: true,
      healthy: true,
      uptimeMs: 1_000,
    });
    expect(
      creditWindowHealth('sub-1', w, { startedAt: 0, lastActivityAt: 0, now: 1_000, stallAfterMs: 500 })
        .healthy,
    ).toBe(false);
    w.ack(1);
    expect(
      creditWindowHealth('sub-1', w, { startedAt: 0, lastActivityAt: 0, now: 1_000, stallAfterMs: 500 })
        .healthy,
    ).toBe(true);
  });
});
