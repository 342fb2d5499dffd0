import { type EventId, parseEventId, type StoredMessage } from '@spool/core';

/**
 * How a {@link StoredMessage} maps to a row of the `messages` table, in one place: the
 * columns written, the select list (bigints and the timestamp read back as text, so no
 * driver ever turns them into an imprecise JS number), and the row → message mapping.
 */

/** The columns written, in order. */
export const MESSAGE_COLUMNS = [
  'message_id',
  'channel_type',
  'channel_id',
  'from_uid',
  'client_msg_no',
  'meta',
  'text',
  'last_chunk_id',
  'reason',
  'first_ms',
  'first_seq',
  'last_ms',
  'last_seq',
  'persisted_at',
] as const;

/** The array type of each column's parameter in {@link INSERT_ROWS}. */
const ARRAY_TYPES: Record<(typeof MESSAGE_COLUMNS)[number], string> = {
  message_id: 'bigint[]',
  channel_type: 'bigint[]',
  channel_id: 'text[]',
  from_uid: 'text[]',
  client_msg_no: 'text[]',
  meta: 'jsonb[]',
  text: 'text[]',
  last_chunk_id: 'bigint[]',
  reason: 'text[]',
  first_ms: 'bigint[]',
  first_seq: 'bigint[]',
  last_ms: 'bigint[]',
  last_seq: 'bigint[]',
  persisted_at: 'timestamptz[]',
};

/**
 * `INSERT INTO <table> (...) SELECT * FROM unnest($1::bigint[], ...)`: any number of rows
 * in 14 parameters, one array per column ({@link columnArrays}). Compared with a VALUES
 * list of 14 parameters a row, the statement stays the same size, parses and plans in
 * constant time, and has no 65,535-parameter ceiling.
 */
export function insertRows(table: string, onConflict: string): string {
  const arrays = MESSAGE_COLUMNS.map((c, i) => `$${i + 1}::${ARRAY_TYPES[c]}`).join(', ');
  return `INSERT INTO ${table} (${MESSAGE_COLUMNS.join(', ')}) SELECT * FROM unnest(${arrays}) ${onConflict}`;
}

/** One array per column of {@link MESSAGE_COLUMNS}, each holding every row's value. */
export function columnArrays(messages: readonly StoredMessage[]): Array<Array<string | null>> {
  const columns = MESSAGE_COLUMNS.map(() => [] as Array<string | null>);
  for (const m of messages) {
    const row = rowParams(m);
    for (let c = 0; c < row.length; c++) columns[c]!.push(row[c]!);
  }
  return columns;
}

/** The values of one row, as text, matching {@link MESSAGE_COLUMNS}. */
function rowParams(m: StoredMessage): Array<string | null> {
  const first = parseEventId(m.firstEventId);
  const last = parseEventId(m.lastEventId);
  return [
    m.messageId,
    String(m.channelType),
    m.channelId,
    typeof m.meta.fromUid === 'string' ? m.meta.fromUid : null,
    typeof m.meta.clientMsgNo === 'string' ? m.meta.clientMsgNo : null,
    JSON.stringify(m.meta),
    m.text,
    String(m.lastChunkId),
    m.reason,
    String(first.ms),
    String(first.seq),
    String(last.ms),
    String(last.seq),
    // Whole ms within years 1970..9999 (core's toStoredMessage checks it), so the ISO form
    // is exact and timestamptz (microseconds) holds it exactly.
    new Date(m.persistedAt).toISOString(),
  ];
}

/**
 * The select list that {@link fromRow} reads. Every converted column gets an output name
 * unlike any column's, on purpose: ORDER BY resolves a bare name to an output column
 * first, so an output `message_id` (text) would make `ORDER BY message_id` sort as text
 * ("9" after "10").
 */
export const SELECT_LIST = `message_id::text AS "messageId", channel_type::text AS "channelType",
  channel_id AS "channelId", meta::text AS "metaJson", text AS "text", last_chunk_id::text AS "lastChunkId",
  reason AS "reason", first_ms::text AS "firstMs", first_seq::text AS "firstSeq",
  last_ms::text AS "lastMs", last_seq::text AS "lastSeq",
  (extract(epoch FROM persisted_at) * 1000)::bigint::text AS "persistedAt"`;

/** A row as {@link SELECT_LIST} returns it: every column as text. */
export interface MessageRow {
  messageId: string;
  channelType: string;
  channelId: string;
  metaJson: string;
  text: string;
  lastChunkId: string;
  reason: string;
  firstMs: string;
  firstSeq: string;
  lastMs: string;
  lastSeq: string;
  persistedAt: string;
}

export function fromRow(row: MessageRow): StoredMessage {
  return {
    messageId: row.messageId,
    channelId: row.channelId,
    channelType: Number(row.channelType),
    meta: JSON.parse(row.metaJson) as StoredMessage['meta'],
    text: row.text,
    lastChunkId: Number(row.lastChunkId),
    reason: row.reason as StoredMessage['reason'],
    firstEventId: eventId(row.firstMs, row.firstSeq),
    lastEventId: eventId(row.lastMs, row.lastSeq),
    persistedAt: Number(row.persistedAt),
  };
}

/** Both parts were written from a parsed (canonical, safe-integer) ID, so their text is canonical too. */
function eventId(ms: string, seq: string): EventId {
  return `${ms}-${seq}`;
}
