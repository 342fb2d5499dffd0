import type { ActiveStreamSnapshot } from '@spool/core';
import { channelTopic } from '@spool/core/protocol';
import { useEndChannel, useEndMessage, useMessageQuery } from '../api/queries';
import { routeHref } from '../app/router';
import { ConfirmButton } from '../components/ConfirmButton';
import { formatCount } from '../components/format';
import { ActionError, ErrorState, Loading } from '../components/states';
import { useLiveMessage } from '../live/live-hooks';

/**
 * One message's text assembling live. `GET /v1/messages/:id` gives the meta and the text
 * so far; the channel subscription (compacted catchup, then live deltas) takes over as
 * soon as it has folded a chunk.
 */
export function StreamWatch({
  messageId,
  row,
}: {
  messageId: string;
  row: ActiveStreamSnapshot | undefined;
}) {
  const detail = useMessageQuery(messageId);
  const meta = detail.data?.meta;
  const channel = row ?? meta;
  const topic = channel ? channelTopic(channel.channelType, channel.channelId) : null;
  const assembled = useLiveMessage(topic, messageId);
  const endMessage = useEndMessage();
  const endChannel = useEndChannel();

  // An end with reason `error` shows as `ended (error)`, as the HTTP detail says it.
  const liveStatus = assembled?.status === 'error' ? 'ended' : assembled?.status;
  const useLive = !!assembled && (assembled.lastChunkId >= 0 || liveStatus === 'ended');
  const text = useLive ? assembled.text : (detail.data?.text ?? '');
  // The live feed knows best once it has ended or interrupted the message (the server may
  // have restarted, so the HTTP detail can be gone or stale).
  const status =
    liveStatus === 'ended' || liveStatus === 'interrupted'
      ? liveStatus
      : (detail.data?.status ?? 'streaming');
  const reason = assembled?.reason ?? detail.data?.reason ?? null;
  const chunks = useLive ? assembled.lastChunkId + 1 : (detail.data?.chunks ?? row?.chunks ?? 0);

  return (
    <section className="card watch" aria-labelledby="watch-title">
      <div className="watch-head">
        <h2 id="watch-title">
          Message <span className="mono">{messageId}</span>
        </h2>
        <a className="btn btn-small" href={routeHref('streams')}>
          Close
        </a>
      </div>
      {!channel && detail.isPending && <Loading what="the message" />}
      {!channel && detail.isError && (
        <ErrorState what="the message" error={detail.error} onRetry={() => void detail.refetch()} />
      )}
      {channel && (
        <>
          <dl className="facts">
            <div>
              <dt>Channel</dt>
              <dd className="mono">{topic}</dd>
            </div>
            <div>
              <dt>Sender</dt>
              <dd>{(row?.fromUid ?? meta?.fromUid) || '–'}</dd>
            </div>
            <div>
              <dt>Chunks</dt>
              <dd data-testid="watch-chunks">{formatCount(chunks)}</dd>
            </div>
            <div>
              <dt>Status</dt>
              <dd data-testid="watch-status">
                {status}
                {reason ? ` (${reason})` : ''}
              </dd>
            </div>
          </dl>
          <pre className="message-text" data-testid="watch-text">
            {text}
            {status === 'streaming' && <span className="caret" aria-hidden="true" />}
          </pre>
          <div className="toolbar">
            <ConfirmButton
              className="btn"
              disabled={status === 'ended' || endMessage.isPending}
              question={`End message ${messageId} now (reason success)?`}
              confirmLabel="End"
              onConfirm={() => endMessage.mutate({ messageId, reason: 'success' })}
            >
              End stream
            </ConfirmButton>
            <ConfirmButton
              disabled={status === 'ended' || endMessage.isPending}
              question={`Cancel message ${messageId}? Its producer is told to stop.`}
              confirmLabel="Cancel message"
              dismissLabel="Keep it"
              onConfirm={() => endMessage.mutate({ messageId, reason: 'cancelled' })}
            >
              Cancel stream
            </ConfirmButton>
            <ConfirmButton
              question={`End every stream in ${topic}?`}
              confirmLabel="End all"
              onConfirm={() =>
                endChannel.mutate({ channelType: channel.channelType, channelId: channel.channelId })
              }
            >
              End all in this channel
            </ConfirmButton>
          </div>
          <ActionError error={endMessage.error ?? endChannel.error} />
        </>
      )}
    </section>
  );
}
