import { useAuditQuery } from '../api/queries';
import type { AuditEntry } from '../api/routes';
import { InstanceScope } from '../components/InstanceScope';
import { Empty, ErrorState, Loading } from '../components/states';

/** What each audited action reads as. */
const ACTION_LABELS: Record<AuditEntry['action'], string> = {
  'group.destroyed': 'Group destroyed',
  'consumer.deleted': 'Consumer deleted',
  claim: 'Entries claimed',
  'stream.ended': 'Stream ended',
  'channel.ended': 'Channel ended',
};

/** A detail value as text: arrays and objects as compact JSON, so IDs stay exact. */
function detailText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * The operator actions this server instance audited (`GET /v1/audit`, newest first): who
 * destroyed a group, deleted a consumer, claimed entries or ended a stream, and when. The
 * full trail is in the server's logs (docs/security.md, "Audit log").
 */
export function AuditView() {
  const query = useAuditQuery();
  return (
    <section aria-labelledby="audit-title" className="view">
      <h1 id="audit-title">Audit log</h1>
      <p className="muted">
        Operator actions on this instance, newest first; the server's log keeps every one. Each instance of a
        cluster keeps its own. <InstanceScope />
      </p>
      {query.isPending ? (
        <Loading what="the audit log" />
      ) : query.isError ? (
        <ErrorState what="the audit log" error={query.error} onRetry={() => void query.refetch()} />
      ) : query.data.items.length === 0 ? (
        <Empty title="No operator action yet.">
          Destroying a group, deleting a consumer, claiming entries and ending a stream or a channel show
          here.
        </Empty>
      ) : (
        <div className="table-wrap">
          <table className="table table-stack" aria-label="Audit log">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Action</th>
                <th scope="col">Principal</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {query.data.items.map((e) => (
                <tr key={e.seq} data-testid="audit-row">
                  <td className="small" data-label="When">
                    <time dateTime={new Date(e.at).toISOString()}>{new Date(e.at).toLocaleString()}</time>
                  </td>
                  <th scope="row" data-label="Action">
                    {ACTION_LABELS[e.action] ?? e.action}
                  </th>
                  <td className="mono" data-label="Principal">
                    {e.principal} <span className="muted">({e.role})</span>
                  </td>
                  <td className="fields" data-label="Details">
                    {Object.entries(e.details).map(([k, v]) => (
                      <span key={k} className="tag">
                        {k}={detailText(v)}
                      </span>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
