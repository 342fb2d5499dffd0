import {
  type Clock,
  COMPLETED_STREAM,
  completionFields,
  completionKey,
  type EventId,
  type ListAfterOptions,
  type MessageId,
  type MessageStore,
  parseEventId,
  realClock,
  SpoolError,
  type StoreChannel,
  type StoredMessage,
  type StoredMessageInput,
  type StoredMessagePage,
  type StoreFieldValue,
  type StorePageOptions,
  toMessageId,
} from '@spool/core';
import {
  beforeEventId,
  beforeMessageId,
  channelQuery,
  fieldQuery,
  listAfterLimit,
  pageLimit,
  senderQuery,
  toStoredMessage,
} from '@spool/core/internal';
import {
  columnArrays,
  fromRow,
  insertRows,
  MESSAGE_COLUMNS,
  type MessageRow,
  SELECT_LIST,
} from './message-rows';
import { assertSchemaCurrent, migrate } from './migrate';
import { type OutboxBroker, OutboxRelay, type OutboxRelayOptions } from './outbox-relay';
import { SaveBatcher } from './save-batcher';
import { quoteSchema } from './schema-name';
import { isDataError, toStoreError } from './sql-errors';
import type { SqlQueryable, SqlRunner } from './sql-runner';

/** Options of {@link PostgresMessageStore}. */
export interface PostgresMessageStoreOptions {
  /**
   * The schema that holds the tables; created if absent.
   * @default 'spool'
   */
  schema?: string;
  /**
   * Apply missing migrations when the store opens (under an advisory lock, so several
   * processes may open at once). With `false`, the schema must already be current, as
   * after `spool migrate`.
   * @default true
   */
  migrate?: boolean;
  /**
   * Record each saved message's completion (`spool:completed` fields) in the outbox, in
   * the save's own transaction, for an {@link OutboxRelay} to write to the broker exactly
   * once. `false` turns it off (the caller then writes completion records itself).
   * @default { stream: 'spool:completed' }
   */
  completions?:
    | false
    | {
        /** The broker stream the completion records go to. @default 'spool:completed' */
        stream?: string;
      };
  /**
   * Most messages one batched INSERT writes (saves made while a batch is in flight wait
   * for the next one).
   * @default 1000
   */
  maxBatchSize?: number;
  /** Stamps `persistedAt`. @default realClock */
  clock?: Clock;
}

/** Defaults of {@link PostgresMessageStoreOptions}. */
export const postgresMessageStoreDefaults = {
  schema: 'spool',
  migrate: true,
  completions: { stream: COMPLETED_STREAM },
  maxBatchSize: 1000,
} as const;

/** A batch is one statement and one transaction: keep it well below what a statement may hold. */
const MAX_BATCH_SIZE = 10_000;

/** What {@link PostgresMessageStore.stats} reports, for `/readyz` and the dashboard. */
export interface PostgresStoreStats {
  /** Which engine runs the SQL. */
  kind: 'postgres' | 'pglite';
  /** The store's schema. */
  schema: string;
  /** Messages held. */
  messages: number;
  /** Completion records committed but not yet written to the broker. */
  outboxBacklog: number;
  /** Saves waiting for the next batch. */
  queuedSaves: number;
}

/**
 * A {@link MessageStore} on PostgreSQL, through node-postgres or PGlite (the same SQL, the
 * same migrations). Finished messages outlive every process; history queries page on
 * indexes; concurrent saves are batched into one multi-row INSERT per round trip; and a
 * save records the message's completion in an outbox table in the same transaction, so
 * an {@link OutboxRelay} gives exactly one `spool:completed` record per message, across
 * crashes (see packages/server/README.md, "PostgreSQL message store").
 *
 * Open it with `connectPostgresStore` (`@spool/server/postgres`), `openPgliteStore`
 * (`@spool/server/pglite`), or {@link PostgresMessageStore.open} over your own runner.
 *
 * @example
 * const store = await PostgresMessageStore.open(pgRunner(pool), { schema: 'chat' });
 * const relay = store.createRelay(broker);
 * relay.start();
 */
export class PostgresMessageStore implements MessageStore {
  readonly kind: 'postgres' | 'pglite';
  /** The schema of the store's tables. */
  readonly schema: string;
  /**
   * True when saves record completions in the outbox: the chat pipeline then leaves the
   * `spool:completed` record to the relay instead of writing it itself.
   */
  readonly recordsCompletions: boolean;
  readonly #runner: SqlRunner;
  readonly #clock: Clock;
  readonly #stream: string;
  readonly #batcher: SaveBatcher<StoredMessage>;
  readonly #relays = new Set<OutboxRelay>();
  readonly #t: { messages: string; outbox: string };
  readonly #insertSql: string;
  #closed = false;

  private constructor(runner: SqlRunner, config: ResolvedStoreConfig) {
    this.#runner = runner;
    this.kind = runner.kind;
    this.schema = config.schema;
    this.#t = { messages: `${config.quoted}.messages`, outbox: `${config.quoted}.outbox` };
    this.#insertSql = insertRows(
      this.#t.messages,
      `ON CONFLICT (message_id) DO UPDATE SET ${MESSAGE_COLUMNS.slice(1)
        .map((c) => `${c} = EXCLUDED.${c}`)
        .join(', ')}`,
    );
    this.#clock = config.clock;
    this.recordsCompletions = config.stream !== undefined;
    this.#stream = config.stream ?? COMPLETED_STREAM;
    this.#batcher = new SaveBatcher<StoredMessage>({
      maxBatchSize: config.maxBatchSize,
      keyOf: (m) => m.messageId,
      isolate: isDataError,
      write: (rows) => this.#writeRows(rows),
    });
  }

  /**
   * Checks the options without touching a database, so a caller that must start one
   * first (PGlite takes seconds) can fail fast on a typo.
   *
   * @throws SpoolError `INVALID_OPTION`
   */
  static checkOptions(options: PostgresMessageStoreOptions = {}): void {
    resolveConfig(options);
  }

  /**
   * Opens a store on `runner`: checks the options, then migrates the schema (or checks
   * that it is current with `migrate: false`). On failure the runner is left open: the
   * caller that made it closes it.
   *
   * @throws SpoolError `INVALID_OPTION`, `STORE_UNAVAILABLE`
   * @example const store = await PostgresMessageStore.open(pgRunner(pool), { schema: 'spool' });
   */
  static async open(
    runner: SqlRunner,
    options: PostgresMessageStoreOptions = {},
  ): Promise<PostgresMessageStore> {
    const store = new PostgresMessageStore(runner, resolveConfig(options));
    if (options.migrate ?? postgresMessageStoreDefaults.migrate)
      await migrate(runner, { schema: store.schema });
    else await assertSchemaCurrent(runner, store.schema);
    return store;
  }

  async save(input: StoredMessageInput): Promise<StoredMessage> {
    this.#assertOpen();
    // toStoredMessage made a detached copy that only the batch holds, and only until it is
    // written: it can be handed out as it is.
    const message = toStoredMessage(input, this.#clock.now());
    await this.#batcher.add(message);
    return message;
  }

  async get(messageId: MessageId): Promise<StoredMessage | undefined> {
    this.#assertOpen();
    const id = toMessageId(messageId);
    const rows = await this.#select(`WHERE message_id = $1::bigint`, [id], 'Reading a message');
    return rows[0];
  }

  async listAfter(
    channel: StoreChannel,
    after: EventId,
    options?: ListAfterOptions,
  ): Promise<StoredMessage[]> {
    this.#assertOpen();
    channelQuery(channel);
    const from = parseEventId(after);
    const limit = listAfterLimit(options);
    return this.#select(
      `WHERE channel_type = $1::bigint AND channel_id = $2 AND (last_ms, last_seq) > ($3::bigint, $4::bigint)
       ORDER BY last_ms, last_seq, message_id LIMIT $5`,
      [String(channel.channelType), channel.channelId, String(from.ms), String(from.seq), limit],
      'Listing a channel',
    );
  }

  async listBefore(
    channel: StoreChannel,
    before?: EventId,
    options?: StorePageOptions,
  ): Promise<StoredMessagePage<EventId>> {
    this.#assertOpen();
    channelQuery(channel);
    const until = beforeEventId(before);
    const limit = pageLimit(options);
    const where = 'channel_type = $1::bigint AND channel_id = $2';
    const params: unknown[] = [String(channel.channelType), channel.channelId];
    const below = until ? ` AND (first_ms, first_seq) < ($3::bigint, $4::bigint)` : '';
    if (until) params.push(String(until.ms), String(until.seq));
    const rows = await this.#select(
      `WHERE ${where}${below} ORDER BY first_ms DESC, first_seq DESC, message_id DESC LIMIT $${params.length + 1}`,
      [...params, limit + 1],
      'Reading channel history',
    );
    if (rows.length <= limit) return { items: rows, next: null };
    const items = rows.slice(0, limit);
    const edge = items[limit - 1]!;
    if (rows[limit]!.firstEventId !== edge.firstEventId) return { items, next: edge.firstEventId };
    // The page would end inside a group of messages sharing one first event ID, and the
    // next page starts strictly below it: take the rest of the group now.
    const at = parseEventId(edge.firstEventId);
    const tie = [String(channel.channelType), channel.channelId, String(at.ms), String(at.seq)];
    items.push(
      ...(await this.#select(
        `WHERE ${where} AND first_ms = $3::bigint AND first_seq = $4::bigint AND message_id < $5::bigint
         ORDER BY message_id DESC`,
        [...tie, items.at(-1)!.messageId],
        'Reading channel history',
      )),
    );
    const older = await this.#query<{ one: number }>(
      `SELECT 1 AS one FROM ${this.#t.messages}
       WHERE ${where} AND (first_ms, first_seq) < ($3::bigint, $4::bigint) LIMIT 1`,
      tie,
      'Reading channel history',
    );
    return { items, next: older.length > 0 ? edge.firstEventId : null };
  }

  async listBySender(
    fromUid: string,
    before?: MessageId,
    options?: StorePageOptions,
  ): Promise<StoredMessagePage<MessageId>> {
    this.#assertOpen();
    const sender = senderQuery(fromUid);
    return this.#idPage('from_uid = $1', [sender], beforeMessageId(before), pageLimit(options));
  }

  async listByField(
    field: string,
    value: StoreFieldValue,
    before?: MessageId,
    options?: StorePageOptions,
  ): Promise<StoredMessagePage<MessageId>> {
    this.#assertOpen();
    const query = fieldQuery(field, value);
    return this.#idPage(
      `meta -> 'customFields' @> $1::jsonb`,
      [JSON.stringify({ [query.field]: query.value })],
      beforeMessageId(before),
      pageLimit(options),
    );
  }

  /**
   * A relay that writes this store's outbox to `broker`. Saves wake it, so records go
   * out as soon as they commit; it also polls, for rows other processes committed.
   * Call `start()` on it; `close()` stops it.
   *
   * @example
   * const relay = store.createRelay(redisBroker, { pollIntervalMs: 500 });
   * relay.start();
   */
  createRelay(broker: OutboxBroker, options: OutboxRelayOptions = {}): OutboxRelay {
    this.#assertOpen();
    const relay = new OutboxRelay(this.#runner, broker, { schema: this.schema, ...options });
    this.#relays.add(relay);
    return relay;
  }

  /** Counts for `/readyz` and the dashboard. */
  async stats(): Promise<PostgresStoreStats> {
    this.#assertOpen();
    const rows = await this.#query<{ messages: string; backlog: string }>(
      `SELECT (SELECT count(*) FROM ${this.#t.messages})::text AS messages,
              (SELECT count(*) FROM ${this.#t.outbox})::text AS backlog`,
      [],
      'Reading store stats',
    );
    return {
      kind: this.kind,
      schema: this.schema,
      messages: Number(rows[0]!.messages),
      outboxBacklog: Number(rows[0]!.backlog),
      queuedSaves: this.#batcher.queued,
    };
  }

  /** Lets pending saves commit, stops the relays it created, then closes the runner. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#batcher.drain();
    await Promise.all([...this.#relays].map((r) => r.stop()));
    await this.#runner.close();
  }

  async #writeRows(rows: StoredMessage[]): Promise<void> {
    try {
      await this.#runner.transaction(async (tx) => {
        await tx.query(this.#insertSql, columnArrays(rows));
        if (this.recordsCompletions) await this.#recordCompletions(tx, rows);
      });
    } catch (err) {
      throw toStoreError(err, rows.length === 1 ? 'Saving a message' : `Saving ${rows.length} messages`);
    }
    if (this.recordsCompletions) for (const relay of this.#relays) relay.wake();
  }

  /**
   * One outbox row per message. A message saved again (a retried save) keeps its row, or,
   * if the relay has already written and deleted it, gets a new one that the broker's
   * `xaddOnce` then recognises by its once-key: one record either way. The once-key is the
   * producer's (`completionKey`: `<stream>:<messageId>`), so whichever path writes a
   * message's record, a second one is refused.
   */
  async #recordCompletions(tx: SqlQueryable, rows: StoredMessage[]): Promise<void> {
    await tx.query(
      `INSERT INTO ${this.#t.outbox} (stream, once_key, fields)
       SELECT $1, once_key, fields FROM unnest($2::text[], $3::jsonb[]) AS t(once_key, fields)
       ON CONFLICT (stream, once_key) DO NOTHING`,
      [
        this.#stream,
        rows.map((m) => completionKey(m.messageId, this.#stream)),
        rows.map((m) => JSON.stringify(Object.entries(completionFields(m, true)))),
      ],
    );
  }

  async #idPage(
    condition: string,
    params: unknown[],
    until: MessageId | undefined,
    limit: number,
  ): Promise<StoredMessagePage<MessageId>> {
    const below = until ? ` AND message_id < $${params.length + 1}::bigint` : '';
    const all = until ? [...params, until] : params;
    const rows = await this.#select(
      `WHERE ${condition}${below} ORDER BY message_id DESC LIMIT $${all.length + 1}`,
      [...all, limit + 1],
      'Listing messages',
    );
    if (rows.length <= limit) return { items: rows, next: null };
    const items = rows.slice(0, limit);
    return { items, next: items.at(-1)!.messageId };
  }

  async #select(where: string, params: unknown[], doing: string): Promise<StoredMessage[]> {
    const rows = await this.#query<MessageRow>(
      `SELECT ${SELECT_LIST} FROM ${this.#t.messages} ${where}`,
      params,
      doing,
    );
    return rows.map(fromRow);
  }

  async #query<Row>(text: string, params: unknown[], doing: string): Promise<Row[]> {
    try {
      return (await this.#runner.query<Row>(text, params)).rows;
    } catch (err) {
      throw toStoreError(err, doing);
    }
  }

  #assertOpen(): void {
    if (this.#closed)
      throw new SpoolError(
        'STORE_UNAVAILABLE',
        `This PostgresMessageStore (schema "${this.schema}") has been closed.`,
      );
  }
}

interface ResolvedStoreConfig {
  schema: string;
  quoted: string;
  clock: Clock;
  /** The completion stream; undefined when completions are off. */
  stream: string | undefined;
  maxBatchSize: number;
}

function resolveConfig(options: PostgresMessageStoreOptions): ResolvedStoreConfig {
  const schema = options.schema ?? postgresMessageStoreDefaults.schema;
  const quoted = quoteSchema(schema);
  const completions = options.completions ?? postgresMessageStoreDefaults.completions;
  let stream: string | undefined;
  if (completions !== false) {
    stream = completions.stream ?? COMPLETED_STREAM;
    if (typeof stream !== 'string' || stream.length === 0)
      throw new SpoolError('INVALID_OPTION', '`completions.stream` must be a non-empty stream key.');
  }
  const maxBatchSize = options.maxBatchSize ?? postgresMessageStoreDefaults.maxBatchSize;
  if (!Number.isSafeInteger(maxBatchSize) || maxBatchSize < 1 || maxBatchSize > MAX_BATCH_SIZE)
    throw new SpoolError(
      'INVALID_OPTION',
      `\`maxBatchSize\` must be an integer from 1 to ${MAX_BATCH_SIZE}, got ${String(maxBatchSize)}.`,
    );
  return { schema, quoted, clock: options.clock ?? realClock, stream, maxBatchSize };
}
