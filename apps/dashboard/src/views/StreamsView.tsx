import type { ActiveStreamSnapshot } from '@spool/core';
import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useMemo, useState } from 'react';
import {
  CLUSTER_MESSAGES_REFRESH_MS,
  queryKeys,
  useEndChannel,
  useEndMessage,
  useMessagesQuery,
} from '../api/queries';
import { useStats } from '../app/env';
import { routeHref } from '../app/router';
import { ConfirmButton } from '../components/ConfirmButton';
import { formatBytes, formatCount, formatDuration } from '../components/format';
import { ActionError, Empty, ErrorState, Loading } from '../components/states';
import { useServerNow } from '../components/useNow';
import { StreamWatch } from './StreamWatch';
import {
  emptyStreamFilter,
  filterChannel,
  matchesStreamFilter,
  type StreamFilter,
  serverQuery,
} from './streamFilter';

/**
 * Every open message in the StreamCache, live: the list comes from `GET /v1/messages`
 * (paginated, filtered on the server), and each `$sys` snapshot updates chunks, bytes and
 * idle time, adds new streams and drops ended ones. In a cluster the list holds every
 * instance's open messages and `$sys` only this instance's, so the list is re-read instead.
 */
export function StreamsView({ watch }: { watch: string | null }) {
  const [filter, setFilter] = useState<StreamFilter>(emptyStreamFilter);
  const clustered = useStats((s) => s.stats?.cluster !== undefined);
  const query = useMessagesQuery(serverQuery(filter), clustered ? CLUSTER_MESSAGES_REFRESH_MS : false);
  const rows = useLiveRows(
    query.data?.pages.flatMap((p) => p.items),
    query.dataUpdatedAt,
    filter,
  );
  const endMessage = useEndMessage();
  const endChannel = useEndChannel();
  const channel = filterChannel(filter);
  const watched = watch ? rows.find((r) => r.messageId === watch) : undefined;

  return (
    <section aria-labelledby="streams-title" className="view">
      <h1 id="streams-title">Live streams</h1>
      <FilterForm value={filter} onApply={setFilter} />
      {watch && <StreamWatch messageId={watch} row={watched} />}
      {channel && (
        <div className="toolbar">
          <ConfirmButton
            question={`End every stream in chan:${channel.channelType}:${channel.channelId}?`}
            confirmLabel="End all"
            onConfirm={() => endChannel.mutate(channel)}
          >
            End all in channel
          </ConfirmButton>
          {endChannel.data && (
            <span role="status" className="muted">
              Ended {endChannel.data.ended} stream{endChannel.data.ended === 1 ? '' : 's'}.
            </span>
          )}
          <ActionError error={endChannel.error} />
        </div>
      )}
      <ActionError error={endMessage.error} />
      {query.isPending ? (
        <Loading what="open streams" />
      ) : query.isError && rows.length === 0 ? (
        <ErrorState what="open streams" error={query.error} onRetry={() => void query.refetch()} />
      ) : rows.length === 0 ? (
        <Empty title={isFiltered(filter) ? 'No open stream matches this filter.' : 'No open streams.'}>
          Streams appear here while a producer writes a message.
        </Empty>
      ) : (
        <StreamTable
          rows={rows}
          onEnd={(messageId, reason) => endMessage.mutate({ messageId, reason })}
          busy={endMessage.isPending}
        />
      )}
      {query.hasNextPage && (
        <button
          type="button"
          className="btn"
          onClick={() => void query.fetchNextPage()}
          disabled={query.isFetchingNextPage}
        >
          Load more
        </button>
      )}
    </section>
  );
}

function isFiltered(f: StreamFilter): boolean {
  return Object.values(f).some((v) => v !== '');
}

/** Overlays the live `$sys` snapshot on the HTTP list (see {@link StreamsView}). */
function useLiveRows(
  items: ActiveStreamSnapshot[] | undefined,
  fetchedAt: number,
  filter: StreamFilter,
): ActiveStreamSnapshot[] {
  const stats = useStats((s) => s.stats);
  const receivedAt = useStats((s) => s.receivedAt);
  const qc = useQueryClient();
  // `$sys` carries at most 100 streams: when it holds them all it is the whole truth;
  // otherwise re-read the list whenever streams complete. In a cluster it never is: the
  // list also holds messages open on other instances (docs/architecture.md, "Messages
  // across instances").
  const complete = !!stats && !stats.cluster && stats.cache.streams <= stats.streams.length;
  const completed = stats?.cache.completed;
  useEffect(() => {
    if (completed !== undefined && !complete) void qc.invalidateQueries({ queryKey: queryKeys.messagesAll });
  }, [completed, complete, qc]);

  return useMemo(() => {
    if (!items) return [];
    const byId = new Map<string, ActiveStreamSnapshot>();
    for (const item of items) byId.set(item.messageId, item);
    if (stats) {
      const fresher = receivedAt > fetchedAt;
      const live = new Map(stats.streams.map((s) => [s.messageId, s]));
      for (const id of [...byId.keys()]) {
        const update = live.get(id);
        if (update) byId.set(id, update);
        else if (complete && fresher) byId.delete(id);
      }
      if (fresher) for (const s of stats.streams) if (!byId.has(s.messageId)) byId.set(s.messageId, s);
    }
    return [...byId.values()]
      .filter((s) => matchesStreamFilter(s, filter))
      .sort((a, b) => b.createdAt - a.createdAt);
  }, [items, fetchedAt, stats, receivedAt, complete, filter]);
}

function FilterForm({ value, onApply }: { value: StreamFilter; onApply(f: StreamFilter): void }) {
  const [draft, setDraft] = useState(value);
  const field = (
    key: keyof StreamFilter,
    label: string,
    props: { inputMode?: 'numeric'; placeholder?: string } = {},
  ) => (
    <label className="field">
      <span>{label}</span>
      <input
        name={key}
        value={draft[key]}
        onChange={(e) => setDraft({ ...draft, [key]: e.target.value })}
        {...props}
      />
    </label>
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onApply({ ...draft, channelType: draft.channelType.trim(), channelId: draft.channelId.trim() });
  };
  return (
    <form className="filters card" onSubmit={submit} aria-label="Filter streams">
      {field('channelType', 'Channel type', { inputMode: 'numeric', placeholder: '1' })}
      {field('channelId', 'Channel ID', { placeholder: 'general' })}
      {field('fromUid', 'User', { placeholder: 'sender uid' })}
      {field('field', 'Custom field', { placeholder: 'name' })}
      {field('value', 'Field value', { placeholder: 'value' })}
      <div className="filters-actions">
        <button type="submit" className="btn btn-primary">
          Apply filter
        </button>
        <button
          type="button"
          className="btn"
          onClick={() => {
            setDraft(emptyStreamFilter);
            onApply(emptyStreamFilter);
          }}
        >
          Clear
        </button>
      </div>
    </form>
  );
}

function StreamTable({
  rows,
  onEnd,
  busy,
}: {
  rows: ActiveStreamSnapshot[];
  onEnd(messageId: string, reason: 'success' | 'cancelled'): void;
  busy: boolean;
}) {
  const now = useServerNow();
  return (
    <div className="table-wrap">
      <table className="table table-stack" aria-label="Open streams">
        <thead>
          <tr>
            <th scope="col">Message ID</th>
            <th scope="col">Channel</th>
            <th scope="col">Sender</th>
            <th scope="col" className="num">
              Chunks
            </th>
            <th scope="col" className="num">
              Bytes
            </th>
            <th scope="col" className="num">
              Age
            </th>
            <th scope="col" className="num">
              Idle
            </th>
            <th scope="col">Fields</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((s) => (
            <tr key={s.messageId} data-testid={`stream-row-${s.messageId}`}>
              <th scope="row" className="mono" data-label="Message ID">
                {s.messageId}
              </th>
              <td className="mono" data-label="Channel">
                chan:{s.channelType}:{s.channelId}
              </td>
              <td data-label="Sender">{s.fromUid || '–'}</td>
              <td className="num" data-label="Chunks" data-testid={`stream-chunks-${s.messageId}`}>
                {formatCount(s.chunks)}
              </td>
              <td className="num" data-label="Bytes" title={`${s.bytes} bytes`}>
                {formatBytes(s.bytes)}
              </td>
              <td className="num" data-label="Age">
                {formatDuration(now - s.createdAt)}
              </td>
              <td className="num" data-label="Idle">
                {formatDuration(now - s.updatedAt)}
              </td>
              <td className="fields" data-label="Fields">
                {Object.entries(s.customFields).map(([k, v]) => (
                  <span key={k} className="tag">
                    {k}={String(v)}
                  </span>
                ))}
              </td>
              <td className="actions">
                <div className="row-actions">
                  <a
                    className="btn btn-small"
                    href={routeHref('streams', s.messageId)}
                    aria-label={`Watch message ${s.messageId}`}
                  >
                    Watch
                  </a>
                  <ConfirmButton
                    className="btn btn-small"
                    disabled={busy}
                    ariaLabel={`End message ${s.messageId}`}
                    question={`End message ${s.messageId} now (reason success)?`}
                    confirmLabel="End"
                    onConfirm={() => onEnd(s.messageId, 'success')}
                  >
                    End
                  </ConfirmButton>
                  <ConfirmButton
                    className="btn btn-small btn-danger"
                    disabled={busy}
                    ariaLabel={`Cancel message ${s.messageId}`}
                    question={`Cancel message ${s.messageId}? Its producer is told to stop.`}
                    confirmLabel="Cancel message"
                    dismissLabel="Keep it"
                    onConfirm={() => onEnd(s.messageId, 'cancelled')}
                  >
                    Cancel
                  </ConfirmButton>
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
