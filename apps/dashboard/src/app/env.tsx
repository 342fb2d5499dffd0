import { createContext, type ReactNode, useContext } from 'react';
import { useStore } from 'zustand';
import type { SpoolApi } from '../api/routes';
import type { TokenStore } from '../auth/tokenStore';
import type { LiveConnection } from '../live/connection';
import type { MessageState, MessageStore } from '../live/messageStore';
import type { StatsState, StatsStore } from '../live/statsStore';

/** Everything a view needs from the outside world, injected so tests can swap any part. */
export interface DashboardEnv {
  api: SpoolApi;
  live: LiveConnection;
  tokens: TokenStore;
  stats: StatsStore;
  messages: MessageStore;
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

/** Selects from the assembled-messages store. */
export function useMessages<T>(selector: (state: MessageState) => T): T {
  return useStore(useEnv().messages, selector);
}
