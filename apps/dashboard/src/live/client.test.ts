import { describe, expect, it } from 'vitest';
import { FakeSocket } from '../test/fakeLive';
import { createLiveClient, defaultLiveUrl } from './client';

/** Sockets the clients below made. */
const sockets: FakeSocket[] = [];
class RecordedSocket extends FakeSocket {
  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols);
    sockets.push(this);
  }
}

async function nextSocket(count: number): Promise<FakeSocket> {
  // The client asks for the token (possibly async) before it constructs the socket.
  for (let i = 0; i < 50 && sockets.length < count; i++) await Promise.resolve();
  const ws = sockets[count - 1];
  if (!ws) throw new Error(`socket #${count} was never created`);
  return ws;
}

describe('createLiveClient', () => {
  it('connects with the token, subscribes, delivers events, resumes after a reconnect and reports its state', async () => {
    sockets.length = 0;
    let token: string | null = 'adm1n';
    const client = createLiveClient({
      url: 'ws://spool.test/v1/ws',
      getToken: () => token,
      WebSocket: RecordedSocket,
    });
    expect(client.state).toBe('connecting');
    const states: string[] = [];
    client.on('state', (s) => states.push(s));
    const events: unknown[] = [];
    const sub = client.subscribe('$sys', {});
    sub.listen((ev) => events.push(ev));
    const ws = await nextSocket(1);
    expect(ws.url).toBe('ws://spool.test/v1/ws?access_token=adm1n');
    ws.open();
    expect(client.state).toBe('open');
    expect(ws.sent[0]).toMatchObject({ op: 'sub', topic: '$sys' });

    ws.receive({ op: 'subok', topic: '$sys', from: '5-0' });
    ws.receive({ op: 'ev', topic: '$sys', id: '5-0', event: 'stats', data: { at: 5 } });
    expect(events).toEqual([{ topic: '$sys', id: '5-0', event: 'stats', data: { at: 5 } }]);

    // A sign-out cleared the token: the next connect sends none.
    token = null;
    client.reconnect();
    expect(states).toContain('reconnecting');
    const again = await nextSocket(2);
    expect(again.url).toBe('ws://spool.test/v1/ws');
    again.open();
    // It resumes after the last event it delivered.
    expect(again.sent[0]).toMatchObject({ op: 'sub', topic: '$sys', after: '5-0' });

    sub.unsubscribe();
    expect(again.sent.at(-1)).toEqual({ op: 'unsub', topic: '$sys' });
    client.close();
    expect(client.state).toBe('closed');
    expect(states.at(-1)).toBe('closed');
  });

  it('derives the WebSocket URL from the page', () => {
    expect(defaultLiveUrl({ protocol: 'https:', host: 'ops.example:8443' })).toBe(
      'wss://ops.example:8443/v1/ws',
    );
    expect(defaultLiveUrl({ protocol: 'http:', host: '127.0.0.1:8080' })).toBe('ws://127.0.0.1:8080/v1/ws');
  });
});
