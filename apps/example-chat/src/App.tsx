import { useConnectionState } from '@spool/client/react';
import { useState } from 'react';
import { Composer, type PendingQuestion } from './Composer';
import { MessageList } from './MessageList';

const stateLabel = {
  connecting: 'connecting…',
  open: 'live',
  reconnecting: 'offline: reconnecting, questions wait and go out once back',
  closed: 'disconnected',
} as const;

export function App({ room }: { room: string }) {
  const state = useConnectionState();
  const [pending, setPending] = useState<PendingQuestion[]>([]);
  return (
    <main className="chat">
      <header>
        <h1>Spool chat</h1>
        <span className="room">room {room}</span>
        <span className="connection" data-testid="connection" data-state={state}>
          {stateLabel[state]}
        </span>
      </header>
      <MessageList room={room} pending={pending} />
      <Composer room={room} onPendingChange={setPending} />
    </main>
  );
}
