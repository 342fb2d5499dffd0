import type { SpoolClient } from '@spool/client';
import { SpoolProvider, useSpoolClient } from '@spool/client/react';
import { type QueryClient, QueryClientProvider, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useStore } from 'zustand';
import { ApiError, isUnreachable } from '../api/http';
import { createDashboardQueryClient, queryKeys, useStatsQuery } from '../api/queries';
import { SignIn } from '../auth/SignIn';
import { LiveBadge } from '../components/LiveBadge';
import { useSysStats } from '../live/live-hooks';
import { AuditView } from '../views/AuditView';
import { ClusterView } from '../views/ClusterView';
import { GroupsView } from '../views/GroupsView';
import { OverviewView } from '../views/OverviewView';
import { PlaygroundView } from '../views/PlaygroundView';
import { StoredView } from '../views/StoredView';
import { StreamsView } from '../views/StreamsView';
import { TopicsView } from '../views/TopicsView';
import { type DashboardEnv, EnvProvider, useEnv } from './env';
import { routeHref, useHashRoute, views } from './router';

export interface AppProps {
  env: DashboardEnv;
  /** Injected by tests; the app makes its own otherwise. */
  queryClient?: QueryClient;
}

/**
 * The operators' dashboard.
 *
 * @example createRoot(document.getElementById('root')!).render(<App env={createBrowserEnv()} />);
 */
export function App({ env, queryClient }: AppProps) {
  const [client] = useState(() => queryClient ?? createDashboardQueryClient());
  return (
    <QueryClientProvider client={client}>
      <EnvProvider env={env}>
        <Live />
      </EnvProvider>
    </QueryClientProvider>
  );
}

const AUTH_CODES = new Set(['UNAUTHENTICATED', 'FORBIDDEN']);

/**
 * Owns the live client and provides it to `@spool/client/react`'s hooks. A sign-out
 * closes it and makes a fresh one, so no message or subscription of the session stays.
 * Made in an effect, so React's StrictMode (which runs effects twice) closes what it drops.
 */
function Live() {
  const env = useEnv();
  const [session, setSession] = useState(0);
  const [client, setClient] = useState<SpoolClient | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new session is what makes a new client
  useEffect(() => {
    const next = env.createClient();
    setClient(next);
    return () => next.close();
  }, [env, session]);
  if (!client) return null;
  return (
    <SpoolProvider client={client}>
      <Shell onSignedOut={() => setSession((n) => n + 1)} />
    </SpoolProvider>
  );
}

function Shell({ onSignedOut }: { onSignedOut: () => void }) {
  const env = useEnv();
  const live = useSpoolClient();
  const qc = useQueryClient();
  const token = useStore(env.tokens, (s) => s.token);
  const stats = useStatsQuery();
  const authCode =
    stats.error instanceof ApiError && AUTH_CODES.has(stats.error.code) ? stats.error.code : null;
  const authorized = stats.data !== undefined && authCode === null;

  useEffect(() => {
    if (stats.data) env.stats.getState().applyStats(stats.data);
  }, [stats.data, env.stats]);

  useSysStats(authorized);
  useRecovery(stats.isError, stats.isSuccess);

  const signIn = (next: string) => {
    env.tokens.getState().setToken(next);
    // Every snapshot was fetched (or refused) under the old token.
    void qc.resetQueries();
    live.reconnect();
  };
  const signOut = () => {
    env.tokens.getState().clearToken();
    onSignedOut();
    void qc.resetQueries();
  };

  if (authCode) return <SignIn code={authCode} rejected={token !== null} onSubmit={signIn} />;

  return (
    <div className="app">
      <Header onSignOut={token ? signOut : undefined} />
      {stats.isError && isUnreachable(stats.error) && (
        <div className="banner banner-error" role="alert" data-testid="unreachable-banner">
          The Spool server is unreachable. {stats.data ? 'Showing the last data received; ' : ''}
          retrying automatically.
          <button type="button" className="btn btn-small" onClick={() => void stats.refetch()}>
            Retry now
          </button>
        </div>
      )}
      <main className="main" id="main">
        <CurrentView />
      </main>
    </div>
  );
}

/** When the server comes back after an outage, refresh every snapshot and the live socket. */
function useRecovery(isError: boolean, isSuccess: boolean) {
  const live = useSpoolClient();
  const qc = useQueryClient();
  const wasDown = useRef(false);
  useEffect(() => {
    if (isError) wasDown.current = true;
    else if (isSuccess && wasDown.current) {
      wasDown.current = false;
      void qc.invalidateQueries({ predicate: (q) => q.queryKey[0] !== queryKeys.stats[0] });
      if (live.state === 'closed') live.reconnect();
    }
  }, [isError, isSuccess, live, qc]);
}

function Header({ onSignOut }: { onSignOut: (() => void) | undefined }) {
  const route = useHashRoute();
  return (
    <header className="header">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <span className="brand">Spool</span>
      <nav aria-label="Views" className="nav">
        {views.map((v) => (
          <a
            key={v.id}
            href={routeHref(v.id)}
            className="nav-link"
            aria-current={route.view === v.id ? 'page' : undefined}
          >
            {v.title}
          </a>
        ))}
      </nav>
      <div className="header-end">
        <LiveBadge />
        {onSignOut && (
          <button type="button" className="btn btn-small" onClick={onSignOut}>
            Sign out
          </button>
        )}
      </div>
    </header>
  );
}

function CurrentView() {
  const route = useHashRoute();
  switch (route.view) {
    case 'streams':
      return <StreamsView watch={route.param} />;
    case 'topics':
      return <TopicsView />;
    case 'stored':
      return <StoredView />;
    case 'groups':
      return <GroupsView />;
    case 'cluster':
      return <ClusterView />;
    case 'audit':
      return <AuditView />;
    case 'playground':
      return <PlaygroundView />;
    default:
      return <OverviewView />;
  }
}
