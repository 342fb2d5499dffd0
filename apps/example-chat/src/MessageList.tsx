import type { AssembledMessage } from '@spool/client';
import { type ChannelView, useSpoolClient } from '@spool/client/react';
import { useLayoutEffect, useRef } from 'react';
import type { PendingQuestion } from './Composer';
import { REQUESTS_TOPIC, type StopRequest } from './chat-requests';
import { OlderMessages } from './OlderMessages';

/** What a message's state reads as, under its text. */
function statusLabel(m: AssembledMessage): string {
  if (m.status === 'streaming') return 'writing…';
  if (m.status === 'interrupted') return 'interrupted: the server lost this reply';
  if (m.status === 'error') return 'failed';
  if (m.status === 'ended' && m.reason === 'cancelled') return 'stopped';
  if (m.status === 'ended' && m.reason !== 'success') return `ended (${m.reason})`;
  return '';
}

/** Older pages on scroll-up, the room's messages, then this tab's questions the room does not show yet. */
export function MessageList({ channel, waiting }: { channel: ChannelView; waiting: PendingQuestion[] }) {
  const { messages } = channel;
  const client = useSpoolClient();
  const scroller = useRef<HTMLElement>(null);
  const end = useRef<HTMLDivElement>(null);
  const last = messages.at(-1);

  // An older page goes in above what the reader looks at: keep that in place rather than
  // jump (the browser's own scroll anchoring does nothing at the very top, where paging
  // starts).
  const first = messages[0]?.messageId;
  const before = useRef<{ first: string | undefined; height: number }>({ first, height: 0 });
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const was = before.current;
    if (was.first !== undefined && first !== was.first) el.scrollTop += el.scrollHeight - was.height;
    before.current = { first, height: el.scrollHeight };
  });

  // Follow the newest text, as chat apps do. Braces: newer browsers return a promise from
  // scrollIntoView, and an effect may return nothing but a cleanup.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the newest text or the waiting list changes
  useLayoutEffect(() => {
    end.current?.scrollIntoView({ block: 'end' });
  }, [last?.text, waiting.length]);

  const stop = (messageId: string) => {
    const request: StopRequest = { type: 'stop', messageId };
    client.publish(REQUESTS_TOPIC, request, { key: `stop-${messageId}` }).catch(() => {});
  };

  return (
    <section ref={scroller} className="messages" aria-label="Messages">
      <OlderMessages view={channel} scroller={scroller} />
      {messages.length === 0 && waiting.length === 0 && <p className="empty">Ask something below.</p>}
      {messages.map((m) => {
        const role = m.meta?.customFields?.role === 'user' ? 'user' : 'assistant';
        return (
          <article
            key={m.messageId}
            className={`message ${role}`}
            data-testid="message"
            data-role={role}
            data-message-id={m.messageId}
            data-status={m.status}
            data-reason={m.reason ?? ''}
          >
            <p className="text" data-testid="message-text">
              {m.text}
            </p>
            <footer>
              <span className="status">{statusLabel(m)}</span>
              {role === 'assistant' && m.status === 'streaming' && (
                <button type="button" onClick={() => stop(m.messageId)}>
                  Stop
                </button>
              )}
            </footer>
          </article>
        );
      })}
      {waiting.map((p) => (
        <article key={p.requestId} className="message user pending" data-testid="pending">
          <p className="text">{p.text}</p>
          <footer>
            <span className="status">
              {p.state === 'sending' && 'sending…'}
              {p.state === 'sent' && 'waiting for the producer…'}
              {p.state === 'failed' && `not sent: ${p.error}`}
            </span>
          </footer>
        </article>
      ))}
      <div ref={end} />
    </section>
  );
}
