/**
 * The store's schema, as versioned migrations. Each runs once per schema, in order, in
 * the one transaction `migrate` holds under an advisory lock, with `search_path` set to
 * the store's schema (so the SQL names no schema). Never edit a released migration: add
 * the next version. The layout is described in packages/server/README.md, "PostgreSQL
 * message store".
 */
export interface Migration {
  version: number;
  name: string;
  statements: readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'messages',
    statements: [
      // Event IDs as two bigints each, so they sort as numbers ("10-0" after "9-5"); the
      // message ID as bigint, read back as text so it never passes through a JS number.
      `CREATE TABLE messages (
        message_id    bigint      PRIMARY KEY CHECK (message_id > 0),
        channel_type  bigint      NOT NULL CHECK (channel_type >= 0),
        channel_id    text        NOT NULL CHECK (channel_id <> ''),
        from_uid      text,
        client_msg_no text,
        meta          jsonb       NOT NULL,
        text          text        NOT NULL,
        last_chunk_id bigint      NOT NULL CHECK (last_chunk_id >= -1),
        reason        text        NOT NULL CHECK (reason IN ('success', 'timeout', 'error', 'cancelled', 'force')),
        first_ms      bigint      NOT NULL CHECK (first_ms >= 0),
        first_seq     bigint      NOT NULL CHECK (first_seq >= 0),
        last_ms       bigint      NOT NULL,
        last_seq      bigint      NOT NULL,
        persisted_at  timestamptz NOT NULL,
        CHECK ((first_ms, first_seq) <= (last_ms, last_seq))
      )`,
      // listAfter (catchup): a channel's messages by last event ID.
      'CREATE INDEX messages_channel_last_idx ON messages (channel_type, channel_id, last_ms, last_seq, message_id)',
      // listBefore (history): a channel's messages by first event ID, read backwards.
      'CREATE INDEX messages_channel_first_idx ON messages (channel_type, channel_id, first_ms, first_seq, message_id)',
      // listBySender
      'CREATE INDEX messages_sender_idx ON messages (from_uid, message_id) WHERE from_uid IS NOT NULL',
      // listByField: containment (@>) on the custom fields; jsonb_path_ops is smaller and
      // faster than the default operator class and serves exactly @>.
      `CREATE INDEX messages_custom_fields_idx ON messages USING gin ((meta -> 'customFields') jsonb_path_ops)`,
    ],
  },
  {
    version: 2,
    name: 'outbox',
    statements: [
      // One row per completion record still to be written to the broker; the relay deletes
      // it once the broker holds the record. (stream, once_key) is the record's identity.
      `CREATE TABLE outbox (
        id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        stream     text        NOT NULL,
        once_key   text        NOT NULL,
        fields     jsonb       NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        attempts   integer     NOT NULL DEFAULT 0,
        last_error text,
        UNIQUE (stream, once_key)
      )`,
    ],
  },
];

/** The newest schema version this build knows. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
