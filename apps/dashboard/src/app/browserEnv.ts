import { createHttp } from '../api/http';
import { createSpoolApi } from '../api/routes';
import { createTokenStore } from '../auth/tokenStore';
import { createLiveClient } from '../live/client';
import { createStatsStore } from '../live/statsStore';
import type { DashboardEnv } from './env';

/**
 * The environment of the dashboard served by `spool serve`: same-origin HTTP API and
 * `/v1/ws`, the admin token from sessionStorage. Kept apart from env.tsx so component
 * tests inject their own (a client over a fake socket).
 *
 * @example
 * createRoot(el).render(<App env={createBrowserEnv()} />);
 */
export function createBrowserEnv(): DashboardEnv {
  const tokens = createTokenStore(safeSessionStorage());
  const getToken = () => tokens.getState().token;
  return {
    api: createSpoolApi(createHttp({ getToken })),
    createClient: () => createLiveClient({ getToken }),
    tokens,
    stats: createStatsStore(),
  };
}

function safeSessionStorage(): Storage | null {
  try {
    return globalThis.sessionStorage;
  } catch {
    return null;
  }
}
