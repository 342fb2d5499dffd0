import type { SpoolError } from '@spool/client';
import { useSpoolClient } from '@spool/client/react';
import { type Dispatch, type FormEvent, type SetStateAction, useState } from 'react';
import { type PromptRequest, REQUESTS_TOPIC } from './chat-requests';

/** A question this tab asked that the room does not show yet. */
export interface PendingQuestion {
  requestId: string;
  text: string;
  /** `sending` until the server took the request; `failed` when it refused it for good. */
  state: 'sending' | 'sent' | 'failed';
  error?: string;
}

const newRequestId = () => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;

/**
 * Asks the producer by publishing a request. Offline, `publish` waits in the client's
 * queue and goes out on reconnect under its idempotency key (the request ID), so a
 * question is asked once however often the network drops.
 */
export function Composer(props: { room: string; setPending: Dispatch<SetStateAction<PendingQuestion[]>> }) {
  const client = useSpoolClient();
  const [text, setText] = useState('');
  const { setPending } = props;

  const update = (requestId: string, change: Partial<PendingQuestion>) =>
    setPending((all) => all.map((p) => (p.requestId === requestId ? { ...p, ...change } : p)));

  const send = (e: FormEvent) => {
    e.preventDefault();
    const question = text.trim();
    if (!question) return;
    const request: PromptRequest = {
      type: 'prompt',
      room: props.room,
      text: question,
      requestId: newRequestId(),
    };
    setPending((all) => [...all, { requestId: request.requestId, text: question, state: 'sending' }]);
    setText('');
    client.publish(REQUESTS_TOPIC, request, { key: request.requestId }).then(
      () => update(request.requestId, { state: 'sent' }),
      (err: SpoolError) =>
        update(request.requestId, { state: 'failed', error: `${err.code}: ${err.message}` }),
    );
  };

  return (
    <form className="composer" onSubmit={send}>
      <textarea
        aria-label="Your question"
        value={text}
        rows={2}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey) send(e);
        }}
      />
      <button type="submit" disabled={!text.trim()}>
        Send
      </button>
    </form>
  );
}
