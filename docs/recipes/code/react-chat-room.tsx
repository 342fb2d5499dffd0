import { SpoolClient, type SpoolClientOptions } from '@spool/client';
import { openMessage } from '@spool/client/producer';
import { SpoolProvider, useChannel, useConnectionState, useSpoolClient } from '@spool/client/react';
import { type FormEvent, useState } from 'react';
import { createRoot } from 'react-dom/client';

/** A room's messages, live, with a box to write in it. */
export function ChatRoom({ room, me }: { room: string; me: string }) {
  // Everything the server still holds (one snapshot per message), then live; resumes by itself.
  const { messages } = useChannel(1, room);
  const state = useConnectionState(); // 'connecting' | 'open' | 'reconnecting' | 'closed'
  const client = useSpoolClient();
  const [draft, setDraft] = useState('');

  const send = (e: FormEvent) => {
    e.preventDefault();
    const message = openMessage(client, { channelId: room, channelType: 1, fromUid: me });
    message.append(draft);
    message.end().catch((err) => console.error(err.code, err.message));
    setDraft('');
  };

  return (
    <section>
      <p role="status">{state}</p>
      <ul>
        {messages.map((m) => (
          <li key={m.messageId} data-status={m.status}>
            <b>{m.meta?.fromUid}</b> {m.text}
            {m.status === 'streaming' && ' …'}
            {m.status === 'interrupted' && ' (interrupted)'}
            {m.reason === 'cancelled' && ' (stopped)'}
          </li>
        ))}
      </ul>
      <form onSubmit={send}>
        <input aria-label="Message" value={draft} onChange={(e) => setDraft(e.target.value)} />
        <button type="submit" disabled={!draft}>
          Send
        </button>
      </form>
    </section>
  );
}

/** One client for the page's lifetime, shared by every hook under the provider. */
export function mountChat(element: HTMLElement, url: string, options?: SpoolClientOptions) {
  const client = new SpoolClient(url, options);
  const root = createRoot(element);
  root.render(
    <SpoolProvider client={client}>
      <ChatRoom room="general" me="alice" />
    </SpoolProvider>,
  );
  return () => {
    root.unmount();
    client.close();
  };
}
