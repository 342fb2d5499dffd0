import { describe, expect, it } from 'vitest';
import { NOW, spoolStats } from '../test/fixtures';
import { createStatsStore, STATS_HISTORY_POINTS } from './statsStore';

describe('createStatsStore', () => {
  it('keeps the newest snapshot and the server clock offset', () => {
    const store = createStatsStore();
    store.getState().applyStats(spoolStats({ at: NOW }), NOW - 250);
    expect(store.getState().clockOffsetMs).toBe(250);
    expect(store.getState().receivedAt).toBe(NOW - 250);
    store.getState().applyStats(spoolStats({ at: NOW - 1000 }), NOW);
    expect(store.getState().stats?.at).toBe(NOW);
  });

  it(`records one rate point per snapshot, the last ${STATS_HISTORY_POINTS} only`, () => {
    const store = createStatsStore();
    for (let i = 0; i < STATS_HISTORY_POINTS + 5; i++) {
      const s = spoolStats({ at: NOW + i * 1000 });
      s.topics.eventsPerSec = i;
      store.getState().applyStats(s);
      // The same snapshot again (HTTP and $sys crossing) adds no point.
      store.getState().applyStats(s);
    }
    const { history } = store.getState();
    expect(history).toHaveLength(STATS_HISTORY_POINTS);
    expect(history[0]).toEqual({ at: NOW + 5000, eventsPerSec: 5 });
    expect(history.at(-1)?.eventsPerSec).toBe(STATS_HISTORY_POINTS + 4);
  });
});
