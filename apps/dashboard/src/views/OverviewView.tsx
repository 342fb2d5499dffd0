import type { ClusterStatsSnapshot } from '@spool/core';
import type { ReactNode } from 'react';
import { useStatsQuery } from '../api/queries';
import { useStats } from '../app/env';
import { routeHref } from '../app/router';
import { BREAKER_DETAIL, dependencyHealth } from '../components/dependencyHealth';
import { formatBytes, formatCount, formatCountOf, formatDuration, formatRate } from '../components/format';
import { Gauge } from '../components/Gauge';
import { InstanceScope } from '../components/InstanceScope';
import { LineChart } from '../components/LineChart';
import { Empty, ErrorState, Loading } from '../components/states';
import { STATS_HISTORY_POINTS } from '../live/statsStore';

/** Connections, topics, the events-per-second chart and the cache gauges, all live from `$sys`. */
export function OverviewView() {
  const query = useStatsQuery();
  const stats = useStats((s) => s.stats);
  const history = useStats((s) => s.history);

  if (!stats) {
    if (query.isError)
      return <ErrorState what="the stats" error={query.error} onRetry={() => void query.refetch()} />;
    return <Loading what="the stats" />;
  }
  const { cache, connections, topics, events } = stats;
  const idle = topics.count === 0 && cache.streams === 0 && events.published === 0;
  const breakers = Object.entries(stats.breakers);

  return (
    <section aria-labelledby="overview-title" className="view">
      <h1 id="overview-title">Overview</h1>
      {idle && (
        <Empty title="No traffic yet.">
          Nothing has been published. Start a simulated reply in the{' '}
          <a href={routeHref('playground')}>Playground</a>, or run the demo producer.
        </Empty>
      )}
      {stats.cluster && <ClusterSummary cluster={stats.cluster} />}
      <div className="kpis">
        <Kpi label="Connections" value={formatCount(connections.total)} testId="stat-connections">
          {connections.ws} WebSocket · {connections.sse} SSE · {connections.lagging} lagging
        </Kpi>
        <Kpi label="Topics" value={formatCount(topics.count)} testId="stat-topics">
          {formatCountOf(topics.subscribers, 'subscriber')}
        </Kpi>
        <Kpi label="Events / sec" value={formatRate(topics.eventsPerSec)} testId="stat-events-per-sec">
          {formatCount(events.published)} published · {formatCount(events.delivered)} delivered
        </Kpi>
        <Kpi label="Open streams" value={formatCount(cache.streams)} testId="stat-streams">
          {formatCount(cache.chunks)} chunks cached
        </Kpi>
      </div>

      <div className="grid-2">
        <section className="card" aria-labelledby="rate-title">
          <h2 id="rate-title">Events per second</h2>
          <LineChart
            values={history.map((p) => p.eventsPerSec)}
            capacity={STATS_HISTORY_POINTS}
            label="Events per second, last 5 minutes"
            format={formatRate}
          />
        </section>
        <section className="card" aria-labelledby="cache-title">
          <h2 id="cache-title">Stream cache</h2>
          <Gauge
            label="Cache memory"
            value={cache.memoryBytes}
            max={cache.maxMemoryBytes}
            format={formatBytes}
            testId="memory-gauge"
          />
          <Gauge
            label="Streams"
            value={cache.streams}
            max={cache.maxStreams}
            format={formatCount}
            testId="streams-gauge"
          />
          <dl className="facts">
            <div>
              <dt>Completed</dt>
              <dd data-testid="stat-completed">{formatCount(cache.completed)}</dd>
            </div>
            <div>
              <dt>Completion failures</dt>
              <dd>{formatCount(cache.completionFailures)}</dd>
            </div>
            <div title="Messages that ended but could not be saved to the store after every retry; they went out with persisted: false and are kept for operators, by the instance that ran them. Not the broker's dead letters (Groups).">
              <dt>Unsaved messages</dt>
              <dd data-testid="stat-unsaved">{formatCount(cache.deadLettered)}</dd>
            </div>
            <div>
              <dt>Bytes out</dt>
              <dd>{formatBytes(events.bytesOut)}</dd>
            </div>
            <div>
              <dt>Uptime</dt>
              <dd>{formatDuration(stats.uptimeMs)}</dd>
            </div>
          </dl>
        </section>
      </div>

      <section className="card" aria-labelledby="breakers-title">
        <h2 id="breakers-title">Dependencies</h2>
        {breakers.length === 0 ? (
          <p className="muted">No circuit breakers (in-memory engine).</p>
        ) : (
          <ul className="breakers">
            {breakers.map(([name, state]) => {
              const health = dependencyHealth(state);
              return (
                <li
                  key={name}
                  className={`breaker breaker-${health}`}
                  data-testid={`breaker-${name}`}
                  title={BREAKER_DETAIL[state]}
                >
                  <span className="breaker-name">{name}</span> <span className="breaker-state">{health}</span>{' '}
                  <span className="breaker-detail">(breaker {state})</span>
                </li>
              );
            })}
          </ul>
        )}
      </section>

      <section className="card" aria-labelledby="store-title">
        <h2 id="store-title">Message store</h2>
        <p className="muted small" data-testid="store-scope">
          Messages waiting for a replay, like unsaved messages, are kept by the instance that ran them.{' '}
          <InstanceScope />
        </p>
        <dl className="facts">
          <div title={STORE_KIND[stats.store.kind] ?? 'A store of the embedding application.'}>
            <dt>Kind</dt>
            <dd data-testid="store-kind">{stats.store.kind}</dd>
          </div>
          <div>
            <dt>Messages stored</dt>
            <dd data-testid="store-messages">{countOrUnknown(stats.store.messages)}</dd>
          </div>
          <div title="Completion records (spool:completed) committed with their message and not yet written to the broker.">
            <dt>Outbox backlog</dt>
            <dd data-testid="store-outbox">{countOrUnknown(stats.store.outboxBacklog)}</dd>
          </div>
          <div title="Finished messages whose save failed, waiting for the next replay (every 5 s, or POST /v1/dead-letters/replay).">
            <dt>Waiting for a replay</dt>
            <dd data-testid="store-dead-letters">{formatCount(stats.store.deadLetters)}</dd>
          </div>
        </dl>
      </section>
    </section>
  );
}

/**
 * The cluster at a glance: how many instances beat, and which one this is. Every other
 * figure of the overview is this instance's own (`SpoolStats.cluster`).
 */
function ClusterSummary({ cluster }: { cluster: ClusterStatsSnapshot }) {
  const count = cluster.instances === null ? '—' : formatCount(cluster.instances.length);
  return (
    <section
      className="card cluster-summary"
      aria-labelledby="cluster-summary-title"
      data-testid="cluster-summary"
    >
      <h2 id="cluster-summary-title">Cluster</h2>
      <p>
        <output data-testid="stat-instances" className="cluster-summary-count">
          {count}
        </output>{' '}
        live {cluster.instances?.length === 1 ? 'instance' : 'instances'}; connected to{' '}
        <span className="mono" data-testid="cluster-summary-self">
          {cluster.self.instanceId}
        </span>
        . The figures below are this instance's own. <a href={routeHref('cluster')}>See the cluster</a>
      </p>
    </section>
  );
}

const STORE_KIND: Record<string, string> = {
  memory:
    'In memory: finished messages are lost on restart (start with --data or SPOOL_DATABASE_URL to keep them).',
  postgres: 'PostgreSQL (SPOOL_DATABASE_URL).',
  pglite: 'Embedded PostgreSQL in a data directory (--data).',
};

/** A count the store could not give (it is down) reads as a dash, never as 0. */
function countOrUnknown(n: number | null): string {
  return n === null ? '—' : formatCount(n);
}

function Kpi({
  label,
  value,
  testId,
  children,
}: {
  label: string;
  value: string;
  testId: string;
  children?: ReactNode;
}) {
  return (
    <div className="kpi card">
      <span className="kpi-label" id={`${testId}-label`}>
        {label}
      </span>
      <output className="kpi-value" data-testid={testId} aria-labelledby={`${testId}-label`}>
        {value}
      </output>
      {children && <span className="kpi-sub">{children}</span>}
    </div>
  );
}
