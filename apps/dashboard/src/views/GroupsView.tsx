import type { BrokerStreamSnapshot } from '@spool/core';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useRef } from 'react';
import { queryKeys, useStreamQuery, useStreamsQuery } from '../api/queries';
import type { GroupInfo } from '../api/routes';
import { useStats } from '../app/env';
import { formatCountOf } from '../components/format';
import { InstanceScope } from '../components/InstanceScope';
import { Empty, ErrorState, Loading } from '../components/states';
import { mergeLive } from '../live/merge-live';
import { DeadLetters } from './DeadLetters';
import { GroupPanel } from './GroupPanel';

/** Dead-letter streams are named after their source stream (`spool:completed` → `spool:completed:dead`). */
export const DEAD_LETTER_SUFFIX = ':dead';

/**
 * Every broker stream with its consumer groups: the list from `GET /v1/streams`, group
 * totals live from `$sys`, consumers and pending entries from the per-stream routes.
 */
export function GroupsView() {
  const query = useStreamsQuery();
  const live = useStats((s) => s.stats?.broker.streams);
  const streams = useMemo(
    () => mergeLive<BrokerStreamSnapshot>(query.data?.pages, live, (s) => s.key, query.data !== undefined),
    [query.data, live],
  );
  const regular = streams.filter((s) => !s.key.endsWith(DEAD_LETTER_SUFFIX));
  const dead = streams.filter((s) => s.key.endsWith(DEAD_LETTER_SUFFIX));

  return (
    <section aria-labelledby="groups-title" className="view">
      <h1 id="groups-title">Consumer groups</h1>
      <p className="muted" data-testid="groups-scope">
        The broker streams written through this instance, and the completion stream with its dead letters.
        Their groups, consumers and entries are the broker's, the same on every instance. <InstanceScope />
      </p>
      {query.isPending ? (
        <Loading what="broker streams" />
      ) : query.isError && streams.length === 0 ? (
        <ErrorState what="broker streams" error={query.error} onRetry={() => void query.refetch()} />
      ) : regular.length === 0 ? (
        <Empty title="No broker streams yet.">
          Finished messages are added to <code>spool:completed</code>; its groups appear here.
        </Empty>
      ) : (
        regular.map((s) => <BrokerStreamCard key={s.key} snapshot={s} />)
      )}
      {query.hasNextPage && (
        <button
          type="button"
          className="btn"
          onClick={() => void query.fetchNextPage()}
          disabled={query.isFetchingNextPage}
        >
          Load more streams
        </button>
      )}
      {query.data && <DeadLetters streams={dead} />}
    </section>
  );
}

function BrokerStreamCard({ snapshot }: { snapshot: BrokerStreamSnapshot }) {
  const info = useStreamQuery(snapshot.key);
  // When the live totals move (an ack, a read, a claim), re-read the consumer rows at once
  // instead of at the next poll, so the group and its consumers never disagree for long.
  const queryClient = useQueryClient();
  const liveTotals = snapshot.groups.map((g) => `${g.name}:${g.pending}:${g.lastDeliveredId}`).join('|');
  const seenTotals = useRef(liveTotals);
  useEffect(() => {
    if (seenTotals.current === liveTotals) return;
    seenTotals.current = liveTotals;
    void queryClient.invalidateQueries({ queryKey: queryKeys.stream(snapshot.key) });
  }, [liveTotals, queryClient, snapshot.key]);
  // Consumers come from the stream info; pending, lag and last-delivered from the
  // fresher of the two (the `$sys` snapshot updates every second).
  const groups: GroupInfo[] = useMemo(() => {
    const fromInfo = new Map((info.data?.groups ?? []).map((g) => [g.name, g]));
    const names = new Set([...snapshot.groups.map((g) => g.name), ...fromInfo.keys()]);
    return [...names].map((name) => {
      const full = fromInfo.get(name);
      const totals = snapshot.groups.find((g) => g.name === name);
      return {
        name,
        consumers: full?.consumers ?? [],
        entriesRead: full?.entriesRead ?? null,
        pending: totals?.pending ?? full?.pending ?? 0,
        lag: totals ? totals.lag : (full?.lag ?? null),
        lastDeliveredId: totals?.lastDeliveredId ?? full?.lastDeliveredId ?? '0-0',
      };
    });
  }, [info.data, snapshot]);

  return (
    <section
      className="card stream-card"
      aria-labelledby={`stream-${snapshot.key}`}
      data-testid={`broker-stream-${snapshot.key}`}
    >
      <header className="stream-card-head">
        <h2 id={`stream-${snapshot.key}`} className="mono">
          {snapshot.key}
        </h2>
        <span className="muted">
          {formatCountOf(snapshot.length, 'entry', 'entries')} · last ID{' '}
          <span className="mono">{snapshot.lastId ?? '–'}</span>
        </span>
      </header>
      {info.isError && (
        <ErrorState
          what={`the groups of ${snapshot.key}`}
          error={info.error}
          onRetry={() => void info.refetch()}
        />
      )}
      {groups.length === 0 ? (
        <p className="muted">No consumer groups on this stream.</p>
      ) : (
        groups.map((g) => (
          <GroupPanel key={g.name} streamKey={snapshot.key} group={g} loadingConsumers={info.isPending} />
        ))
      )}
    </section>
  );
}
