import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { clusterInstance, clusterSection, NOW, spoolStats } from '../test/fixtures';
import { apiError, nextFrame, ORIGIN, renderDashboard, statsHandler } from '../test/render';
import { server } from '../test/server';

describe('ClusterView', () => {
  it('shows the connected instance and every live instance with its load, from GET /v1/stats', async () => {
    server.use(statsHandler(spoolStats({ cluster: clusterSection() })));
    renderDashboard('cluster');

    expect((await screen.findByTestId('cluster-self-id')).textContent).toBe('spool-a');
    expect(screen.getByTestId('cluster-self-incarnation').textContent).toBe('0a1b2c3d4e5f6071');
    expect(screen.getByTestId('cluster-count').textContent).toBe('2');

    const table = screen.getByRole('table', { name: 'Live instances' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((r) => within(r).getByRole('rowheader').textContent)).toEqual([
      'spool-athis instance',
      'spool-b',
    ]);
    expect(screen.getByTestId('instance-row-spool-a').getAttribute('aria-current')).toBe('true');
    expect(screen.getByTestId('instance-row-spool-b').getAttribute('aria-current')).toBeNull();
    expect(screen.getByTestId('instance-age-spool-a').textContent).toBe('1s');
    expect(screen.getByTestId('instance-connections-spool-a').textContent).toBe('7');
    expect(screen.getByTestId('instance-open-spool-a').textContent).toBe('1');
    expect(screen.getByTestId('instance-rate-spool-a').textContent).toBe('12.5');
    expect(screen.getByTestId('instance-age-spool-b').textContent).toBe('3s');
    expect(screen.getByTestId('instance-connections-spool-b').textContent).toBe('3');
    expect(screen.getByTestId('instance-open-spool-b').textContent).toBe('2');
    expect(screen.getByTestId('instance-rate-spool-b').textContent).toBe('250');
    expect(screen.queryByTestId('cluster-single')).toBeNull();
  });

  it('follows $sys: a new instance appears, loads change, a dead one leaves', async () => {
    server.use(statsHandler(spoolStats({ cluster: clusterSection() })));
    const { live } = renderDashboard('cluster');
    await screen.findByTestId('instance-row-spool-b');
    await waitFor(() => expect(live.subscriptions.has('$sys')).toBe(true));

    const next = spoolStats({
      at: NOW + 1000,
      cluster: clusterSection({
        instances: [
          clusterInstance({ connections: 40, heartbeatAgeMs: 200 }),
          clusterInstance({ instanceId: 'spool-c', incarnation: '1111222233334444', openMessages: 9 }),
        ],
      }),
    });
    act(() => {
      live.emit('$sys', 'stats', next);
    });
    await nextFrame();

    expect(screen.getByTestId('instance-connections-spool-a').textContent).toBe('40');
    expect(screen.getByTestId('instance-age-spool-a').textContent).toBe('200 ms');
    expect(screen.getByTestId('instance-open-spool-c').textContent).toBe('9');
    expect(screen.queryByTestId('instance-row-spool-b')).toBeNull();
    expect(screen.getByTestId('cluster-count').textContent).toBe('2');
  });

  it('says the instances are unknown while Redis cannot be read, keeping the connected instance', async () => {
    server.use(statsHandler(spoolStats({ cluster: clusterSection({ instances: null }) })));
    renderDashboard('cluster');
    expect((await screen.findByTestId('cluster-unknown')).textContent).toContain('Redis cannot be read now');
    expect(screen.getByTestId('cluster-self-id').textContent).toBe('spool-a');
    expect(screen.getByTestId('cluster-count').textContent).toBe('—');
    expect(screen.queryByRole('table', { name: 'Live instances' })).toBeNull();
  });

  it('says "single process" on a server without a cluster section', async () => {
    server.use(statsHandler(spoolStats()));
    renderDashboard('cluster');
    expect((await screen.findByTestId('cluster-single')).textContent).toContain(
      'Single process: this server is not part of a cluster.',
    );
    expect(screen.queryByRole('table', { name: 'Live instances' })).toBeNull();
    expect(screen.queryByTestId('cluster-self-id')).toBeNull();
  });

  it('shows the error state with the server code when GET /v1/stats fails', async () => {
    server.use(http.get(`${ORIGIN}/v1/stats`, () => apiError(500, 'INTERNAL', 'stats exploded')));
    renderDashboard('cluster');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Could not load the stats.');
    expect(alert.textContent).toContain('INTERNAL');
  });

  it('is in the navigation, after Consumer groups, and marked current when open', async () => {
    server.use(
      statsHandler(spoolStats({ cluster: clusterSection() })),
      http.get(`${ORIGIN}/v1/topics`, () => HttpResponse.json({ items: [], next: null })),
    );
    renderDashboard('topics');
    await screen.findByRole('heading', { name: 'Topics', level: 1 });
    const nav = screen.getByRole('navigation', { name: 'Views' });
    const names = within(nav)
      .getAllByRole('link')
      .map((a) => a.textContent);
    expect(names.indexOf('Cluster')).toBe(names.indexOf('Consumer groups') + 1);
    const link = within(nav).getByRole('link', { name: 'Cluster' });
    expect(link.getAttribute('href')).toBe('#/cluster');

    await userEvent.click(link);
    expect(await screen.findByRole('heading', { name: 'Cluster', level: 1 })).toBeTruthy();
    expect(link.getAttribute('aria-current')).toBe('page');
    expect((await screen.findByTestId('cluster-self-id')).textContent).toBe('spool-a');
  });
});
