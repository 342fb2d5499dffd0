import type { SpoolClient } from '@spool/client';
import { createContext, type ReactNode, useContext } from 'react';
import { useStore } from 'zustand';
import type { SpoolApi } from '../api/routes';
import type { TokenStore } from '../auth/tokenStore';
import type { StatsState, StatsStore } from '../live/statsStore';

/** Everything a view needs from the outside world, injected so tests can swap any part. */
export interface DashboardEnv {
  api: SpoolApi;
  /**
   * Makes the live client the views reach through `@spool/client/react`: one at start, and
   * a fresh one after a sign-out (so nothing of the previous session stays).
   */
  createClient(): SpoolClient;
  tokens: TokenStore;
  stats: StatsStore;
}

const EnvContext = createContext<DashboardEnv | null>(null);

export function EnvProvider({ env, children }: { env: DashboardEnv; children: ReactNode }) {
  return <EnvContext.Provider value={env}>{children}</EnvContext.Provider>;
}

/** The injected {@link DashboardEnv}. */
export function useEnv(): DashboardEnv {
  const env = useContext(EnvContext);
  if (!env)
    throw new Error('useEnv() must be used inside <EnvProvider>: render the dashboard through <App>.');
  return env;
}

/** Selects from the live stats store. */
export function useStats<T>(selector: (state: StatsState) => T): T {
  return useStore(useEnv().stats, selector);
}
