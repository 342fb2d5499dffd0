import { act, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { TOKEN_STORAGE_KEY } from '../auth/tokenStore';
import { spoolStats } from '../test/fixtures';
import { apiError, ORIGIN, renderDashboard, statsHandler } from '../test/render';
import { server } from '../test/server';

/** A server that requires `Bearer s3cret` on /v1/stats, recording the Authorization headers it saw. */
function tokenServer(seen: Array<string | null>) {
  return http.get(`${ORIGIN}/v1/stats`, ({ request }) => {
    const auth = request.headers.get('authorization');
    seen.push(auth);
    if (auth === null) return apiError(401, 'UNAUTHENTICATED', 'An admin token is required.');
    if (auth !== 'Bearer s3cret') return apiError(401, 'UNAUTHENTICATED', 'Unknown token.');
    return HttpResponse.json(spoolStats());
  });
}

describe('App', () => {
  it('needs no sign-in with the local default and subscribes to $sys', async () => {
    server.use(statsHandler());
    const { live } = renderDashboard('overview');
    await screen.findByTestId('stat-connections');
    expect(screen.queryByRole('heading', { name: 'Sign in to Spool' })).toBeNull();
    await waitFor(() => expect(live.subscriptions.has('$sys')).toBe(true));
  });

  it('shows the sign-in on 401 UNAUTHENTICATED, then sends the token as Bearer and to the live client', async () => {
    const seen: Array<string | null> = [];
    server.use(tokenServer(seen));
    const { live } = renderDashboard('overview');

    expect(await screen.findByRole('heading', { name: 'Sign in to Spool' })).toBeTruthy();
    expect(live.subscriptions.has('$sys')).toBe(false);
    await userEvent.type(screen.getByLabelText('Admin token'), 's3cret');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));

    expect((await screen.findByTestId('stat-connections')).textContent).toBe('7');
    expect(sessionStorage.getItem(TOKEN_STORAGE_KEY)).toBe('s3cret');
    expect(seen.at(-1)).toBe('Bearer s3cret');
    // The live client reads the token at connect time: a reconnect makes it apply.
    expect(live.reconnects).toBe(1);
    await waitFor(() => expect(live.subscriptions.has('$sys')).toBe(true));
    expect(live.sockets[0]?.url).toBe('ws://spool.test/v1/ws');
    expect(live.sockets.at(-1)?.url).toBe('ws://spool.test/v1/ws?access_token=s3cret');
  });

  it('says the token was rejected when the stored token gets 401', async () => {
    sessionStorage.setItem(TOKEN_STORAGE_KEY, 'wrong');
    const seen: Array<string | null> = [];
    server.use(tokenServer(seen));
    renderDashboard('overview');
    expect(await screen.findByText(/The server rejected that token/)).toBeTruthy();
    expect(seen).toEqual(['Bearer wrong']);
  });

  it('asks for the admin token on 403 FORBIDDEN', async () => {
    server.use(http.get(`${ORIGIN}/v1/stats`, () => apiError(403, 'FORBIDDEN', 'not admin')));
    renderDashboard('overview');
    expect(await screen.findByText(/has no admin role/)).toBeTruthy();
  });

  it('signs out: forgets the token and closes the live connection', async () => {
    sessionStorage.setItem(TOKEN_STORAGE_KEY, 's3cret');
    const seen: Array<string | null> = [];
    server.use(tokenServer(seen));
    const { live } = renderDashboard('overview');
    await screen.findByTestId('stat-connections');
    await userEvent.click(screen.getByRole('button', { name: 'Sign out' }));
    expect(await screen.findByRole('heading', { name: 'Sign in to Spool' })).toBeTruthy();
    expect(sessionStorage.getItem(TOKEN_STORAGE_KEY)).toBeNull();
    expect(live.closes).toBe(1);
    // A fresh client took its place, holding nothing of the session, and sends no token.
    await waitFor(() => expect(live.sockets.at(-1)?.url).toBe('ws://spool.test/v1/ws'));
  });

  it('navigates by hash with the current view marked and the live state shown', async () => {
    server.use(
      statsHandler(),
      http.get(`${ORIGIN}/v1/topics`, () => HttpResponse.json({ items: [], next: null })),
    );
    const { live } = renderDashboard('overview');
    await screen.findByTestId('stat-connections');
    expect(screen.getByRole('link', { name: 'Overview' }).getAttribute('aria-current')).toBe('page');
    expect(screen.getByTestId('live-state').getAttribute('data-state')).toBe('open');

    await userEvent.click(screen.getByRole('link', { name: 'Topics' }));
    expect(await screen.findByRole('heading', { name: 'Topics', level: 1 })).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Topics' }).getAttribute('aria-current')).toBe('page');

    act(() => live.setState('reconnecting'));
    expect(screen.getByTestId('live-state').textContent).toContain('Reconnecting');
  });
});
