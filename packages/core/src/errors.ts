/**
 * Every error Spool raises is a {@link SpoolError} with a stable `code` from this table.
 * Callers branch on `code`, never on message text. The same codes travel on the wire
 * (`{"op":"err","code":...}` and `{ "error": { "code", "message" } }`), so server and
 * client share this one table.
 */
export const ErrorCode = {
  // options
  INVALID_OPTION: 'INVALID_OPTION',
  // StreamCache
  STREAM_NOT_FOUND: 'STREAM_NOT_FOUND',
  STREAM_CLOSED: 'STREAM_CLOSED',
  STREAM_EXISTS: 'STREAM_EXISTS',
  /** A message ID that has already ended: a message ID names one message, and it is never opened again. */
  MESSAGE_ENDED: 'MESSAGE_ENDED',
  /**
   * Cluster mode: this process no longer owns the message (it was taken over, or its producer
   * moved to another instance); its write was refused and its runs of the message aborted.
   */
  FENCED: 'FENCED',
  /** Cluster mode: the instance that owns the message did not answer a forwarded write in time. */
  OWNER_UNREACHABLE: 'OWNER_UNREACHABLE',
  MEMORY_LIMIT_REACHED: 'MEMORY_LIMIT_REACHED',
  TOO_MANY_STREAMS: 'TOO_MANY_STREAMS',
  TOO_MANY_CHUNKS: 'TOO_MANY_CHUNKS',
  INVALID_MESSAGE_ID: 'INVALID_MESSAGE_ID',
  INVALID_CHUNK_ID: 'INVALID_CHUNK_ID',
  DUPLICATE_CHUNK: 'DUPLICATE_CHUNK',
  CACHE_CLOSED: 'CACHE_CLOSED',
  INVALID_STREAM_META: 'INVALID_STREAM_META',
  INVALID_PAYLOAD: 'INVALID_PAYLOAD',
  // protocol
  INVALID_EVENT_ID: 'INVALID_EVENT_ID',
  INVALID_SSE_FIELD: 'INVALID_SSE_FIELD',
  SSE_LINE_TOO_LONG: 'SSE_LINE_TOO_LONG',
  BAD_FRAME: 'BAD_FRAME',
  INVALID_MESSAGE: 'INVALID_MESSAGE',
  UNKNOWN_OP: 'UNKNOWN_OP',
  FRAME_TOO_LARGE: 'FRAME_TOO_LARGE',
  // topics and stores
  INVALID_TOPIC: 'INVALID_TOPIC',
  TOPIC_NOT_FOUND: 'TOPIC_NOT_FOUND',
  TOPIC_CLOSED: 'TOPIC_CLOSED',
  TOPIC_EXISTS: 'TOPIC_EXISTS',
  TOO_MANY_TOPICS: 'TOO_MANY_TOPICS',
  INVALID_EVENT: 'INVALID_EVENT',
  MESSAGE_NOT_FOUND: 'MESSAGE_NOT_FOUND',
  PERSIST_FAILED: 'PERSIST_FAILED',
  STORE_UNAVAILABLE: 'STORE_UNAVAILABLE',
  // cluster
  /** Another live process already runs under this `SPOOL_INSTANCE_ID` (docs/architecture.md, "Instances and incarnations"). */
  INSTANCE_ID_TAKEN: 'INSTANCE_ID_TAKEN',
  // broker; names follow Redis's own error prefixes where Redis has one
  NOGROUP: 'NOGROUP',
  BUSYGROUP: 'BUSYGROUP',
  ID_TOO_SMALL: 'ID_TOO_SMALL',
  INVALID_STREAM_ID: 'INVALID_STREAM_ID',
  NO_SUCH_KEY: 'NO_SUCH_KEY',
  SYNTAX_ERROR: 'SYNTAX_ERROR',
  WRONGTYPE: 'WRONGTYPE',
  BROKER_UNAVAILABLE: 'BROKER_UNAVAILABLE',
  BROKER_CLOSED: 'BROKER_CLOSED',
  // flow control
  CIRCUIT_OPEN: 'CIRCUIT_OPEN',
  RETRY_EXHAUSTED: 'RETRY_EXHAUSTED',
  TIMEOUT: 'TIMEOUT',
  ABORTED: 'ABORTED',
  INVALID_CREDIT: 'INVALID_CREDIT',
  // pipeline
  PIPELINE_FAILED: 'PIPELINE_FAILED',
  // server and client, on the wire
  BAD_REQUEST: 'BAD_REQUEST',
  NOT_FOUND: 'NOT_FOUND',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** The token was valid but has expired (WebSocket: close 4401); get a fresh one. */
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  FORBIDDEN: 'FORBIDDEN',
  ORIGIN_NOT_ALLOWED: 'ORIGIN_NOT_ALLOWED',
  HOST_NOT_ALLOWED: 'HOST_NOT_ALLOWED',
  RATE_LIMITED: 'RATE_LIMITED',
  TOO_MANY_SUBSCRIPTIONS: 'TOO_MANY_SUBSCRIPTIONS',
  ALREADY_SUBSCRIBED: 'ALREADY_SUBSCRIBED',
  NOT_SUBSCRIBED: 'NOT_SUBSCRIBED',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNAVAILABLE: 'UNAVAILABLE',
  INTERNAL: 'INTERNAL',
  CONNECTION_CLOSED: 'CONNECTION_CLOSED',
  QUEUE_FULL: 'QUEUE_FULL',
  /** Client only: connection attempts in a row never opened (server down, wrong URL or path). */
  CONNECT_FAILED: 'CONNECT_FAILED',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * The one error class of Spool.
 *
 * @example
 * try { cache.appendChunk(chunk) } catch (err) {
 *   if (err instanceof SpoolError && err.code === 'DUPLICATE_CHUNK') return;
 *   throw err;
 * }
 */
export class SpoolError extends Error {
  /** Always `'SpoolError'`. */
  override readonly name = 'SpoolError';
  // `declare`: set in the constructor only, so no class field is emitted for them (the
  // client's size budget, docs/architecture.md).
  /** The stable code from {@link ErrorCode} that callers branch on. */
  declare readonly code: ErrorCode;
  /** Extra machine-readable context (for example the failures of a bulk operation). */
  declare readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: {
      /** The error this one wraps (the standard `Error.cause`). */
      cause?: unknown;
      /** Extra machine-readable context: {@link SpoolError.details}. */
      details?: Record<string, unknown>;
    },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details;
  }
}

/** True when `err` is a {@link SpoolError}, optionally with the given code. */
export function isSpoolError(err: unknown, code?: ErrorCode): err is SpoolError {
  return err instanceof SpoolError && (code === undefined || err.code === code);
}
