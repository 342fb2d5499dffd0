import { useStats } from '../app/env';

/**
 * Marks data that belongs to the instance the dashboard is connected to, not to the
 * cluster: each `spool serve` keeps its own audit log and dead letters (docs/http-api.md,
 * "Operators" and "Dead letters"). Names the instance when clustered.
 *
 * @example <h2>Audit log</h2><InstanceScope />
 */
export function InstanceScope() {
  const self = useStats((s) => s.stats?.cluster?.self);
  return (
    <span
      className="tag tag-scope"
      data-testid="instance-scope"
      title="Kept by the instance this dashboard is connected to; other instances of the cluster keep their own."
    >
      this instance{self ? `: ${self.instanceId}` : ''}
    </span>
  );
}
