import type { TopicStatsSnapshot } from '@spool/core';
import { useMemo } from 'react';
import { useTopicsQuery } from '../api/queries';
import { useStats } from '../app/env';
import { formatBytes, formatCount, formatDuration, formatRate } from '../components/format';
import { InstanceScope } from '../components/InstanceScope';
import { Empty, ErrorState, Loading } from '../components/states';
import { mergeLive } from '../live/merge-live';

/**
 * Every topic with its retention and traffic: `GET /v1/topics` (paginated), kept live by
 * the `$sys` snapshot's most active topics.
 */
export function TopicsView() {
  const query = useTopicsQuery();
  const live = useStats((s) => s.stats?.topics.list);
  const clustered = useStats((s) => s.stats?.cluster !== undefined);
  const rows = useMemo(
    () => mergeLive<TopicStatsSnapshot>(query.data?.pages, live, (t) => t.name, query.data !== undefined),
    [query.data, live],
  );

  return (
    <section aria-labelledby="topics-title" className="view">
      <h1 id="topics-title">Topics</h1>
      <p className="muted" data-testid="topics-scope">
        {clustered
          ? "Every topic of the cluster (the shared topic index); subscribers and rates are this instance's."
          : 'The topics published to or subscribed to through this server.'}{' '}
        <InstanceScope />
      </p>
      {query.isPending ? (
        <Loading what="topics" />
      ) : query.isError && rows.length === 0 ? (
        <ErrorState what="topics" error={query.error} onRetry={() => void query.refetch()} />
      ) : rows.length === 0 ? (
        <Empty title="No topics yet.">
          A topic appears when something is published to it or a client subscribes.
        </Empty>
      ) : (
        <div className="table-wrap">
          <table className="table table-stack" aria-label="Topics">
            <thead>
              <tr>
                <th scope="col">Topic</th>
                <th scope="col">Retention</th>
                <th scope="col" className="num">
                  Retained
                </th>
                <th scope="col">First ID</th>
                <th scope="col">Last ID</th>
                <th scope="col" className="num">
                  Subscribers
                </th>
                <th scope="col" className="num">
                  Events / sec
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((t) => (
                <tr key={t.name} data-testid={`topic-row-${t.name}`}>
                  <th scope="row" className="mono" data-label="Topic">
                    {t.name}
                  </th>
                  <td className="small" data-label="Retention">
                    {formatCount(t.retention.maxEvents)} events · {formatBytes(t.retention.maxBytes)} ·{' '}
                    {formatDuration(t.retention.maxAgeMs)}
                  </td>
                  <td className="num" data-label="Retained" data-testid={`topic-retained-${t.name}`}>
                    {formatCount(t.retainedEvents)}
                    <span className="muted small"> ({formatBytes(t.retainedBytes)})</span>
                  </td>
                  <td className="mono" data-label="First ID">
                    {t.firstId ?? '–'}
                  </td>
                  <td className="mono" data-label="Last ID">
                    {t.lastId ?? '–'}
                  </td>
                  <td className="num" data-label="Subscribers" data-testid={`topic-subscribers-${t.name}`}>
                    {formatCount(t.subscribers)}
                  </td>
                  <td className="num" data-label="Events / sec" data-testid={`topic-rate-${t.name}`}>
                    {formatRate(t.eventsPerSec)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {query.hasNextPage && (
        <button
          type="button"
          className="btn"
          onClick={() => void query.fetchNextPage()}
          disabled={query.isFetchingNextPage}
        >
          Load more topics
        </button>
      )}
    </section>
  );
}
