import type { BrokerStreamSnapshot } from '@spool/core';
import { useEntriesQuery } from '../api/queries';
import { formatCountOf } from '../components/format';
import { Empty, ErrorState, Loading } from '../components/states';

/**
 * Dead-letter streams (`<stream>:dead`): broker entries whose consumers gave up after
 * `maxDeliveries`. Not the Overview's "Unsaved messages" (completions that failed to persist).
 */
export function DeadLetters({ streams }: { streams: BrokerStreamSnapshot[] }) {
  return (
    <section className="card" aria-labelledby="dead-title">
      <h2 id="dead-title">Dead-letter streams</h2>
      <p className="muted">Entries a consumer group gave up on after too many deliveries.</p>
      {streams.length === 0 ? (
        <Empty title="No dead-letter stream: no consumer has given up on an entry." />
      ) : (
        streams.map((s) => <DeadLetterStream key={s.key} stream={s} />)
      )}
    </section>
  );
}

function DeadLetterStream({ stream }: { stream: BrokerStreamSnapshot }) {
  const query = useEntriesQuery(stream.key);
  return (
    <div className="dead" data-testid={`dead-${stream.key}`}>
      <h3 className="mono">
        {stream.key} <span className="muted">({formatCountOf(stream.length, 'entry', 'entries')})</span>
      </h3>
      {query.isPending ? (
        <Loading what="dead letters" />
      ) : query.isError ? (
        <ErrorState what="dead letters" error={query.error} onRetry={() => void query.refetch()} />
      ) : query.data.entries.length === 0 ? (
        <Empty title="Empty." />
      ) : (
        <div className="table-wrap">
          <table className="table" aria-label={`Entries of ${stream.key}`}>
            <thead>
              <tr>
                <th scope="col">Entry ID</th>
                <th scope="col">Fields</th>
              </tr>
            </thead>
            <tbody>
              {query.data.entries.map((e) => (
                <tr key={e.id}>
                  <th scope="row" className="mono">
                    {e.id}
                  </th>
                  <td className="fields">
                    {Object.entries(e.fields).map(([k, v]) => (
                      <span key={k} className="tag">
                        {k}={v}
                      </span>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
