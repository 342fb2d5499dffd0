import { createHttp } from '../api/http';
import { createSpoolApi } from '../api/routes';
import { createTokenStore } from '../auth/tokenStore';
import { createLiveConnection } from '../live/connection';
import { createMessageStore } from '../live/messageStore';
import { createStatsStore } from '../live/statsStore';
import type { DashboardEnv } from './env';

/**
 * The environment of the dashboard served by `spool serve`: same-origin HTTP API and
 * `/v1/ws`, the admin token from sessionStorage. Kept apart from env.tsx so component
 * tests, which inject their own, never load the SDK.
 *
 * @example
 * createRoot(el).render(<App env={createBrowserEnv()} />);
 */
export function createBrowserEnv(): DashboardEnv {
  const tokens = createTokenStore(safeSessionStorage());
  const getToken = () => tokens.getState().token;
  return {
    api: createSpoolApi(createHttp({ getToken })),
    live: createLiveConnection({ getToken }),
    tokens,
    stats: createStatsStore(),
    messages: createMessageStore(),
  };
}

function safeSessionStorage(): Storage | null {
  try {
    return globalThis.sessionStorage;
  } catch {
    return null;
  }
}
