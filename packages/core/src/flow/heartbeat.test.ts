import { describe, expect, it } from 'vitest';
import type { SpoolError } from '../errors';
import { createManualClock } from '../time/clock';
import { Heartbeat } from './heartbeat';

function setup() {
  const clock = createManualClock(0);
  const events: string[] = [];
  const hb = new Heartbeat({
    clock,
    intervalMs: 10,
    timeoutMs: 25,
    onBeat: () => events.push(`beat@${clock.now()}`),
    onTimeout: (info) => events.push(`timeout@${clock.now()} silent=${info.silentMs}`),
  });
  return { clock, hb, events };
}

describe('Heartbeat', () => {
  it('beats every interval and times out a silent peer once, then stops', () => {
    const { clock, hb, events } = setup();
    hb.start();
    clock.advance(100);
    expect(events).toEqual(['beat@10', 'beat@20', 'timeout@25 silent=25']);
    expect(hb.isTimedOut).toBe(true);
    expect(hb.isRunning).toBe(false);
    expect(clock.pending()).toBe(0);
  });

  it('stays alive while the peer keeps touching it', () => {
    const { clock, hb, events } = setup();
    hb.start();
    for (let i = 0; i < 10; i++) {
      clock.advance(10);
      hb.touch();
    }
    expect(events.filter((e) => e.startsWith('timeout'))).toEqual([]);
    expect(events).toHaveLength(10);
    clock.advance(24);
    expect(hb.isTimedOut).toBe(false);
    clock.advance(1);
    expect(events.at(-1)).toBe('timeout@125 silent=25');
  });

  it('stop() clears every timer and restart counts the peer as just seen', () => {
    const { clock, hb, events } = setup();
    hb.start();
    clock.advance(15);
    hb.stop();
    expect(clock.pending()).toBe(0);
    clock.advance(100);
    expect(events).toEqual(['beat@10']);
    hb.start();
    clock.advance(24);
    expect(hb.isTimedOut).toBe(false);
    expect(hb.snapshot()).toMatchObject({ running: true, lastSeenAt: 115, silentMs: 24, beats: 3 });
  });

  it.each([{ intervalMs: 0 }, { intervalMs: 10, timeoutMs: 10 }, { onBeat: 5 as never }])(
    'rejects %o with INVALID_OPTION',
    (options) => {
      try {
        new Heartbeat(options);
        expect.unreachable();
      } catch (err) {
        expect((err as SpoolError).code).toBe('INVALID_OPTION');
      }
    },
  );
});
