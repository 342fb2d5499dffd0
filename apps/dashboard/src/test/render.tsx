import { act, render } from '@testing-library/react';
import { HttpResponse, http } from 'msw';
import { vi } from 'vitest';
import { createHttp } from '../api/http';
import { createDashboardQueryClient } from '../api/queries';
import { createSpoolApi } from '../api/routes';
import { App } from '../app/App';
import type { DashboardEnv } from '../app/env';
import { createTokenStore } from '../auth/tokenStore';
import { createStatsStore } from '../live/statsStore';
import { createFakeLive, type FakeLive } from './fakeLive';
import { spoolStats } from './fixtures';

/** The origin msw answers for in tests (jsdom's own location). */
export const ORIGIN = window.location.origin;

/** A body for the API's error replies. */
export function apiError(status: number, code: string, message = code) {
  return HttpResponse.json({ error: { code, message } }, { status });
}

/** Answers `GET /v1/stats` with `stats` (a snapshot the app needs before any view renders). */
export function statsHandler(stats = spoolStats()) {
  return http.get(`${ORIGIN}/v1/stats`, () => HttpResponse.json(stats));
}

export interface RenderedDashboard extends ReturnType<typeof render> {
  env: DashboardEnv;
  live: FakeLive;
}

/**
 * Renders the whole dashboard at `#/<route>`, against msw (HTTP) and a fake server
 * behind real live clients, with no query retries so error states show at once.
 */
export function renderDashboard(route: string, options: { live?: FakeLive } = {}): RenderedDashboard {
  window.location.hash = `#/${route}`;
  const live = options.live ?? createFakeLive();
  const tokens = createTokenStore(sessionStorage);
  const env: DashboardEnv = {
    api: createSpoolApi(createHttp({ baseUrl: ORIGIN, getToken: () => tokens.getState().token })),
    createClient: () => live.createClient(() => tokens.getState().token),
    tokens,
    stats: createStatsStore(),
  };
  const queryClient = createDashboardQueryClient();
  queryClient.setDefaultOptions({
    queries: { ...queryClient.getDefaultOptions().queries, retry: false },
  });
  return { ...render(<App env={env} queryClient={queryClient} />), env, live };
}

/**
 * Waits one animation frame, inside `act`: `@spool/client/react` re-renders at most once a
 * frame, so what a test emitted shows after it.
 */
export async function nextFrame(): Promise<void> {
  // Under fake timers jsdom's frames are faked too: move them on by hand.
  if (vi.isFakeTimers()) {
    act(() => vi.advanceTimersByTime(20));
    return;
  }
  await act(
    () =>
      new Promise<void>((resolve) => {
        if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => resolve());
        else setTimeout(resolve, 16);
      }),
  );
}
