import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HttpResponse, http } from 'msw';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { activeStream, clusterSection, idleStats, NOW, spoolStats } from '../test/fixtures';
import { apiError, nextFrame, ORIGIN, renderDashboard, statsHandler } from '../test/render';
import { server } from '../test/server';

const ID = '1843563473929170944';
const OTHER = '1843563473929170999';

/** `GET /v1/messages` answering `items`, recording each request's query string. */
function messagesHandler(items = [activeStream()], queries: URLSearchParams[] = []) {
  return http.get(`${ORIGIN}/v1/messages`, ({ request }) => {
    queries.push(new URL(request.url).searchParams);
    return HttpResponse.json({ items, next: null });
  });
}

interface Call {
  method: string;
  path: string;
  body: unknown;
}

function recordPost(path: string, reply: Record<string, string | number>, calls: Call[]) {
  return http.post(`${ORIGIN}${path}`, async ({ request }) => {
    calls.push({ method: request.method, path: new URL(request.url).pathname, body: await request.json() });
    return HttpResponse.json(reply);
  });
}

describe('StreamsView', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('lists every open stream with its channel, sender, chunks, bytes, age and idle time', async () => {
    // A frozen local clock, far from the server's: ages must follow the server's clock.
    vi.spyOn(Date, 'now').mockReturnValue(NOW - 3_600_000);
    server.use(statsHandler(), messagesHandler());
    renderDashboard('streams');
    const row = await screen.findByTestId(`stream-row-${ID}`);
    expect(within(row).getByRole('rowheader').textContent).toBe(ID);
    expect(row.textContent).toContain('chan:1:general');
    expect(row.textContent).toContain('bot');
    expect(screen.getByTestId(`stream-chunks-${ID}`).textContent).toBe('17');
    expect(row.textContent).toContain('2 KiB');
    expect(row.textContent).toContain('model=demo');
    // Age and idle are measured on the server's clock (the snapshot's `at`).
    const cells = within(row)
      .getAllByRole('cell')
      .map((c) => c.textContent);
    expect(cells).toContain('5s');
    expect(cells).toContain('200 ms');
  });

  it('updates chunk counts live, adds new streams and drops ended ones from $sys snapshots', async () => {
    server.use(statsHandler(), messagesHandler());
    const { live } = renderDashboard('streams');
    await screen.findByTestId(`stream-row-${ID}`);
    await waitFor(() => expect(live.subscriptions.has('$sys')).toBe(true));

    const grown = spoolStats({
      at: NOW + 1000,
      streams: [
        activeStream({ chunks: 30, updatedAt: NOW + 900 }),
        activeStream({ messageId: OTHER, chunks: 2 }),
      ],
    });
    grown.cache.streams = 2;
    act(() => {
      live.emit('$sys', 'stats', grown);
    });
    await nextFrame();
    expect(screen.getByTestId(`stream-chunks-${ID}`).textContent).toBe('30');
    expect(screen.getByTestId(`stream-chunks-${OTHER}`).textContent).toBe('2');

    const ended = spoolStats({ at: NOW + 2000, streams: [activeStream({ messageId: OTHER, chunks: 3 })] });
    act(() => {
      live.emit('$sys', 'stats', ended);
    });
    await nextFrame();
    expect(screen.queryByTestId(`stream-row-${ID}`)).toBeNull();
    expect(screen.getByTestId(`stream-chunks-${OTHER}`).textContent).toBe('3');
  });

  it('filters by channel, by user and by custom field on the server', async () => {
    const queries: URLSearchParams[] = [];
    server.use(statsHandler(), messagesHandler([activeStream()], queries));
    renderDashboard('streams');
    await screen.findByTestId(`stream-row-${ID}`);
    const user = userEvent.setup();

    await user.type(screen.getByLabelText('Channel type'), '1');
    await user.type(screen.getByLabelText('Channel ID'), 'general');
    await user.click(screen.getByRole('button', { name: 'Apply filter' }));
    await waitFor(() => expect(queries.at(-1)?.get('channelId')).toBe('general'));
    expect(queries.at(-1)?.get('channelType')).toBe('1');

    await user.click(screen.getByRole('button', { name: 'Clear' }));
    await user.type(screen.getByLabelText('User'), 'bot');
    await user.click(screen.getByRole('button', { name: 'Apply filter' }));
    await waitFor(() => expect(queries.at(-1)?.get('fromUid')).toBe('bot'));
    expect(queries.at(-1)?.has('channelId')).toBe(false);

    await user.click(screen.getByRole('button', { name: 'Clear' }));
    await user.type(screen.getByLabelText('Custom field'), 'model');
    await user.type(screen.getByLabelText('Field value'), 'other');
    await user.click(screen.getByRole('button', { name: 'Apply filter' }));
    await waitFor(() => expect(queries.at(-1)?.get('field')).toBe('model'));
    expect(queries.at(-1)?.get('value')).toBe('other');
  });

  it('shows the empty state when nothing is open', async () => {
    server.use(statsHandler(idleStats()), messagesHandler([]));
    renderDashboard('streams');
    expect(await screen.findByText('No open streams.')).toBeTruthy();
  });

  it('shows the error state when GET /v1/messages fails', async () => {
    server.use(
      statsHandler(),
      http.get(`${ORIGIN}/v1/messages`, () => apiError(503, 'UNAVAILABLE', 'cache busy')),
    );
    renderDashboard('streams');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Could not load open streams.');
    expect(alert.textContent).toContain('UNAVAILABLE');
  });

  it('ends a stream with POST /v1/messages/:id/end { reason: "success" } and refreshes the list', async () => {
    const calls: Call[] = [];
    const queries: URLSearchParams[] = [];
    server.use(
      statsHandler(),
      messagesHandler([activeStream()], queries),
      recordPost(`/v1/messages/${ID}/end`, { messageId: ID, reason: 'success' }, calls),
    );
    renderDashboard('streams');
    await screen.findByTestId(`stream-row-${ID}`);
    await userEvent.click(screen.getByRole('button', { name: `End message ${ID}` }));
    // Asked first: nothing is sent until the operator confirms.
    const dialog = screen.getByRole('alertdialog', { name: `End message ${ID} now (reason success)?` });
    expect(calls).toEqual([]);
    await userEvent.click(within(dialog).getByRole('button', { name: 'End' }));
    await waitFor(() =>
      expect(calls).toEqual([
        { method: 'POST', path: `/v1/messages/${ID}/end`, body: { reason: 'success' } },
      ]),
    );
    await waitFor(() => expect(queries.length).toBe(2));
  });

  it('cancels a stream with reason "cancelled"', async () => {
    const calls: Call[] = [];
    server.use(
      statsHandler(),
      messagesHandler(),
      recordPost(`/v1/messages/${ID}/end`, { messageId: ID, reason: 'cancelled' }, calls),
    );
    renderDashboard('streams');
    await screen.findByTestId(`stream-row-${ID}`);
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: `Cancel message ${ID}` }));
    const dialog = screen.getByRole('alertdialog', {
      name: `Cancel message ${ID}? Its producer is told to stop.`,
    });
    // The safe choice has focus and backs out without a request.
    expect(document.activeElement?.textContent).toBe('Keep it');
    await user.click(within(dialog).getByRole('button', { name: 'Keep it' }));
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(calls).toEqual([]);

    await user.click(screen.getByRole('button', { name: `Cancel message ${ID}` }));
    await user.click(screen.getByRole('button', { name: 'Cancel message' }));
    await waitFor(() =>
      expect(calls).toEqual([
        { method: 'POST', path: `/v1/messages/${ID}/end`, body: { reason: 'cancelled' } },
      ]),
    );
  });

  it('shows the server error when ending fails', async () => {
    server.use(
      statsHandler(),
      messagesHandler(),
      http.post(`${ORIGIN}/v1/messages/${ID}/end`, () => apiError(404, 'STREAM_NOT_FOUND', 'already ended')),
    );
    renderDashboard('streams');
    await screen.findByTestId(`stream-row-${ID}`);
    await userEvent.click(screen.getByRole('button', { name: `End message ${ID}` }));
    await userEvent.click(screen.getByRole('button', { name: 'End' }));
    expect((await screen.findByRole('alert')).textContent).toBe('STREAM_NOT_FOUND: already ended');
  });

  it('ends every stream in the filtered channel, after confirming', async () => {
    const calls: Call[] = [];
    server.use(
      statsHandler(),
      messagesHandler(),
      recordPost('/v1/channels/1/general/end', { ended: 3 }, calls),
    );
    renderDashboard('streams');
    await screen.findByTestId(`stream-row-${ID}`);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Channel type'), '1');
    await user.type(screen.getByLabelText('Channel ID'), 'general');
    await user.click(screen.getByRole('button', { name: 'Apply filter' }));

    await user.click(await screen.findByRole('button', { name: 'End all in channel' }));
    const dialog = screen.getByRole('alertdialog', { name: 'End every stream in chan:1:general?' });
    expect(calls).toEqual([]);
    // The safe choice has focus; cancelling sends nothing.
    expect(document.activeElement?.textContent).toBe('Cancel');
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(calls).toEqual([]);

    await user.click(screen.getByRole('button', { name: 'End all in channel' }));
    await user.click(screen.getByRole('button', { name: 'End all' }));
    await waitFor(() =>
      expect(calls).toEqual([
        { method: 'POST', path: '/v1/channels/1/general/end', body: { reason: 'force' } },
      ]),
    );
    expect((await screen.findByText('Ended 3 streams.')).getAttribute('role')).toBe('status');
  });

  it('watches one stream: its text assembles live from the channel subscription', async () => {
    server.use(
      statsHandler(),
      messagesHandler(),
      http.get(`${ORIGIN}/v1/messages/${ID}`, () =>
        HttpResponse.json({
          meta: { messageId: ID, channelId: 'general', channelType: 1, fromUid: 'bot' },
          text: 'Hel',
          chunks: 1,
          bytes: 3,
          status: 'streaming',
        }),
      ),
    );
    const { live } = renderDashboard(`streams/${ID}`);
    await waitFor(() =>
      expect(live.subscriptions.get('chan:1:general')?.[0]).toMatchObject({ after: '0-0', compact: true }),
    );
    // Until the subscription folds a chunk, the HTTP snapshot's text shows.
    await waitFor(() => expect(screen.getByTestId('watch-text').textContent).toBe('Hel'));

    act(() => {
      live.emit('chan:1:general', 'msg.snapshot', {
        messageId: ID,
        meta: { messageId: ID, channelId: 'general', channelType: 1 },
        text: 'Hello',
        lastChunkId: 1,
        status: 'streaming',
      });
      live.emit('chan:1:general', 'msg.delta', { messageId: ID, chunkId: 3, text: '!' });
      live.emit('chan:1:general', 'msg.delta', { messageId: ID, chunkId: 2, text: ' world' });
      live.emit('chan:1:general', 'msg.delta', { messageId: OTHER, chunkId: 0, text: 'not mine' });
    });
    await nextFrame();
    expect(screen.getByTestId('watch-text').textContent).toBe('Hello world!');
    expect(screen.getByTestId('watch-chunks').textContent).toBe('4');

    act(() => {
      live.emit('chan:1:general', 'msg.end', { messageId: ID, reason: 'success', persisted: true });
    });
    await nextFrame();
    expect(screen.getByTestId('watch-status').textContent).toBe('ended (success)');
    expect((screen.getByRole('button', { name: 'End stream' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('a watched stream is ended or cancelled only after confirming', async () => {
    const calls: Call[] = [];
    server.use(
      statsHandler(),
      messagesHandler(),
      http.get(`${ORIGIN}/v1/messages/${ID}`, () =>
        HttpResponse.json({
          meta: { messageId: ID, channelId: 'general', channelType: 1 },
          text: 'Hel',
          chunks: 1,
          lastChunkId: 0,
          bytes: 3,
          status: 'streaming',
        }),
      ),
      recordPost(`/v1/messages/${ID}/end`, { messageId: ID, reason: 'cancelled' }, calls),
    );
    renderDashboard(`streams/${ID}`);
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Cancel stream' }));
    const dialog = screen.getByRole('alertdialog', {
      name: `Cancel message ${ID}? Its producer is told to stop.`,
    });
    await user.click(within(dialog).getByRole('button', { name: 'Keep it' }));
    await user.click(screen.getByRole('button', { name: 'End stream' }));
    await user.keyboard('{Escape}');
    expect(calls).toEqual([]);

    await user.click(screen.getByRole('button', { name: 'Cancel stream' }));
    await user.click(screen.getByRole('button', { name: 'Cancel message' }));
    await waitFor(() =>
      expect(calls).toEqual([
        { method: 'POST', path: `/v1/messages/${ID}/end`, body: { reason: 'cancelled' } },
      ]),
    );
  });

  it('shows a watched message interrupted when its channel is reset, until its history goes on', async () => {
    server.use(
      statsHandler(),
      messagesHandler(),
      http.get(`${ORIGIN}/v1/messages/${ID}`, () =>
        HttpResponse.json({
          meta: { messageId: ID, channelId: 'general', channelType: 1, fromUid: 'bot' },
          text: 'Hel',
          chunks: 1,
          bytes: 3,
          status: 'streaming',
        }),
      ),
    );
    const { live } = renderDashboard(`streams/${ID}`);
    await waitFor(() => expect(live.subscriptions.get('chan:1:general')).toHaveLength(1));
    act(() => {
      live.emit('chan:1:general', 'msg.delta', { messageId: ID, chunkId: 0, text: 'Hel' });
    });
    await nextFrame();
    expect(screen.getByTestId('watch-status').textContent).toBe('streaming');
    // the server restarted mid-reply: the subscription stays, and the message is cut off
    act(() => {
      expect(live.reset('chan:1:general', '1-0')).toBe(1);
    });
    await nextFrame();
    expect(screen.getByTestId('watch-status').textContent).toBe('interrupted');
    expect(screen.getByTestId('watch-text').textContent).toBe('Hel');
    expect(live.subscriptions.get('chan:1:general')).toHaveLength(1);
    act(() => {
      live.emit('chan:1:general', 'msg.end', { messageId: ID, reason: 'force', persisted: true });
    });
    await nextFrame();
    expect(screen.getByTestId('watch-status').textContent).toBe('ended (force)');
  });

  it('shows the error state of a watched message that does not exist', async () => {
    server.use(
      statsHandler(idleStats()),
      messagesHandler([]),
      http.get(`${ORIGIN}/v1/messages/42`, () => apiError(404, 'MESSAGE_NOT_FOUND', 'no message 42')),
    );
    renderDashboard('streams/42');
    expect((await screen.findByRole('alert')).textContent).toContain('MESSAGE_NOT_FOUND');
  });

  it("in a cluster, keeps the messages open on other instances that this instance's $sys does not carry", async () => {
    // The list is the cluster's (the shared open-message records); `$sys` is this instance's own.
    const clustered = spoolStats({ cluster: clusterSection(), streams: [activeStream()] });
    server.use(
      statsHandler(clustered),
      messagesHandler([activeStream(), activeStream({ messageId: OTHER, fromUid: 'remote-bot' })]),
    );
    const { live } = renderDashboard('streams');
    await screen.findByTestId(`stream-row-${OTHER}`);
    await waitFor(() => expect(live.subscriptions.has('$sys')).toBe(true));

    const next = spoolStats({
      at: NOW + 1000,
      cluster: clusterSection(),
      streams: [activeStream({ chunks: 30, updatedAt: NOW + 900 })],
    });
    act(() => {
      live.emit('$sys', 'stats', next);
    });
    await nextFrame();
    expect(screen.getByTestId(`stream-chunks-${ID}`).textContent).toBe('30');
    expect(screen.getByTestId(`stream-row-${OTHER}`).textContent).toContain('remote-bot');
  });
});
