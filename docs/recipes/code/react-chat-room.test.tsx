// @vitest-environment jsdom
import type { AddressInfo } from 'node:net';
import { createSpool, type Spool } from '@spool/server';
import { listen } from '@spool/server/node';
import { act, fireEvent, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { mountChat } from './react-chat-room';

let spool: Spool;
let close: () => Promise<void>;
let wsUrl: string;
const unmounts: Array<() => void> = [];

beforeEach(async () => {
  spool = createSpool();
  const started = await listen(spool, { host: '127.0.0.1', port: 0 });
  wsUrl = `ws://127.0.0.1:${(started.server.address() as AddressInfo).port}/v1/ws`;
  close = () => started.close();
});

afterEach(async () => {
  act(() => {
    for (const u of unmounts.splice(0)) u();
  });
  await close();
});

/** A page: its own element and client (`ws` stands in for the browser's WebSocket in Node). */
function page() {
  const element = document.body.appendChild(document.createElement('div'));
  act(() => {
    unmounts.push(mountChat(element, wsUrl, { WebSocket }));
  });
  return within(element);
}

describe('a React chat UI', () => {
  it('shows what one page writes and a streamed reply, live, on every page', async () => {
    const alice = page();
    const other = page();
    for (const p of [alice, other])
      await waitFor(() => expect(p.getByRole('status').textContent).toBe('open'));

    fireEvent.change(alice.getByRole('textbox', { name: 'Message' }), { target: { value: 'hello' } });
    fireEvent.click(alice.getByRole('button', { name: 'Send' }));
    for (const p of [alice, other]) {
      await waitFor(() =>
        expect(p.getAllByRole('listitem').map((li) => li.textContent)).toEqual(['alice hello']),
      );
    }

    // A producer streams a reply; both pages show it growing, then ended.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const run = await spool.run({ channelId: 'general', channelType: 1, fromUid: 'bot' }, async (write) => {
      await write('Hi ');
      await gate;
      await write('alice!');
    });
    for (const p of [alice, other]) {
      await waitFor(() => expect(p.getAllByRole('listitem')[1]?.textContent).toBe('bot Hi  …'));
      expect(p.getAllByRole('listitem')[1]?.dataset.status).toBe('streaming');
    }
    release();
    await run.done;
    for (const p of [alice, other]) {
      await waitFor(() => expect(p.getAllByRole('listitem')[1]?.textContent).toBe('bot Hi alice!'));
      expect(p.getAllByRole('listitem')[1]?.dataset.status).toBe('ended');
    }
  });

  it('a page opened later shows the history, and a cancelled reply as stopped', async () => {
    // spool.run resolves once the message is open; the cancel comes after its first chunk.
    let written!: () => void;
    const wrote = new Promise<void>((r) => (written = r));
    const run = await spool.run(
      { channelId: 'general', channelType: 1, fromUid: 'bot' },
      async (write, signal) => {
        await write('never finished');
        written();
        await new Promise((r) => signal.addEventListener('abort', r));
      },
    );
    await wrote;
    await run.cancel();
    const late = page();
    await waitFor(() => expect(late.getByRole('listitem').textContent).toBe('bot never finished (stopped)'));
  });
});
