import type { AssembledMessage } from '@spool/client';
import { useSpoolClient } from '@spool/client/react';
import { type FormEvent, useEffect, useState } from 'react';
import { useMessageQuery, useStartDemoReply } from '../api/queries';
import { formatCount } from '../components/format';
import { LiveBadge } from '../components/LiveBadge';
import { ActionError } from '../components/states';
import { useLiveMessage } from '../live/live-hooks';

/** How often "Keep dropping the connection" drops it. */
export const CHAOS_INTERVAL_MS = 2000;

/**
 * Starts a simulated LLM reply (`POST /v1/demo/replies`, needs `spool serve --demo`) and
 * shows it assembling live; dropping the connection shows the client resuming from its
 * last event ID, and the finished text is checked against the stored message.
 */
export function PlaygroundView() {
  const live = useSpoolClient();
  const [channel, setChannel] = useState('chan:1:general');
  const [current, setCurrent] = useState<{ messageId: string; topic: string } | null>(null);
  const [drops, setDrops] = useState(0);
  const [chaos, setChaos] = useState(false);
  const start = useStartDemoReply();
  const message = useLiveMessage(current?.topic ?? null, current?.messageId ?? null);
  const streaming =
    !!current &&
    message?.status !== 'ended' &&
    message?.status !== 'error' &&
    message?.status !== 'interrupted';

  const drop = () => {
    live.reconnect();
    setDrops((n) => n + 1);
  };

  useEffect(() => {
    if (!chaos || !streaming) return;
    const timer = setInterval(() => {
      live.reconnect();
      setDrops((n) => n + 1);
    }, CHAOS_INTERVAL_MS);
    return () => clearInterval(timer);
  }, [chaos, streaming, live]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setDrops(0);
    start.mutate(channel.trim(), { onSuccess: (reply) => setCurrent(reply) });
  };

  return (
    <section aria-labelledby="playground-title" className="view">
      <h1 id="playground-title">Playground</h1>
      <div className="grid-2">
        <form className="card stack" onSubmit={submit} aria-labelledby="start-title">
          <h2 id="start-title">Simulated reply</h2>
          <label className="field">
            <span>Channel topic</span>
            <input
              value={channel}
              onChange={(e) => setChannel(e.target.value)}
              required
              pattern="chan:\d+:.+"
            />
          </label>
          <button type="submit" className="btn btn-primary" disabled={start.isPending}>
            Start reply
          </button>
          <ActionError error={start.error} />
        </form>
        <section className="card" aria-labelledby="conn-title">
          <h2 id="conn-title">Connection</h2>
          <p>
            <LiveBadge testId="playground-live-state" />
          </p>
          <div className="toolbar">
            <button type="button" className="btn" onClick={drop}>
              Drop connection
            </button>
            <button
              type="button"
              role="switch"
              aria-checked={chaos}
              className={`btn switch${chaos ? ' switch-on' : ''}`}
              onClick={() => setChaos(!chaos)}
            >
              <span className="switch-knob" aria-hidden="true" />
              Keep dropping the connection
            </button>
          </div>
          <p className="muted">
            Drops: <span data-testid="playground-drops">{drops}</span>. Each drop reconnects and resumes every
            subscription after its last event ID.
          </p>
        </section>
      </div>
      <section className="card" aria-labelledby="reply-title">
        <h2 id="reply-title">Reply</h2>
        {!current ? (
          <p className="muted">Start a reply to watch it stream.</p>
        ) : (
          <ReplyView messageId={current.messageId} topic={current.topic} message={message} />
        )}
      </section>
    </section>
  );
}

function ReplyView({
  messageId,
  topic,
  message,
}: {
  messageId: string;
  topic: string;
  message: AssembledMessage | undefined;
}) {
  const ended = message?.status === 'ended' || message?.status === 'error';
  const interrupted = message?.status === 'interrupted';
  return (
    <>
      <dl className="facts">
        <div>
          <dt>Message</dt>
          <dd className="mono" data-testid="playground-message-id">
            {messageId}
          </dd>
        </div>
        <div>
          <dt>Topic</dt>
          <dd className="mono">{topic}</dd>
        </div>
        <div>
          <dt>Chunks</dt>
          <dd data-testid="playground-chunks">{formatCount(message ? message.lastChunkId + 1 : 0)}</dd>
        </div>
        <div>
          <dt>Status</dt>
          <dd data-testid="playground-status">
            {message ? (ended ? `ended (${message.reason})` : message.status) : 'waiting'}
          </dd>
        </div>
      </dl>
      <pre className="message-text" data-testid="playground-text">
        {message?.text ?? ''}
        {!ended && !interrupted && <span className="caret" aria-hidden="true" />}
      </pre>
      {ended && message && <Verification messageId={messageId} text={message.text} />}
    </>
  );
}

/** Compares the text assembled live with the message the store persisted. */
function Verification({ messageId, text }: { messageId: string; text: string }) {
  const stored = useMessageQuery(messageId);
  let result: string;
  let ok = false;
  if (stored.isPending) result = 'Checking against the stored message…';
  else if (stored.isError) result = 'Could not read the stored message to compare.';
  else if (stored.data.text === text) {
    ok = true;
    result = `Matches the stored message: ${formatCount(text.length)} characters, nothing lost.`;
  } else
    result = `Differs from the stored message (${stored.data.text.length} vs ${text.length} characters).`;
  return (
    <p className={ok ? 'verify-ok' : 'verify'} role="status" data-testid="playground-verify" data-ok={ok}>
      {result}
    </p>
  );
}
