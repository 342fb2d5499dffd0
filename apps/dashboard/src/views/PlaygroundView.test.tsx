import { act, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HttpResponse, http } from 'msw';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { idleStats } from '../test/fixtures';
import { apiError, nextFrame, ORIGIN, renderDashboard, statsHandler } from '../test/render';
import { server } from '../test/server';
import { CHAOS_INTERVAL_MS } from './PlaygroundView';

const ID = '1843563473929170944';
const TOPIC = 'chan:1:general';

function demoHandlers(bodies: unknown[], storedText = 'Hello world') {
  return [
    http.post(`${ORIGIN}/v1/demo/replies`, async ({ request }) => {
      bodies.push(await request.json());
      return HttpResponse.json({ messageId: ID, topic: TOPIC }, { status: 201 });
    }),
    http.get(`${ORIGIN}/v1/messages/${ID}`, () =>
      HttpResponse.json({
        meta: { messageId: ID, channelId: 'general', channelType: 1 },
        text: storedText,
        chunks: 2,
        bytes: storedText.length,
        status: 'ended',
        reason: 'success',
      }),
    ),
  ];
}

describe('PlaygroundView', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('shows its empty state before a reply is started', async () => {
    server.use(statsHandler(idleStats()));
    renderDashboard('playground');
    expect(await screen.findByText('Start a reply to watch it stream.')).toBeTruthy();
  });

  it('starts a reply with POST /v1/demo/replies, streams it and checks it against the stored message', async () => {
    const bodies: unknown[] = [];
    server.use(statsHandler(idleStats()), ...demoHandlers(bodies));
    const { live } = renderDashboard('playground');
    await userEvent.click(await screen.findByRole('button', { name: 'Start reply' }));
    await waitFor(() => expect(bodies).toEqual([{ channel: TOPIC }]));
    await waitFor(() =>
      expect(live.subscriptions.get(TOPIC)?.[0]).toMatchObject({ after: '0-0', compact: true }),
    );
    expect(screen.getByTestId('playground-message-id').textContent).toBe(ID);

    act(() => {
      live.emit(TOPIC, 'msg.open', {
        messageId: ID,
        meta: { messageId: ID, channelId: 'general', channelType: 1 },
      });
      live.emit(TOPIC, 'msg.delta', { messageId: ID, chunkId: 0, text: 'Hello' });
    });
    await nextFrame();
    expect(screen.getByTestId('playground-text').textContent).toBe('Hello');
    expect(screen.getByTestId('playground-status').textContent).toBe('streaming');

    act(() => {
      live.emit(TOPIC, 'msg.delta', { messageId: ID, chunkId: 1, text: ' world' });
      live.emit(TOPIC, 'msg.end', { messageId: ID, reason: 'success', persisted: true });
    });
    await nextFrame();
    expect(screen.getByTestId('playground-text').textContent).toBe('Hello world');
    expect(screen.getByTestId('playground-chunks').textContent).toBe('2');
    expect(screen.getByTestId('playground-status').textContent).toBe('ended (success)');
    await waitFor(() =>
      expect(screen.getByTestId('playground-verify').textContent).toBe(
        'Matches the stored message: 11 characters, nothing lost.',
      ),
    );
    expect(screen.getByTestId('playground-verify').getAttribute('data-ok')).toBe('true');
  });

  it('reports a reply that differs from the stored message', async () => {
    server.use(statsHandler(idleStats()), ...demoHandlers([], 'Hello there, world'));
    const { live } = renderDashboard('playground');
    await userEvent.click(await screen.findByRole('button', { name: 'Start reply' }));
    await waitFor(() => expect(live.subscriptions.has(TOPIC)).toBe(true));
    act(() => {
      live.emit(TOPIC, 'msg.delta', { messageId: ID, chunkId: 0, text: 'Hello' });
      live.emit(TOPIC, 'msg.end', { messageId: ID, reason: 'success', persisted: true });
    });
    await nextFrame();
    await waitFor(() => expect(screen.getByTestId('playground-verify').textContent).toContain('Differs'));
    expect(screen.getByTestId('playground-verify').getAttribute('data-ok')).toBe('false');
  });

  it('drops the connection with client.reconnect()', async () => {
    server.use(statsHandler(idleStats()));
    const { live } = renderDashboard('playground');
    await userEvent.click(await screen.findByRole('button', { name: 'Drop connection' }));
    expect(live.reconnects).toBe(1);
    expect(screen.getByTestId('playground-drops').textContent).toBe('1');
    act(() => live.setState('reconnecting'));
    expect(screen.getByTestId('playground-live-state').getAttribute('data-state')).toBe('reconnecting');
  });

  it('keeps dropping the connection while the switch is on and the reply streams', async () => {
    server.use(statsHandler(idleStats()), ...demoHandlers([]));
    const { live } = renderDashboard('playground');
    await userEvent.click(await screen.findByRole('button', { name: 'Start reply' }));
    await waitFor(() => expect(live.subscriptions.has(TOPIC)).toBe(true));

    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const toggle = screen.getByRole('switch', { name: 'Keep dropping the connection' });
    expect(toggle.getAttribute('aria-checked')).toBe('false');
    act(() => toggle.click());
    expect(toggle.getAttribute('aria-checked')).toBe('true');
    act(() => vi.advanceTimersByTime(CHAOS_INTERVAL_MS * 2));
    expect(live.reconnects).toBe(2);
    // Each drop connects again at once (the token is read first, asynchronously) and resumes.
    await act(async () => {
      for (let i = 0; i < 20; i++) await Promise.resolve();
    });
    expect(live.sockets.at(-1)?.readyState).toBe(1);
    expect(live.subscriptions.get(TOPIC)?.[0]).toMatchObject({ compact: true });

    // Once the reply has ended there is nothing left to show: the drops stop.
    act(() => {
      live.emit(TOPIC, 'msg.end', { messageId: ID, reason: 'success', persisted: true });
    });
    await nextFrame();
    act(() => vi.advanceTimersByTime(CHAOS_INTERVAL_MS * 3));
    expect(live.reconnects).toBe(2);
  });

  it('shows the error when the server runs without the demo producer', async () => {
    server.use(
      statsHandler(idleStats()),
      http.post(`${ORIGIN}/v1/demo/replies`, () =>
        apiError(404, 'NOT_FOUND', 'start spool serve with --demo'),
      ),
    );
    renderDashboard('playground');
    await userEvent.click(await screen.findByRole('button', { name: 'Start reply' }));
    expect((await screen.findByRole('alert')).textContent).toBe('NOT_FOUND: start spool serve with --demo');
  });
});
