import { type FormEvent, useMemo, useState } from 'react';
import { useStoreSearchQuery } from '../api/queries';
import type { StoreQuery } from '../api/routes';
import { useStats } from '../app/env';
import { formatCount } from '../components/format';
import { Empty, ErrorState, Loading } from '../components/states';

type By = 'channel' | 'sender' | 'field';

interface Form {
  by: By;
  channelType: string;
  channelId: string;
  fromUid: string;
  field: string;
  value: string;
  json: boolean;
}

const emptyForm: Form = {
  by: 'channel',
  channelType: '1',
  channelId: '',
  fromUid: '',
  field: '',
  value: '',
  json: false,
};

/**
 * The query `GET /v1/store/messages` takes for what the operator typed, or why there is
 * none yet (a field left empty, a channel type that is not 0 to 255).
 */
export function storeQuery(f: Form): StoreQuery | string {
  if (f.by === 'channel') {
    const type = Number(f.channelType);
    if (!/^\d{1,3}$/.test(f.channelType) || type > 255)
      return 'The channel type is an integer from 0 to 255.';
    if (!f.channelId) return 'Give the channel ID.';
    return { channelType: type, channelId: f.channelId };
  }
  if (f.by === 'sender') return f.fromUid ? { fromUid: f.fromUid } : 'Give the sender (fromUid).';
  if (!f.field || !f.value) return 'Give the custom field and its value.';
  return f.json ? { field: f.field, value: f.value, json: 1 } : { field: f.field, value: f.value };
}

/**
 * Searches the finished messages the store holds (PostgreSQL, the embedded data directory
 * or memory) by channel, sender or custom field, newest first, a page of 50 at a time.
 */
export function StoredView() {
  const kind = useStats((s) => s.stats?.store.kind);
  const [form, setForm] = useState<Form>(emptyForm);
  const [filter, setFilter] = useState<StoreQuery | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const query = useStoreSearchQuery(filter);
  const rows = useMemo(() => query.data?.pages.flatMap((p) => p.items) ?? [], [query.data]);
  const set = (patch: Partial<Form>) => setForm((f) => ({ ...f, ...patch }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const q = storeQuery(form);
    if (typeof q === 'string') {
      setProblem(q);
      return;
    }
    setProblem(null);
    setFilter(q);
  };

  return (
    <section aria-labelledby="stored-title" className="view">
      <h1 id="stored-title">Stored messages</h1>
      {kind === 'memory' && (
        <p className="muted" data-testid="stored-memory-note">
          The store is in memory: it holds only what finished since the server started. Start with --data or
          SPOOL_DATABASE_URL to keep messages.
        </p>
      )}
      <form className="filters" aria-label="Search stored messages" onSubmit={submit}>
        <label>
          Search by{' '}
          <select value={form.by} onChange={(e) => set({ by: e.target.value as By })}>
            <option value="channel">Channel</option>
            <option value="sender">Sender</option>
            <option value="field">Custom field</option>
          </select>
        </label>
        {form.by === 'channel' && (
          <>
            <label>
              Channel type{' '}
              <input value={form.channelType} onChange={(e) => set({ channelType: e.target.value })} />
            </label>
            <label>
              Channel ID <input value={form.channelId} onChange={(e) => set({ channelId: e.target.value })} />
            </label>
          </>
        )}
        {form.by === 'sender' && (
          <label>
            Sender <input value={form.fromUid} onChange={(e) => set({ fromUid: e.target.value })} />
          </label>
        )}
        {form.by === 'field' && (
          <>
            <label>
              Field <input value={form.field} onChange={(e) => set({ field: e.target.value })} />
            </label>
            <label>
              Value <input value={form.value} onChange={(e) => set({ value: e.target.value })} />
            </label>
            <label title="Match the value as JSON: 3 finds the number 3, true the boolean; without it, the text.">
              <input type="checkbox" checked={form.json} onChange={(e) => set({ json: e.target.checked })} />{' '}
              as JSON
            </label>
          </>
        )}
        <button type="submit" className="btn">
          Search
        </button>
      </form>
      {problem && (
        <p role="alert" className="action-error">
          {problem}
        </p>
      )}
      {filter === null ? (
        <Empty title="Search the store.">
          Finished messages, newest first, by channel, sender or custom field.
        </Empty>
      ) : query.isPending ? (
        <Loading what="stored messages" />
      ) : query.isError ? (
        <ErrorState what="stored messages" error={query.error} onRetry={() => void query.refetch()} />
      ) : rows.length === 0 ? (
        <Empty title="No stored message matches." />
      ) : (
        <div className="table-wrap">
          <table className="table table-stack" aria-label="Stored messages">
            <thead>
              <tr>
                <th scope="col">Message ID</th>
                <th scope="col">Channel</th>
                <th scope="col">Sender</th>
                <th scope="col">Reason</th>
                <th scope="col">Text</th>
                <th scope="col" className="num">
                  Chunks
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((m) => (
                <tr key={m.messageId} data-testid={`stored-row-${m.messageId}`}>
                  <th scope="row" className="mono" data-label="Message ID">
                    {m.messageId}
                  </th>
                  <td className="mono" data-label="Channel">
                    {m.channelType}:{m.channelId}
                  </td>
                  <td data-label="Sender">{m.meta.fromUid || '–'}</td>
                  <td data-label="Reason">{m.reason}</td>
                  <td className="small" data-label="Text">
                    {m.text.length > 200 ? `${m.text.slice(0, 200)}…` : m.text}
                  </td>
                  <td className="num" data-label="Chunks">
                    {formatCount(m.lastChunkId + 1)}
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
          Load older messages
        </button>
      )}
    </section>
  );
}
