import { type FormEvent, useState } from 'react';
import { useAutoclaim, useDeleteConsumer, useDestroyGroup, usePendingQuery } from '../api/queries';
import type { GroupInfo } from '../api/routes';
import { ConfirmButton } from '../components/ConfirmButton';
import { formatCount, formatDuration } from '../components/format';
import { ActionError, Empty, ErrorState, Loading } from '../components/states';

/** Default minimum idle time offered for autoclaim: entries idle for a minute are presumed stuck. */
export const DEFAULT_AUTOCLAIM_IDLE_MS = 60_000;

/**
 * One consumer group: totals, consumers, its pending entries list and the operator
 * actions (autoclaim, delete a consumer, destroy the group, the last two confirmed first).
 */
export function GroupPanel({
  streamKey,
  group,
  loadingConsumers,
}: {
  streamKey: string;
  group: GroupInfo;
  loadingConsumers: boolean;
}) {
  const [showPending, setShowPending] = useState(false);
  const deleteConsumer = useDeleteConsumer();
  const destroyGroup = useDestroyGroup();
  const id = `${streamKey}-${group.name}`;

  return (
    <article className="group" aria-labelledby={`group-${id}`}>
      <header className="group-head">
        <h3 id={`group-${id}`}>
          Group <span className="mono">{group.name}</span>
        </h3>
        <dl className="facts facts-inline">
          <div>
            <dt>Pending</dt>
            <dd data-testid={`group-pending-${id}`}>{formatCount(group.pending)}</dd>
          </div>
          <div>
            <dt>Lag</dt>
            <dd data-testid={`group-lag-${id}`}>{group.lag === null ? 'unknown' : formatCount(group.lag)}</dd>
          </div>
          <div>
            <dt>Last delivered</dt>
            <dd className="mono">{group.lastDeliveredId}</dd>
          </div>
          <div>
            <dt>Consumers</dt>
            <dd>{formatCount(group.consumers.length)}</dd>
          </div>
        </dl>
      </header>

      {loadingConsumers && group.consumers.length === 0 ? (
        <Loading what="consumers" />
      ) : group.consumers.length === 0 ? (
        <p className="muted">No consumers have read from this group yet.</p>
      ) : (
        <div className="table-wrap">
          <table className="table" aria-label={`Consumers of ${group.name}`}>
            <thead>
              <tr>
                <th scope="col">Consumer</th>
                <th scope="col" className="num">
                  Pending
                </th>
                <th scope="col" className="num">
                  Idle
                </th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {group.consumers.map((c) => (
                <tr key={c.name}>
                  <th scope="row" className="mono">
                    {c.name}
                  </th>
                  <td className="num" data-testid={`consumer-pending-${id}-${c.name}`}>
                    {formatCount(c.pending)}
                  </td>
                  <td className="num">{formatDuration(c.idle)}</td>
                  <td className="actions">
                    <div className="row-actions">
                      <ConfirmButton
                        ariaLabel={`Delete consumer ${c.name}`}
                        question={`Delete consumer ${c.name}? Its ${c.pending} pending entries are dropped from the PEL.`}
                        confirmLabel="Delete consumer"
                        onConfirm={() =>
                          deleteConsumer.mutate({ key: streamKey, group: group.name, consumer: c.name })
                        }
                      >
                        Delete
                      </ConfirmButton>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ActionError error={deleteConsumer.error} />

      <div className="toolbar">
        <button
          type="button"
          className="btn"
          aria-expanded={showPending}
          aria-controls={`pel-${id}`}
          onClick={() => setShowPending(!showPending)}
        >
          {showPending ? 'Hide pending entries' : 'Show pending entries'}
        </button>
        <ConfirmButton
          ariaLabel={`Destroy group ${group.name}`}
          question={`Destroy group ${group.name} on ${streamKey}? Its pending entries list is lost.`}
          confirmLabel="Destroy group"
          onConfirm={() => destroyGroup.mutate({ key: streamKey, group: group.name })}
        >
          Destroy group
        </ConfirmButton>
      </div>
      <ActionError error={destroyGroup.error} />
      <div id={`pel-${id}`}>{showPending && <PendingEntries streamKey={streamKey} group={group.name} />}</div>
      <AutoclaimForm streamKey={streamKey} group={group} />
    </article>
  );
}

function PendingEntries({ streamKey, group }: { streamKey: string; group: string }) {
  const query = usePendingQuery(streamKey, group, true);
  if (query.isPending) return <Loading what="pending entries" />;
  if (query.isError)
    return <ErrorState what="pending entries" error={query.error} onRetry={() => void query.refetch()} />;
  const entries = query.data.entries;
  if (entries.length === 0)
    return <Empty title="No pending entries: every delivered entry was acknowledged." />;
  return (
    <div className="table-wrap">
      <table className="table" aria-label={`Pending entries of ${group}`}>
        <thead>
          <tr>
            <th scope="col">Entry ID</th>
            <th scope="col">Consumer</th>
            <th scope="col" className="num">
              Idle
            </th>
            <th scope="col" className="num">
              Deliveries
            </th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.id} data-testid={`pel-row-${e.id}`}>
              <th scope="row" className="mono">
                {e.id}
              </th>
              <td className="mono">{e.consumer}</td>
              <td className="num">{formatDuration(e.idle)}</td>
              <td className="num">{formatCount(e.deliveries)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function AutoclaimForm({ streamKey, group }: { streamKey: string; group: GroupInfo }) {
  // Until the operator types a name, follow the group's first consumer (consumers load later).
  const [typed, setConsumer] = useState<string | null>(null);
  const consumer = typed ?? group.consumers[0]?.name ?? 'dashboard';
  const [minIdle, setMinIdle] = useState(String(DEFAULT_AUTOCLAIM_IDLE_MS));
  const autoclaim = useAutoclaim();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const minIdleMs = Number(minIdle);
    if (!consumer.trim() || !Number.isInteger(minIdleMs) || minIdleMs < 0) return;
    autoclaim.mutate({ key: streamKey, group: group.name, consumer: consumer.trim(), minIdleMs });
  };
  return (
    <form className="inline-form" onSubmit={submit} aria-label={`Autoclaim in ${group.name}`}>
      <label className="field">
        <span>Claim for consumer</span>
        <input value={consumer} onChange={(e) => setConsumer(e.target.value)} required />
      </label>
      <label className="field">
        <span>Min idle (ms)</span>
        <input
          type="number"
          min={0}
          step={1000}
          value={minIdle}
          onChange={(e) => setMinIdle(e.target.value)}
          required
        />
      </label>
      <button type="submit" className="btn" disabled={autoclaim.isPending}>
        Autoclaim
      </button>
      {autoclaim.data && (
        <span role="status" className="muted">
          Claimed {autoclaim.data.entries.length}, {autoclaim.data.deleted.length} no longer in the stream.
        </span>
      )}
      <ActionError error={autoclaim.error} />
    </form>
  );
}
