import { useChannel, useConnectionState } from '@spool/client/react';
import { useEffect, useMemo, useState } from 'react';
import { Composer, type PendingQuestion } from './Composer';
import { CHAT_CHANNEL_TYPE } from './chat-requests';
import { MessageList } from './MessageList';

const stateLabel = {
  connecting: 'connecting…',
  open: 'live',
  reconnecting: 'offline: reconnecting, questions wait and go out once back',
  closed: 'disconnected',
} as const;

export function App({ room }: { room: string }) {
  const state = useConnectionState();
  // The room from the start of what the server holds (one snapshot per message), then live:
  // a reload or a second tab shows the same text, and a reply being written goes on from
  // where its snapshot ends.
  // Older pages, from the server's history, load as the reader scrolls up.
  const channel = useChannel(CHAT_CHANNEL_TYPE, room);
  const { messages } = channel;
  const [pending, setPending] = useState<PendingQuestion[]>([]);
  // A question the room shows is no longer this tab's to show: hidden at once, and dropped
  // from the state after the render.
  const asked = useMemo(() => new Set(messages.map((m) => m.meta?.customFields?.requestId)), [messages]);
  const waiting = pending.filter((p) => !asked.has(p.requestId));
  useEffect(() => {
    setPending((all) =>
      all.some((p) => asked.has(p.requestId)) ? all.filter((p) => !asked.has(p.requestId)) : all,
    );
  }, [asked]);
  return (
    <main className="chat">
      <header>
        <h1>Spool chat</h1>
        <span className="room">room {room}</span>
        <span className="connection" data-testid="connection" data-state={state}>
          {stateLabel[state]}
        </span>
      </header>
      <MessageList channel={channel} waiting={waiting} />
      <Composer room={room} setPending={setPending} />
    </main>
  );
}
