import { act, screen, waitFor, within } from '@testing-library/react';
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { formatCount } from '../components/format';
import { clusterInstance, clusterSection, idleStats, NOW, spoolStats } from '../test/fixtures';
import { apiError, nextFrame, ORIGIN, renderDashboard, statsHandler } from '../test/render';
import { server } from '../test/server';

describe('OverviewView', () => {
  it('renders connections, topics, events per second and the cache gauges from GET /v1/stats', async () => {
    server.use(statsHandler(spoolStats()));
    renderDashboard('overview');

    expect((await screen.findByTestId('stat-connections')).textContent).toBe('7');
    expect(screen.getByTestId('stat-topics').textContent).toBe('2');
    expect(screen.getByTestId('stat-events-per-sec').textContent).toBe('12.5');
    expect(screen.getByTestId('stat-streams').textContent).toBe('1');

    const memory = screen.getByRole('meter', { name: 'Cache memory' });
    expect(memory.getAttribute('aria-valuenow')).toBe(String(75 * 2 ** 20));
    expect(memory.getAttribute('aria-valuemin')).toBe('0');
    expect(memory.getAttribute('aria-valuemax')).toBe(String(100 * 2 ** 20));
    // 75% is past the 70% warning threshold, short of the 90% critical one.
    expect(memory.getAttribute('data-level')).toBe('warning');
    expect(memory.getAttribute('aria-valuetext')).toContain('warning');

    const streams = screen.getByRole('meter', { name: 'Streams' });
    expect(streams.getAttribute('aria-valuenow')).toBe('1');
    expect(streams.getAttribute('aria-valuemax')).toBe('10000');
    expect(streams.getAttribute('data-level')).toBe('ok');

    expect(screen.getByTestId('breaker-broker').textContent).toContain('half-open');
    // Operators' words first, the breaker state as the detail.
    expect(screen.getByTestId('breaker-store').textContent).toBe('store healthy (breaker closed)');
    expect(screen.getByTestId('breaker-broker').textContent).toBe('broker degraded (breaker half-open)');
    // Failed completions and the broker's dead letters do not share a name.
    expect(screen.getByText('Unsaved messages')).toBeTruthy();
    expect(screen.queryByText(/dead.letter/i)).toBeNull();
    expect(screen.getByRole('img', { name: /Events per second.*now 12\.5/ })).toBeTruthy();
  });

  it('shows the message store: kind, messages stored, outbox backlog, messages waiting for a replay', async () => {
    server.use(statsHandler(spoolStats()));
    renderDashboard('overview');
    expect((await screen.findByTestId('store-kind')).textContent).toBe('postgres');
    expect(screen.getByTestId('store-messages').textContent).toBe(formatCount(12_345));
    expect(screen.getByTestId('store-outbox').textContent).toBe('2');
    expect(screen.getByTestId('store-dead-letters').textContent).toBe('0');
  });

  it('shows unknown store counts as a dash while the store is down, never as 0', async () => {
    server.use(
      statsHandler(
        spoolStats({
          breakers: { store: 'open', broker: 'closed' },
          store: { kind: 'pglite', messages: null, outboxBacklog: null, deadLetters: 3 },
        }),
      ),
    );
    renderDashboard('overview');
    expect((await screen.findByTestId('store-kind')).textContent).toBe('pglite');
    expect(screen.getByTestId('store-messages').textContent).toBe('—');
    expect(screen.getByTestId('store-outbox').textContent).toBe('—');
    expect(screen.getByTestId('store-dead-letters').textContent).toBe('3');
  });

  it('reads an open breaker as down, in the critical colour', async () => {
    server.use(statsHandler(spoolStats({ breakers: { store: 'open', broker: 'closed' } })));
    renderDashboard('overview');
    const store = await screen.findByTestId('breaker-store');
    expect(store.textContent).toBe('store down (breaker open)');
    expect(store.className).toContain('breaker-down');
    expect(store.getAttribute('title')).toContain('calls are refused');
    expect(screen.getByTestId('breaker-broker').className).toContain('breaker-healthy');
  });

  it('updates live from $sys stats events and marks a critical memory gauge', async () => {
    server.use(statsHandler(spoolStats()));
    const { live } = renderDashboard('overview');
    await screen.findByTestId('stat-connections');
    await waitFor(() => expect(live.subscriptions.has('$sys')).toBe(true));

    const next = spoolStats({ at: NOW + 1000, connections: { total: 42, ws: 40, sse: 2, lagging: 1 } });
    next.cache.memoryBytes = 95 * 2 ** 20;
    next.topics.eventsPerSec = 250;
    act(() => {
      live.emit('$sys', 'stats', next);
    });
    await nextFrame();

    expect(screen.getByTestId('stat-connections').textContent).toBe('42');
    expect(screen.getByTestId('stat-events-per-sec').textContent).toBe('250');
    expect(screen.getByTestId('memory-gauge').getAttribute('data-level')).toBe('critical');
    // The peak is the largest sample shown (250), not the axis maximum (500).
    expect(screen.getByRole('img', { name: /now 250, peak 250, axis up to 500/ })).toBeTruthy();
    expect(screen.getByTestId('chart-peak').textContent).toBe('peak 250');
  });

  it('ignores a pushed snapshot older than the one shown', async () => {
    server.use(statsHandler(spoolStats()));
    const { live } = renderDashboard('overview');
    await screen.findByTestId('stat-connections');
    await waitFor(() => expect(live.subscriptions.has('$sys')).toBe(true));
    act(() => {
      live.emit(
        '$sys',
        'stats',
        spoolStats({ at: NOW - 1000, connections: { total: 1, ws: 1, sse: 0, lagging: 0 } }),
      );
    });
    await nextFrame();
    expect(screen.getByTestId('stat-connections').textContent).toBe('7');
  });

  it('shows the empty state when the server has seen no traffic', async () => {
    server.use(statsHandler(idleStats()));
    renderDashboard('overview');
    expect(await screen.findByText('No traffic yet.')).toBeTruthy();
    expect(screen.getByTestId('stat-connections').textContent).toBe('0');
    expect(screen.getByText('No circuit breakers (in-memory engine).')).toBeTruthy();
  });

  it('shows the error state with the server code when GET /v1/stats fails', async () => {
    server.use(http.get(`${ORIGIN}/v1/stats`, () => apiError(500, 'INTERNAL', 'stats exploded')));
    renderDashboard('overview');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Could not load the stats.');
    expect(alert.textContent).toContain('stats exploded');
    expect(alert.textContent).toContain('INTERNAL');
  });

  it('shows the unreachable state, then recovers by itself when the server comes back', async () => {
    let up = false;
    server.use(
      http.get(`${ORIGIN}/v1/stats`, () => (up ? HttpResponse.json(spoolStats()) : HttpResponse.error())),
    );
    const { live } = renderDashboard('overview', {});
    live.setState('reconnecting');
    expect((await screen.findByTestId('unreachable-banner')).textContent).toContain('unreachable');
    expect(screen.getByText(/Cannot load the stats: the server is unreachable/)).toBeTruthy();

    up = true;
    // The stats query polls while the live connection is not open; "Retry now" does the same at once.
    act(() => screen.getByRole('button', { name: 'Retry now' }).click());
    expect((await screen.findByTestId('stat-connections')).textContent).toBe('7');
    expect(screen.queryByTestId('unreachable-banner')).toBeNull();
  });

  it('shows a cluster summary when clustered: instance count, the connected instance, a link to the cluster', async () => {
    server.use(statsHandler(spoolStats({ cluster: clusterSection() })));
    const { live } = renderDashboard('overview');
    const card = await screen.findByTestId('cluster-summary');
    expect(screen.getByTestId('stat-instances').textContent).toBe('2');
    expect(screen.getByTestId('cluster-summary-self').textContent).toBe('spool-a');
    expect(card.querySelector('a')?.getAttribute('href')).toBe('#/cluster');
    // The store's dead letters are kept by the instance that ran them.
    expect(within(screen.getByTestId('store-scope')).getByTestId('instance-scope').textContent).toBe(
      'this instance: spool-a',
    );

    await waitFor(() => expect(live.subscriptions.has('$sys')).toBe(true));
    const three = spoolStats({
      at: NOW + 1000,
      cluster: clusterSection({
        instances: [
          clusterInstance(),
          clusterInstance({ instanceId: 'spool-b' }),
          clusterInstance({ instanceId: 'spool-c' }),
        ],
      }),
    });
    act(() => {
      live.emit('$sys', 'stats', three);
    });
    await nextFrame();
    expect(screen.getByTestId('stat-instances').textContent).toBe('3');
  });

  it('shows no cluster summary on a single process', async () => {
    server.use(statsHandler(spoolStats()));
    renderDashboard('overview');
    await screen.findByTestId('stat-connections');
    expect(screen.queryByTestId('cluster-summary')).toBeNull();
    expect(screen.getByTestId('instance-scope').textContent).toBe('this instance');
  });
});
