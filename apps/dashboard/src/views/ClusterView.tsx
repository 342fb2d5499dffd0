import type { ClusterInstanceSnapshot, ClusterStatsSnapshot } from '@spool/core';
import type { ReactElement } from 'react';
import { useStatsQuery } from '../api/queries';
import { useStats } from '../app/env';
import { formatCount, formatDuration, formatRate } from '../components/format';
import { Empty, ErrorState, Loading } from '../components/states';

/**
 * The cluster the connected instance belongs to (`SpoolStats.cluster`, live from `$sys`):
 * which instance this is, and every instance that beats with its load. A single process
 * (no `SPOOL_REDIS_URL`) has no cluster section. See docs/architecture.md, "Instances and
 * incarnations".
 */
export function ClusterView() {
  const query = useStatsQuery();
  const stats = useStats((s) => s.stats);

  let body: ReactElement;
  if (!stats) {
    body = query.isError ? (
      <ErrorState what="the stats" error={query.error} onRetry={() => void query.refetch()} />
    ) : (
      <Loading what="the stats" />
    );
  } else if (!stats.cluster) {
    body = (
      <div data-testid="cluster-single">
        <Empty title="Single process: this server is not part of a cluster.">
          Start several <code>spool serve</code> instances with the same <code>SPOOL_REDIS_URL</code> (and{' '}
          <code>SPOOL_REDIS_PREFIX</code>) to share topics, messages and takeover across them.
        </Empty>
      </div>
    );
  } else {
    body = <Cluster cluster={stats.cluster} />;
  }

  return (
    <section aria-labelledby="cluster-title" className="view">
      <h1 id="cluster-title">Cluster</h1>
      {body}
    </section>
  );
}

function Cluster({ cluster }: { cluster: ClusterStatsSnapshot }) {
  const { self, instances } = cluster;
  return (
    <>
      <section className="card" aria-labelledby="cluster-self-title">
        <h2 id="cluster-self-title">Connected to</h2>
        <dl className="facts">
          <div title="SPOOL_INSTANCE_ID: names the instance across restarts.">
            <dt>Instance ID</dt>
            <dd className="mono" data-testid="cluster-self-id">
              {self.instanceId}
            </dd>
          </div>
          <div title="This process start; a restart of the instance is a new incarnation.">
            <dt>Incarnation</dt>
            <dd className="mono" data-testid="cluster-self-incarnation">
              {self.incarnation}
            </dd>
          </div>
          <div>
            <dt>Live instances</dt>
            <dd data-testid="cluster-count">{instances ? formatCount(instances.length) : '—'}</dd>
          </div>
        </dl>
      </section>
      <section className="card" aria-labelledby="cluster-instances-title">
        <h2 id="cluster-instances-title">Live instances</h2>
        {instances === null ? (
          <div className="state state-error" role="alert" data-testid="cluster-unknown">
            <p className="state-title">Redis cannot be read now: the live instances are unknown.</p>
            <p className="state-hint">The list comes back with the next snapshot that reads it.</p>
          </div>
        ) : instances.length === 0 ? (
          <Empty title="No instance beats yet." />
        ) : (
          <InstanceTable instances={instances} self={self} />
        )}
      </section>
    </>
  );
}

function InstanceTable({
  instances,
  self,
}: {
  instances: ClusterInstanceSnapshot[];
  self: ClusterStatsSnapshot['self'];
}) {
  const rows = [...instances].sort((a, b) => a.instanceId.localeCompare(b.instanceId));
  return (
    <div className="table-wrap">
      <table className="table table-stack" aria-label="Live instances">
        <thead>
          <tr>
            <th scope="col">Instance ID</th>
            <th
              scope="col"
              className="num"
              title="Measured on Redis's clock; an instance is dead past SPOOL_INSTANCE_TTL_MS."
            >
              Heartbeat age
            </th>
            <th scope="col" className="num">
              Connections
            </th>
            <th scope="col" className="num">
              Open messages
            </th>
            <th scope="col" className="num">
              Events / sec
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((i) => {
            const isSelf = i.instanceId === self.instanceId && i.incarnation === self.incarnation;
            return (
              <tr
                key={i.instanceId}
                data-testid={`instance-row-${i.instanceId}`}
                aria-current={isSelf ? 'true' : undefined}
              >
                <th
                  scope="row"
                  className="mono"
                  data-label="Instance ID"
                  title={`incarnation ${i.incarnation}`}
                >
                  {i.instanceId}
                  {isSelf && <span className="tag tag-self">this instance</span>}
                </th>
                <td className="num" data-label="Heartbeat age" data-testid={`instance-age-${i.instanceId}`}>
                  {formatDuration(i.heartbeatAgeMs)}
                </td>
                <td
                  className="num"
                  data-label="Connections"
                  data-testid={`instance-connections-${i.instanceId}`}
                >
                  {formatCount(i.connections)}
                </td>
                <td className="num" data-label="Open messages" data-testid={`instance-open-${i.instanceId}`}>
                  {formatCount(i.openMessages)}
                </td>
                <td className="num" data-label="Events / sec" data-testid={`instance-rate-${i.instanceId}`}>
                  {formatRate(i.eventsPerSecond)}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
