import { act, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { clusterSection, idleStats, NOW, spoolStats, topicStats } from '../test/fixtures';
import { apiError, nextFrame, ORIGIN, renderDashboard, statsHandler } from '../test/render';
import { server } from '../test/server';

describe('TopicsView', () => {
  it('renders retention, retained events, first and last ID, subscribers and rate of each topic', async () => {
    server.use(
      statsHandler(idleStats()),
      http.get(`${ORIGIN}/v1/topics`, () =>
        HttpResponse.json({
          items: [topicStats(), topicStats({ name: '$sys', retainedEvents: 0, firstId: null, lastId: null })],
          next: null,
        }),
      ),
    );
    renderDashboard('topics');
    const row = await screen.findByTestId('topic-row-chan:1:general');
    expect(row.textContent).toContain('10,000 events · 8 MiB · 1h 0m');
    expect(screen.getByTestId('topic-retained-chan:1:general').textContent).toContain('420');
    expect(row.textContent).toContain(`${NOW - 60_000}-0`);
    expect(row.textContent).toContain(`${NOW}-3`);
    expect(screen.getByTestId('topic-subscribers-chan:1:general').textContent).toBe('3');
    expect(screen.getByTestId('topic-rate-chan:1:general').textContent).toBe('12.5');
    expect(screen.getByTestId('topic-row-$sys').textContent).toContain('–');
  });

  it('keeps rates and subscribers live from $sys', async () => {
    server.use(
      statsHandler(idleStats()),
      http.get(`${ORIGIN}/v1/topics`, () => HttpResponse.json({ items: [topicStats()], next: null })),
    );
    const { live } = renderDashboard('topics');
    await screen.findByTestId('topic-row-chan:1:general');
    await waitFor(() => expect(live.subscriptions.has('$sys')).toBe(true));
    const next = spoolStats({ at: NOW + 1000 });
    next.topics.list = [topicStats({ subscribers: 9, eventsPerSec: 99 })];
    act(() => {
      live.emit('$sys', 'stats', next);
    });
    await nextFrame();
    expect(screen.getByTestId('topic-subscribers-chan:1:general').textContent).toBe('9');
    expect(screen.getByTestId('topic-rate-chan:1:general').textContent).toBe('99.0');
  });

  it('loads the next page with the cursor', async () => {
    const cursors: Array<string | null> = [];
    server.use(
      statsHandler(idleStats()),
      http.get(`${ORIGIN}/v1/topics`, ({ request }) => {
        const cursor = new URL(request.url).searchParams.get('cursor');
        cursors.push(cursor);
        return cursor === 'p2'
          ? HttpResponse.json({ items: [topicStats({ name: 'chan:1:zeta' })], next: null })
          : HttpResponse.json({ items: [topicStats()], next: 'p2' });
      }),
    );
    renderDashboard('topics');
    await screen.findByTestId('topic-row-chan:1:general');
    await userEvent.click(screen.getByRole('button', { name: 'Load more topics' }));
    expect(await screen.findByTestId('topic-row-chan:1:zeta')).toBeTruthy();
    expect(cursors).toEqual([null, 'p2']);
    expect(screen.queryByRole('button', { name: 'Load more topics' })).toBeNull();
  });

  it('shows the empty state when there is no topic', async () => {
    server.use(
      statsHandler(idleStats()),
      http.get(`${ORIGIN}/v1/topics`, () => HttpResponse.json({ items: [], next: null })),
    );
    renderDashboard('topics');
    expect(await screen.findByText('No topics yet.')).toBeTruthy();
  });

  it('shows the error state when GET /v1/topics fails', async () => {
    server.use(
      statsHandler(idleStats()),
      http.get(`${ORIGIN}/v1/topics`, () => apiError(403, 'FORBIDDEN', 'admin only')),
    );
    renderDashboard('topics');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Could not load topics.');
    expect(alert.textContent).toContain('FORBIDDEN');
  });

  it("says the list is the cluster's topics with this instance's figures, naming the instance", async () => {
    server.use(
      statsHandler(spoolStats({ cluster: clusterSection() })),
      http.get(`${ORIGIN}/v1/topics`, () => HttpResponse.json({ items: [], next: null })),
    );
    renderDashboard('topics');
    // The $sys snapshot's own topics show once the list has loaded.
    await screen.findByTestId('topic-row-chan:1:general');
    expect(screen.getByTestId('topics-scope').textContent).toContain('Every topic of the cluster');
    expect(screen.getByTestId('instance-scope').textContent).toBe('this instance: spool-a');
  });
});
