import type { SpoolClient } from '@spool/client';
import { SpoolProvider } from '@spool/client/react';
import { act, render, screen, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import type { SpoolApi } from '../api/routes';
import { type DashboardEnv, EnvProvider } from '../app/env';
import { createTokenStore } from '../auth/tokenStore';
import { createFakeLive, type FakeLive } from '../test/fakeLive';
import { NOW, spoolStats } from '../test/fixtures';
import { nextFrame } from '../test/render';
import { useLiveMessage, useSysStats } from './live-hooks';
import { createStatsStore } from './statsStore';

const T = 'chan:1:general';
const ID = '1843563473929170944';

let live: FakeLive;
let client: SpoolClient;
let env: DashboardEnv;

function mount(ui: ReactNode) {
  live = createFakeLive();
  client = live.createClient(() => null);
  env = {
    api: {} as SpoolApi,
    createClient: () => client,
    tokens: createTokenStore(null),
    stats: createStatsStore(),
  };
  const wrap = (node: ReactNode) => (
    <EnvProvider env={env}>
      <SpoolProvider client={client}>{node}</SpoolProvider>
    </EnvProvider>
  );
  const view = render(wrap(ui));
  return { ...view, rerender: (node: ReactNode) => view.rerender(wrap(node)) };
}

afterEach(() => client.close());

function Message({ topic, id = ID }: { topic: string | null; id?: string }) {
  const m = useLiveMessage(topic, id);
  return <p data-testid="message">{m ? `${m.status}:${m.lastChunkId}:${m.text}` : 'none'}</p>;
}

function Sys({ enabled }: { enabled: boolean }) {
  useSysStats(enabled);
  return null;
}

const text = () => screen.getByTestId('message').textContent;

describe('useLiveMessage', () => {
  it('assembles one message of the channel in chunkId order, waiting for a gap, and ignores the rest', async () => {
    mount(<Message topic={T} />);
    await waitFor(() =>
      expect(live.subscriptions.get(T)?.[0]).toMatchObject({ after: '0-0', compact: true }),
    );
    expect(text()).toBe('none');
    act(() => {
      live.emit(T, 'msg.delta', { messageId: ID, chunkId: 0, text: 'a' });
      live.emit(T, 'msg.delta', { messageId: ID, chunkId: 2, text: 'c' });
      live.emit(T, 'msg.delta', { messageId: 'other', chunkId: 0, text: 'not mine' });
      live.emit(T, 'message', { messageId: ID, text: 'not a chat event' });
    });
    await nextFrame();
    expect(text()).toBe('streaming:0:a');
    act(() => {
      live.emit(T, 'msg.delta', { messageId: ID, chunkId: 1, text: 'b' });
      // A repeat changes nothing.
      live.emit(T, 'msg.delta', { messageId: ID, chunkId: 1, text: 'b' });
    });
    await nextFrame();
    expect(text()).toBe('streaming:2:abc');
    act(() => {
      live.emit(T, 'msg.end', { messageId: ID, reason: 'error', persisted: false });
    });
    await nextFrame();
    expect(text()).toBe('error:2:abc');
  });

  it('interrupts a streaming message on a reset of its channel; a later event of it puts it back', async () => {
    mount(<Message topic={T} />);
    await waitFor(() => expect(live.subscriptions.has(T)).toBe(true));
    act(() => {
      live.emit(T, 'msg.snapshot', {
        messageId: ID,
        meta: { messageId: ID },
        text: 'Hel',
        lastChunkId: 2,
        status: 'streaming',
      });
    });
    await nextFrame();
    expect(text()).toBe('streaming:2:Hel');
    act(() => {
      expect(live.reset(T, '1-0')).toBe(1);
    });
    await nextFrame();
    expect(text()).toBe('interrupted:2:Hel');
    act(() => {
      live.emit(T, 'msg.delta', { messageId: ID, chunkId: 3, text: 'lo' });
    });
    await nextFrame();
    expect(text()).toBe('streaming:3:Hello');
  });

  it('subscribes only to a channel topic, and moves with it', async () => {
    const view = mount(<Message topic={null} />);
    await waitFor(() => expect(client.state).toBe('open'));
    view.rerender(<Message topic="$sys" />);
    view.rerender(<Message topic="chan:2:ops" />);
    await waitFor(() => expect([...live.subscriptions.keys()]).toEqual(['chan:2:ops']));
    view.rerender(<Message topic={T} />);
    await waitFor(() => expect([...live.subscriptions.keys()]).toEqual([T]));
    view.unmount();
    await waitFor(() => expect(live.subscriptions.size).toBe(0));
  });
});

describe('useSysStats', () => {
  it('subscribes to $sys only while enabled, and applies every stats snapshot once, several in a frame too', async () => {
    const view = mount(<Sys enabled={false} />);
    await waitFor(() => expect(client.state).toBe('open'));
    expect(live.subscriptions.has('$sys')).toBe(false);
    view.rerender(<Sys enabled />);
    await waitFor(() => expect(live.subscriptions.has('$sys')).toBe(true));
    act(() => {
      for (let i = 1; i <= 3; i++) {
        const s = spoolStats({ at: NOW + i * 1000 });
        s.topics.eventsPerSec = i;
        live.emit('$sys', 'stats', s);
      }
      live.emit('$sys', 'note', { at: NOW + 9000 });
    });
    await nextFrame();
    await nextFrame();
    const { stats, history } = env.stats.getState();
    expect(stats?.at).toBe(NOW + 3000);
    expect(history.map((p) => p.eventsPerSec)).toEqual([1, 2, 3]);
    view.rerender(<Sys enabled={false} />);
    await waitFor(() => expect(live.subscriptions.has('$sys')).toBe(false));
  });
});
