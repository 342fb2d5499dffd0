import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useChannel, useConnectionState, useMessage, useTopic } from '../../src/react/hooks';
import { SpoolProvider, useSpoolClient } from '../../src/react/spool-provider';
import { SpoolClient } from '../../src/spool-client';
import { type FakeConnection, type FakeServer, startFakeServer, TestWebSocket } from '../fake-server';

let server: FakeServer;
let client: SpoolClient;

beforeEach(async () => {
  server = await startFakeServer();
  client = new SpoolClient(server.url, { WebSocket: TestWebSocket, backoff: { baseMs: 5, maxMs: 5 } });
});
afterEach(async () => {
  cleanup();
  client.close();
  await server.close();
});

const withClient = (ui: React.ReactNode) => render(<SpoolProvider client={client}>{ui}</SpoolProvider>);

async function subscribed(topic: string): Promise<FakeConnection> {
  const conn = await server.connection(0);
  await conn.next((f) => f.op === 'sub' && f.topic === topic);
  return conn;
}

function State() {
  return <p data-testid="state">{useConnectionState()}</p>;
}

function Topic({ topic }: { topic: string }) {
  const { events, lastEventId } = useTopic(topic, { after: '0-0', max: 3 });
  return (
    <div>
      <p data-testid="last">{lastEventId ?? 'none'}</p>
      <ul>
        {events.map((e) => (
          <li key={e.id}>{String(e.data)}</li>
        ))}
      </ul>
    </div>
  );
}

let renders = 0;
function Message({ id }: { id: string }) {
  renders++;
  const { text, status } = useMessage(id);
  return <p data-testid="msg">{`${status}:${text}`}</p>;
}

function Orphan() {
  useSpoolClient();
  return null;
}

function Channel() {
  const { messages } = useChannel(1, 'g');
  return <p data-testid="channel">{messages.map((m) => `${m.messageId}=${m.text}`).join(',')}</p>;
}

function Statuses() {
  const { messages } = useChannel(1, 'g');
  return <p data-testid="statuses">{messages.map((m) => `${m.messageId}:${m.status}`).join(',')}</p>;
}

let scrollerView: ReturnType<typeof useChannel> | undefined;
function Scroller({ channelId = 'g' }: { channelId?: string }) {
  const view = useChannel(1, channelId, { pageSize: 2 });
  scrollerView = view;
  const list = view.messages.map((m) => `${m.messageId}=${m.text}`).join(',');
  return <p data-testid="scroller">{`${list}|${view.hasOlder}|${view.olderError?.code ?? ''}`}</p>;
}

let gatedLoadOlder: (() => Promise<void>) | undefined;
function Gated({ on }: { on: boolean }) {
  const { events } = useTopic('t', { enabled: on });
  const { messages, loadOlder, loadingOlder, olderError } = useChannel(1, 'g', { enabled: on });
  gatedLoadOlder = loadOlder;
  const texts = messages.map((m) => m.text).join(',');
  return <p data-testid="gated">{`${events.length}|${texts}|${loadingOlder}|${olderError?.code ?? ''}`}</p>;
}

describe('React hooks', () => {
  // First in this file: React warns about an unstable snapshot only once per module.
  it('useChannel gives React a stable snapshot before its subscription exists', async () => {
    const errors: unknown[][] = [];
    const spy = console.error;
    console.error = (...args: unknown[]) => errors.push(args);
    try {
      const view = withClient(<Channel />);
      await subscribed('chan:1:g');
      expect(view.container.querySelector('[data-testid="channel"]')?.textContent).toBe('');
    } finally {
      console.error = spy;
    }
    expect(errors.map((args) => String(args[0]))).toEqual([]);
  });

  it('useConnectionState follows the client', async () => {
    withClient(<State />);
    await waitFor(() => expect(screen.getByTestId('state').textContent).toBe('open'));
    const conn = await server.connection(0);
    conn.terminate();
    await waitFor(() => expect(screen.getByTestId('state').textContent).toBe('reconnecting'));
    await waitFor(() => expect(screen.getByTestId('state').textContent).toBe('open'));
  });

  it('useTopic subscribes while mounted and keeps the newest events', async () => {
    const view = withClient(<Topic topic="t" />);
    const conn = await subscribed('t');
    for (let i = 1; i <= 5; i++)
      conn.send({ op: 'ev', topic: 't', id: `${i}-0`, event: 'message', data: `e${i}` });
    await waitFor(() => expect(screen.getByTestId('last').textContent).toBe('5-0'));
    expect(screen.getAllByRole('listitem').map((li) => li.textContent)).toEqual(['e3', 'e4', 'e5']);
    view.unmount();
    expect(await conn.next((f) => f.op === 'unsub')).toEqual({ op: 'unsub', topic: 't' });
  });

  it('useTopic and useChannel subscribe only while enabled', async () => {
    const view = withClient(<Gated on={false} />);
    const conn = await server.connection(0);
    await waitFor(() => expect(client.state).toBe('open'));
    // Disabled, loadOlder sends no request (one to this fake server would fail): no error, never loading.
    await act(() => gatedLoadOlder!());
    expect(screen.getByTestId('gated').textContent).toBe('0||false|');
    // A probe: frames arrive in order, so a subscription made while disabled would come first.
    client.publish('probe', 1).catch(() => {});
    expect(await conn.next()).toMatchObject({ op: 'pub', topic: 'probe' });
    view.rerender(
      <SpoolProvider client={client}>
        <Gated on />
      </SpoolProvider>,
    );
    await conn.next((f) => f.op === 'sub' && f.topic === 't');
    await conn.next((f) => f.op === 'sub' && f.topic === 'chan:1:g');
    conn.send({ op: 'ev', topic: 't', id: '1-0', event: 'message', data: 'x' });
    conn.send({
      op: 'ev',
      topic: 'chan:1:g',
      id: '1-1',
      event: 'msg.delta',
      data: { messageId: '5', chunkId: 0, text: 'hi' },
    });
    await waitFor(() => expect(screen.getByTestId('gated').textContent).toBe('1|hi|false|'));
    view.rerender(
      <SpoolProvider client={client}>
        <Gated on={false} />
      </SpoolProvider>,
    );
    await conn.next((f) => f.op === 'unsub' && f.topic === 't');
    await conn.next((f) => f.op === 'unsub' && f.topic === 'chan:1:g');
    await waitFor(() => expect(screen.getByTestId('gated').textContent).toBe('0||false|'));
  });

  it('useMessage renders the assembled text at most once per frame', async () => {
    withClient(
      <>
        <Channel />
        <Message id="42" />
      </>,
    );
    const conn = await subscribed('chan:1:g');
    renders = 0;
    const topic = 'chan:1:g';
    let text = '';
    for (let i = 0; i < 300; i++) {
      text += `w${i} `;
      conn.send({
        op: 'ev',
        topic,
        id: `1-${i}`,
        event: 'msg.delta',
        data: { messageId: '42', chunkId: i, text: `w${i} ` },
      });
    }
    conn.send({
      op: 'ev',
      topic,
      id: '2-0',
      event: 'msg.end',
      data: { messageId: '42', reason: 'success', persisted: true },
    });
    await waitFor(() => expect(screen.getByTestId('msg').textContent).toBe(`ended:${text}`));
    expect(screen.getByTestId('channel').textContent).toBe(`42=${text}`);
    // 301 events; a render per event would be a storm.
    expect(renders).toBeLessThan(30);
  });

  it('useMessage and useChannel show a message interrupted by a reset, until the new history goes on', async () => {
    withClient(
      <>
        <Statuses />
        <Message id="7" />
      </>,
    );
    const conn = await subscribed('chan:1:g');
    const topic = 'chan:1:g';
    conn.send({
      op: 'ev',
      topic,
      id: '1-0',
      event: 'msg.delta',
      data: { messageId: '7', chunkId: 0, text: 'hal' },
    });
    await waitFor(() => expect(screen.getByTestId('msg').textContent).toBe('streaming:hal'));
    // the server restarted mid-reply: its history no longer has message 7
    conn.send({ op: 'reset', topic, earliest: '1-0' });
    await waitFor(() => expect(screen.getByTestId('msg').textContent).toBe('interrupted:hal'));
    expect(screen.getByTestId('statuses').textContent).toBe('7:interrupted');
    conn.send({
      op: 'ev',
      topic,
      id: '1-1',
      event: 'msg.end',
      data: { messageId: '7', reason: 'force', persisted: true },
    });
    await waitFor(() => expect(screen.getByTestId('msg').textContent).toBe('ended:hal'));
  });

  it('useSpoolClient outside a provider says how to fix it', () => {
    const spy = console.error;
    console.error = () => {};
    try {
      expect(() => render(<Orphan />)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    } finally {
      console.error = spy;
    }
  });

  it('unmounting a channel unsubscribes', async () => {
    const view = withClient(<Channel />);
    const conn = await subscribed('chan:1:g');
    act(() => view.unmount());
    expect(await conn.next((f) => f.op === 'unsub')).toEqual({ op: 'unsub', topic: 'chan:1:g' });
  });

  it('useChannel loadOlder prepends older pages of history once each, until there is none', async () => {
    const requests: string[] = [];
    let failNext = false;
    const item = (messageId: string, text: string, first: string) => ({
      messageId,
      meta: { messageId, channelId: 'g', channelType: 1 },
      text,
      lastChunkId: 0,
      status: 'ended',
      reason: 'success',
      firstEventId: first,
      lastEventId: first,
      persisted: true,
    });
    const pages: Record<string, unknown> = {
      '': { items: [item('3', 'three', '3-0'), item('2', 'two', '2-0')], next: '2-0' },
      '2-0': { items: [item('1', 'one', '1-0')], next: null },
    };
    const fetchStub = (async (url: string | URL) => {
      const u = new URL(String(url));
      requests.push(`${u.pathname}${u.search}`);
      if (failNext) {
        failNext = false;
        return Response.json({ error: { code: 'STORE_UNAVAILABLE', message: 'down' } }, { status: 503 });
      }
      return Response.json(pages[u.searchParams.get('before') ?? '']);
    }) as typeof fetch;
    client.close();
    client = new SpoolClient(server.url, {
      WebSocket: TestWebSocket,
      backoff: { baseMs: 5, maxMs: 5 },
      fetch: fetchStub,
    });
    withClient(<Scroller />);
    const conn = await subscribed('chan:1:g');
    // The live subscription shows message 3 (it is also on the first history page).
    conn.send({
      op: 'ev',
      topic: 'chan:1:g',
      id: '3-0',
      event: 'msg.snapshot',
      data: {
        messageId: '3',
        meta: { messageId: '3', channelId: 'g', channelType: 1 },
        text: 'three',
        lastChunkId: 0,
        status: 'ended',
        reason: 'success',
      },
    });
    const text = () => screen.getByTestId('scroller').textContent;
    await waitFor(() => expect(text()).toBe('3=three|true|'));

    failNext = true;
    await act(() => scrollerView!.loadOlder());
    expect(text()).toBe('3=three|true|STORE_UNAVAILABLE');
    // Two calls at once: one request. A failed page is asked for again.
    await act(() => Promise.all([scrollerView!.loadOlder(), scrollerView!.loadOlder()]));
    expect(text()).toBe('2=two,3=three|true|');
    await act(() => scrollerView!.loadOlder());
    expect(text()).toBe('1=one,2=two,3=three|false|');
    await act(() => scrollerView!.loadOlder());
    expect(requests).toEqual([
      '/v1/channels/1/g/messages?limit=2',
      '/v1/channels/1/g/messages?limit=2',
      '/v1/channels/1/g/messages?before=2-0&limit=2',
    ]);
  });

  it('useChannel forgets older pages when the channel changes, and a late page of the old one never lands', async () => {
    let release: () => void = () => {};
    const fetchStub = (async (url: string | URL) => {
      const channel = new URL(String(url)).pathname.split('/')[4];
      if (channel === 'g') await new Promise<void>((r) => (release = r));
      return Response.json({
        items: [
          {
            messageId: channel === 'g' ? '1' : '2',
            meta: { messageId: '1', channelId: channel, channelType: 1 },
            text: `old in ${channel}`,
            lastChunkId: 0,
            status: 'ended',
            reason: 'success',
            firstEventId: '1-0',
            lastEventId: '1-0',
            persisted: true,
          },
        ],
        next: null,
      });
    }) as typeof fetch;
    client.close();
    client = new SpoolClient(server.url, {
      WebSocket: TestWebSocket,
      backoff: { baseMs: 5, maxMs: 5 },
      fetch: fetchStub,
    });
    const view = withClient(<Scroller channelId="g" />);
    await subscribed('chan:1:g');
    const text = () => screen.getByTestId('scroller').textContent;
    let pending: Promise<void> | undefined;
    act(() => {
      pending = scrollerView!.loadOlder();
    });
    view.rerender(
      <SpoolProvider client={client}>
        <Scroller channelId="h" />
      </SpoolProvider>,
    );
    await act(async () => {
      release();
      await pending;
    });
    expect(text()).toBe('|true|');
    await act(() => scrollerView!.loadOlder());
    expect(text()).toBe('2=old in h|false|');
  });
});
