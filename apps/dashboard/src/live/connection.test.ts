import { describe, expect, it } from 'vitest';
import { createLiveConnection, defaultLiveUrl, type LiveEvent, type LiveState } from './connection';

/** A WebSocket the test drives: it records what the client sends and opens on demand. */
class FakeSocket {
  static instances: FakeSocket[] = [];
  readyState = 0;
  sent: Array<Record<string, unknown>> = [];
  onopen: ((e: unknown) => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: ((e: unknown) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;
  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {
    FakeSocket.instances.push(this);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  receive(frame: object) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
}

async function nextSocket(count: number): Promise<FakeSocket> {
  // The client asks for the token (possibly async) before it constructs the socket.
  for (let i = 0; i < 50 && FakeSocket.instances.length < count; i++) await Promise.resolve();
  const ws = FakeSocket.instances[count - 1];
  if (!ws) throw new Error(`socket #${count} was never created`);
  return ws;
}

describe('createLiveConnection (over @spool/client)', () => {
  it('connects lazily with the token, subscribes, delivers events and reports its state', async () => {
    FakeSocket.instances = [];
    const live = createLiveConnection({
      url: 'ws://spool.test/v1/ws',
      getToken: () => 'adm1n',
      WebSocket: FakeSocket,
    });
    expect(live.state).toBe('connecting');
    expect(FakeSocket.instances).toHaveLength(0);

    const states: LiveState[] = [];
    live.onState((s) => states.push(s));
    const events: LiveEvent[] = [];
    const stop = live.subscribe('$sys', { onEvent: (ev) => events.push(ev) });
    const ws = await nextSocket(1);
    expect(ws.url).toBe('ws://spool.test/v1/ws?access_token=adm1n');
    ws.open();
    expect(live.state).toBe('open');
    expect(states).toEqual(['open']);
    expect(ws.sent[0]).toMatchObject({ op: 'sub', topic: '$sys' });

    ws.receive({ op: 'subok', topic: '$sys', from: '5-0' });
    ws.receive({ op: 'ev', topic: '$sys', id: '5-0', event: 'stats', data: { at: 5 } });
    expect(events).toEqual([{ topic: '$sys', id: '5-0', event: 'stats', data: { at: 5 } }]);

    live.reconnect();
    expect(states).toContain('reconnecting');
    const again = await nextSocket(2);
    again.open();
    // It resumes after the last event it delivered.
    expect(again.sent[0]).toMatchObject({ op: 'sub', topic: '$sys', after: '5-0' });

    stop();
    expect(again.sent.at(-1)).toEqual({ op: 'unsub', topic: '$sys' });
    live.close();
    expect(live.state).toBe('closed');
    expect(states.at(-1)).toBe('closed');

    // A subscription after close() connects with a fresh client.
    live.subscribe('$sys', {});
    expect(live.state).toBe('connecting');
    expect(states.at(-1)).toBe('connecting');
    (await nextSocket(3)).open();
    expect(live.state).toBe('open');
  });

  it('derives the WebSocket URL from the page', () => {
    expect(defaultLiveUrl({ protocol: 'https:', host: 'ops.example:8443' })).toBe(
      'wss://ops.example:8443/v1/ws',
    );
    expect(defaultLiveUrl({ protocol: 'http:', host: '127.0.0.1:8080' })).toBe('ws://127.0.0.1:8080/v1/ws');
  });
});
