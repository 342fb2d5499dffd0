import { describe, expect, it } from 'vitest';
import { createManualClock } from '../time/clock';
import { EventRateMeter } from './event-rate-meter';

describe('EventRateMeter', () => {
  it('averages over its window and forgets what slid out', () => {
    const clock = createManualClock(0);
    const meter = new EventRateMeter(clock, 10);
    for (let i = 0; i < 50; i++) meter.record();
    expect(meter.perSecond()).toBe(5);
    clock.advance(3_000);
    meter.record(10);
    expect(meter.perSecond()).toBe(6);
    clock.advance(9_500);
    expect(meter.perSecond()).toBe(1);
    clock.advance(60_000);
    expect(meter.perSecond()).toBe(0);
  });
});
