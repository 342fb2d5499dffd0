import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import type { StreamInfo } from '../api/routes';
import { brokerStream, clusterSection, idleStats, NOW, spoolStats } from '../test/fixtures';
import { apiError, nextFrame, ORIGIN, renderDashboard, statsHandler } from '../test/render';
import { server } from '../test/server';

const KEY = 'spool:completed';
const ENC = encodeURIComponent(KEY);

const info: StreamInfo = {
  key: KEY,
  length: 120,
  firstId: `${NOW - 100_000}-0`,
  lastId: `${NOW}-0`,
  groups: [
    {
      name: 'workers',
      consumers: [
        { name: 'w1', pending: 4, idle: 65_000 },
        { name: 'w2', pending: 1, idle: 300 },
      ],
      pending: 5,
      lastDeliveredId: `${NOW - 10}-0`,
      entriesRead: 117,
      lag: 3,
    },
  ],
};

interface Call {
  method: string;
  path: string;
  body?: unknown;
}

/** The broker routes of one stream plus `GET /v1/streams`, recording every call. */
function brokerHandlers(calls: Call[], streams = [brokerStream()]) {
  const record = async (request: Request, withBody = false) => {
    const call: Call = { method: request.method, path: new URL(request.url).pathname };
    if (withBody) call.body = await request.json();
    calls.push(call);
  };
  return [
    http.get(`${ORIGIN}/v1/streams`, () => HttpResponse.json({ items: streams, next: null })),
    http.get(`${ORIGIN}/v1/streams/:key`, ({ params }) =>
      params.key === KEY ? HttpResponse.json(info) : apiError(404, 'NO_SUCH_KEY'),
    ),
    http.get(`${ORIGIN}/v1/streams/:key/groups/:group/pending`, async ({ request }) => {
      await record(request);
      const q = new URL(request.url).searchParams;
      expect([q.get('start'), q.get('end'), q.get('count')]).toEqual(['-', '+', '100']);
      return HttpResponse.json({
        entries: [
          { id: `${NOW - 70_000}-0`, consumer: 'w1', idle: 65_000, deliveries: 3 },
          { id: `${NOW - 50_000}-1`, consumer: 'w2', idle: 300, deliveries: 1 },
        ],
      });
    }),
    http.post(`${ORIGIN}/v1/streams/:key/groups/:group/autoclaim`, async ({ request }) => {
      await record(request, true);
      return HttpResponse.json({
        next: '0-0',
        entries: [
          { id: '1-0', fields: {} },
          { id: '2-0', fields: {} },
        ],
        deleted: [],
      });
    }),
    http.delete(`${ORIGIN}/v1/streams/:key/groups/:group/consumers/:consumer`, async ({ request }) => {
      await record(request);
      return HttpResponse.json({ pending: 4 });
    }),
    http.delete(`${ORIGIN}/v1/streams/:key/groups/:group`, async ({ request }) => {
      await record(request);
      return HttpResponse.json({ destroyed: true });
    }),
  ];
}

describe('GroupsView', () => {
  it('renders each stream, its groups with pending, lag and last-delivered ID, and its consumers', async () => {
    server.use(statsHandler(idleStats()), ...brokerHandlers([]));
    renderDashboard('groups');
    expect(await screen.findByRole('heading', { name: KEY })).toBeTruthy();
    expect(screen.getByTestId(`group-pending-${KEY}-workers`).textContent).toBe('5');
    expect(screen.getByTestId(`group-lag-${KEY}-workers`).textContent).toBe('3');
    expect(screen.getByText(`${NOW - 10}-0`)).toBeTruthy();

    const consumers = await screen.findByRole('table', { name: 'Consumers of workers' });
    const w1 = within(consumers).getByRole('row', { name: /w1/ });
    expect(screen.getByTestId(`consumer-pending-${KEY}-workers-w1`).textContent).toBe('4');
    expect(w1.textContent).toContain('1m 5s');
    expect(within(consumers).getByRole('row', { name: /w2/ }).textContent).toContain('300 ms');
  });

  it('keeps group pending counts live from $sys', async () => {
    server.use(statsHandler(idleStats()), ...brokerHandlers([]));
    const { live } = renderDashboard('groups');
    await screen.findByTestId(`group-pending-${KEY}-workers`);
    await waitFor(() => expect(live.subscriptions.has('$sys')).toBe(true));
    const next = spoolStats({ at: NOW + 1000 });
    next.broker.streams = [
      brokerStream({
        groups: [{ name: 'workers', consumers: 2, pending: 12, lag: 0, lastDeliveredId: `${NOW}-0` }],
      }),
    ];
    act(() => {
      live.emit('$sys', 'stats', next);
    });
    await nextFrame();
    expect(screen.getByTestId(`group-pending-${KEY}-workers`).textContent).toBe('12');
    expect(screen.getByTestId(`group-lag-${KEY}-workers`).textContent).toBe('0');
  });

  it('re-reads the consumer rows as soon as the live group totals move, not at the next poll', async () => {
    let infoReads = 0;
    // First in the list, so it answers before brokerHandlers' own stream-info handler.
    server.use(
      http.get(`${ORIGIN}/v1/streams/:key`, () => {
        infoReads++;
        return HttpResponse.json(info);
      }),
      statsHandler(idleStats()),
      ...brokerHandlers([]),
    );
    const { live } = renderDashboard('groups');
    await screen.findByRole('table', { name: 'Consumers of workers' });
    await waitFor(() => expect(live.subscriptions.has('$sys')).toBe(true));
    const before = infoReads;
    const next = spoolStats({ at: NOW + 1000 });
    next.broker.streams = [
      brokerStream({
        groups: [{ name: 'workers', consumers: 2, pending: 2, lag: 0, lastDeliveredId: `${NOW}-0` }],
      }),
    ];
    act(() => {
      live.emit('$sys', 'stats', next);
    });
    await nextFrame();
    // Well inside the 5 s poll interval: the change itself triggered the read.
    await waitFor(() => expect(infoReads).toBeGreaterThan(before), { timeout: 2000 });
  });

  it('shows the pending entries list with delivery counts', async () => {
    const calls: Call[] = [];
    server.use(statsHandler(idleStats()), ...brokerHandlers(calls));
    renderDashboard('groups');
    await userEvent.click(await screen.findByRole('button', { name: 'Show pending entries' }));
    const pel = await screen.findByRole('table', { name: 'Pending entries of workers' });
    const row = within(pel).getByTestId(`pel-row-${NOW - 70_000}-0`);
    expect(
      within(row)
        .getAllByRole('cell')
        .map((c) => c.textContent),
    ).toEqual(['w1', '1m 5s', '3']);
    expect(calls).toEqual([{ method: 'GET', path: `/v1/streams/${ENC}/groups/workers/pending` }]);
  });

  it('autoclaims idle entries for a consumer with POST .../autoclaim', async () => {
    const calls: Call[] = [];
    server.use(statsHandler(idleStats()), ...brokerHandlers(calls));
    renderDashboard('groups');
    await screen.findByRole('table', { name: 'Consumers of workers' });
    const form = screen.getByRole('form', { name: 'Autoclaim in workers' });
    const consumer = within(form).getByLabelText('Claim for consumer');
    expect((consumer as HTMLInputElement).value).toBe('w1');
    await userEvent.clear(consumer);
    await userEvent.type(consumer, 'w2');
    await userEvent.clear(within(form).getByLabelText('Min idle (ms)'));
    await userEvent.type(within(form).getByLabelText('Min idle (ms)'), '30000');
    await userEvent.click(within(form).getByRole('button', { name: 'Autoclaim' }));
    await waitFor(() =>
      expect(calls).toEqual([
        {
          method: 'POST',
          path: `/v1/streams/${ENC}/groups/workers/autoclaim`,
          body: { start: '0-0', count: 100, consumer: 'w2', minIdleMs: 30000 },
        },
      ]),
    );
    expect(await within(form).findByText('Claimed 2, 0 no longer in the stream.')).toBeTruthy();
  });

  it('deletes a consumer with DELETE, only after confirming', async () => {
    const calls: Call[] = [];
    server.use(statsHandler(idleStats()), ...brokerHandlers(calls));
    renderDashboard('groups');
    await userEvent.click(await screen.findByRole('button', { name: 'Delete consumer w1' }));
    expect(calls).toEqual([]);
    const dialog = screen.getByRole('alertdialog', { name: /Delete consumer w1\?/ });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Delete consumer' }));
    await waitFor(() =>
      expect(calls).toEqual([{ method: 'DELETE', path: `/v1/streams/${ENC}/groups/workers/consumers/w1` }]),
    );
  });

  it('destroys a group with DELETE, only after confirming; Escape cancels', async () => {
    const calls: Call[] = [];
    server.use(statsHandler(idleStats()), ...brokerHandlers(calls));
    renderDashboard('groups');
    const user = userEvent.setup();
    const trigger = await screen.findByRole('button', { name: 'Destroy group workers' });
    await user.click(trigger);
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Destroy group workers' }));
    expect(calls).toEqual([]);

    await user.click(screen.getByRole('button', { name: 'Destroy group workers' }));
    const dialog = screen.getByRole('alertdialog', {
      name: `Destroy group workers on ${KEY}? Its pending entries list is lost.`,
    });
    await user.click(within(dialog).getByRole('button', { name: 'Destroy group' }));
    await waitFor(() =>
      expect(calls).toEqual([{ method: 'DELETE', path: `/v1/streams/${ENC}/groups/workers` }]),
    );
  });

  it('shows the dead-letter stream entries', async () => {
    const dead = brokerStream({ key: `${KEY}:dead`, length: 1, groups: [] });
    server.use(
      statsHandler(idleStats()),
      ...brokerHandlers([], [brokerStream(), dead]),
      http.get(`${ORIGIN}/v1/streams/:key/entries`, ({ params, request }) => {
        expect(params.key).toBe(`${KEY}:dead`);
        expect(new URL(request.url).searchParams.get('rev')).toBe('1');
        return HttpResponse.json({
          entries: [
            {
              id: `${NOW}-7`,
              fields: { messageId: '1843563473929170944', reason: 'success', persisted: 'false' },
            },
          ],
        });
      }),
    );
    renderDashboard('groups');
    const section = await screen.findByTestId(`dead-${KEY}:dead`);
    expect(await within(section).findByText('messageId=1843563473929170944')).toBeTruthy();
    expect(within(section).getByText('persisted=false')).toBeTruthy();
    // A dead-letter stream is listed there, not as a regular stream card.
    expect(screen.queryByTestId(`broker-stream-${KEY}:dead`)).toBeNull();
  });

  it('shows the empty states when there is no broker stream', async () => {
    server.use(
      statsHandler(idleStats()),
      http.get(`${ORIGIN}/v1/streams`, () => HttpResponse.json({ items: [], next: null })),
    );
    renderDashboard('groups');
    expect(await screen.findByText('No broker streams yet.')).toBeTruthy();
    expect(screen.getByText('No dead-letter stream: no consumer has given up on an entry.')).toBeTruthy();
  });

  it('shows the error state when GET /v1/streams fails', async () => {
    server.use(
      statsHandler(idleStats()),
      http.get(`${ORIGIN}/v1/streams`, () => apiError(503, 'BROKER_UNAVAILABLE', 'redis down')),
    );
    renderDashboard('groups');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Could not load broker streams.');
    expect(alert.textContent).toContain('BROKER_UNAVAILABLE');
  });

  it('says which broker streams are listed: the ones written through this instance', async () => {
    server.use(
      statsHandler(spoolStats({ cluster: clusterSection(), broker: { streams: [] } })),
      http.get(`${ORIGIN}/v1/streams`, () => HttpResponse.json({ items: [], next: null })),
    );
    renderDashboard('groups');
    expect(await screen.findByText('No broker streams yet.')).toBeTruthy();
    expect(screen.getByTestId('groups-scope').textContent).toContain('written through this instance');
    expect(screen.getByTestId('instance-scope').textContent).toBe('this instance: spool-a');
  });
});
