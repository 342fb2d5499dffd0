import type { SpoolStats } from '@spool/core';
import { createStore, type StoreApi } from 'zustand/vanilla';

/** How much events-per-second history the overview chart keeps: 5 minutes at one point a second. */
export const STATS_HISTORY_POINTS = 300;

export interface RatePoint {
  /** Server time of the snapshot (ms since the epoch). */
  at: number;
  eventsPerSec: number;
}

export interface StatsState {
  /** The latest snapshot, from `GET /v1/stats` or a `$sys` `stats` event, whichever is newer. */
  stats: SpoolStats | null;
  /** Server clock minus the local clock when `stats` arrived, so ages use the server's time. */
  clockOffsetMs: number;
  /** Local time `stats` arrived, to compare with when an HTTP list was fetched. */
  receivedAt: number;
  history: RatePoint[];
  applyStats(stats: SpoolStats, localNow?: number): void;
}

export type StatsStore = StoreApi<StatsState>;

/**
 * The live operators' snapshot and its rate history.
 *
 * @example
 * const store = createStatsStore();
 * live.subscribe('$sys', { onEvent: (ev) => ev.event === 'stats' && store.getState().applyStats(ev.data as SpoolStats) });
 */
export function createStatsStore(): StatsStore {
  return createStore<StatsState>((set, get) => ({
    stats: null,
    clockOffsetMs: 0,
    receivedAt: 0,
    history: [],
    applyStats(stats, localNow = Date.now()) {
      const current = get().stats;
      // The HTTP snapshot and the pushed one can cross: never go back in time.
      if (current && stats.at < current.at) return;
      const history = get().history;
      const last = history[history.length - 1];
      const next =
        last && last.at >= stats.at
          ? history
          : [...history, { at: stats.at, eventsPerSec: stats.topics.eventsPerSec }].slice(
              -STATS_HISTORY_POINTS,
            );
      set({ stats, clockOffsetMs: stats.at - localNow, receivedAt: localNow, history: next });
    },
  }));
}
