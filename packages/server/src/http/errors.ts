import { type ErrorCode, SpoolError } from '@spool/core';

/**
 * The one mapping from error codes to HTTP: the status of docs/http-api.md and the JSON
 * error body `{ "error": { "code", "message" } }`. Routes, SSE and the WebSocket upgrade
 * all go through here, so a code never maps to two statuses. (WebSocket close codes come
 * from core's `wsCloseCodeFor`, next to the wire protocol.)
 */
const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  BAD_REQUEST: 400,
  DUPLICATE_CHUNK: 400,
  SYNTAX_ERROR: 400,
  BAD_FRAME: 400,
  UNKNOWN_OP: 400,
  UNAUTHENTICATED: 401,
  TOKEN_EXPIRED: 401,
  FORBIDDEN: 403,
  ORIGIN_NOT_ALLOWED: 403,
  HOST_NOT_ALLOWED: 403,
  NOT_FOUND: 404,
  STREAM_NOT_FOUND: 404,
  MESSAGE_NOT_FOUND: 404,
  TOPIC_NOT_FOUND: 404,
  NOGROUP: 404,
  NO_SUCH_KEY: 404,
  METHOD_NOT_ALLOWED: 405,
  STREAM_EXISTS: 409,
  MESSAGE_ENDED: 409,
  FENCED: 409,
  STREAM_CLOSED: 409,
  BUSYGROUP: 409,
  ID_TOO_SMALL: 409,
  ALREADY_SUBSCRIBED: 409,
  TOPIC_EXISTS: 409,
  PAYLOAD_TOO_LARGE: 413,
  FRAME_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  TOO_MANY_STREAMS: 429,
  TOO_MANY_CHUNKS: 429,
  TOO_MANY_SUBSCRIPTIONS: 429,
  MEMORY_LIMIT_REACHED: 429,
  QUEUE_FULL: 429,
  TOO_MANY_TOPICS: 429,
  CIRCUIT_OPEN: 503,
  UNAVAILABLE: 503,
  OWNER_UNREACHABLE: 503,
  STORE_UNAVAILABLE: 503,
  BROKER_UNAVAILABLE: 503,
  BROKER_CLOSED: 503,
  CACHE_CLOSED: 503,
  TOPIC_CLOSED: 503,
  PERSIST_FAILED: 503,
  RETRY_EXHAUSTED: 503,
};

/** The HTTP status for an error code; every `INVALID_*` code is a 400, anything unknown a 500. */
export function httpStatusOf(code: string): number {
  const status = STATUS_BY_CODE[code as ErrorCode];
  if (status !== undefined) return status;
  if (code.startsWith('INVALID_')) return 400;
  return 500;
}

/**
 * Any thrown value as a {@link SpoolError}. Unknown errors become `INTERNAL` with a
 * generic message, so stack traces and driver messages never leak to clients.
 */
export function toSpoolError(err: unknown): SpoolError {
  if (err instanceof SpoolError) return err;
  return new SpoolError('INTERNAL', 'Internal server error; see the server log for details.', { cause: err });
}

/**
 * How long to wait before retrying, when the error is a refusal for rate: `retryAfterMs`
 * in the error's details (set by the WebSocket limits, the demo's cap and an open circuit
 * breaker), rounded up to whole ms. Undefined otherwise.
 *
 * @example retryAfterMsOf(new SpoolError('RATE_LIMITED', 'later', { details: { retryAfterMs: 40 } })) // 40
 */
export function retryAfterMsOf(err: SpoolError): number | undefined {
  const ms = err.details?.['retryAfterMs'];
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? Math.ceil(ms) : undefined;
}

/** The JSON body of an error: `{ "error": { "code", "message", "retryAfterMs"? } }`. */
export function errorBody(err: SpoolError): {
  /** The error, as the client sees it. */
  error: {
    /** The error's stable code (`SpoolError.code`), such as `STREAM_NOT_FOUND`. */
    code: string;
    /** A human-readable description; may change, so clients branch on `code`. */
    message: string;
    /** When to retry, in whole ms (see {@link retryAfterMsOf}); absent when the error says nothing. */
    retryAfterMs?: number;
  };
} {
  const retryAfterMs = retryAfterMsOf(err);
  return {
    error:
      retryAfterMs === undefined
        ? { code: err.code, message: err.message }
        : { code: err.code, message: err.message, retryAfterMs },
  };
}

/**
 * An error as a JSON `Response` with its status.
 *
 * @example
 * return errorResponse(new SpoolError('NOT_FOUND', 'No route for GET /nope'));
 */
export function errorResponse(err: unknown, headers?: HeadersInit): Response {
  const e = toSpoolError(err);
  const h = new Headers(headers);
  h.set('content-type', 'application/json; charset=utf-8');
  if (e.code === 'UNAUTHENTICATED' && !h.has('www-authenticate')) h.set('www-authenticate', 'Bearer');
  // RFC 9110 §10.2.3: whole seconds, rounded up so a client never comes back too early.
  const retryAfterMs = retryAfterMsOf(e);
  if (retryAfterMs !== undefined) h.set('retry-after', String(Math.ceil(retryAfterMs / 1000)));
  return new Response(JSON.stringify(errorBody(e)), { status: httpStatusOf(e.code), headers: h });
}

/**
 * A JSON `Response`.
 *
 * @example return jsonResponse({ id }, 201);
 */
export function jsonResponse(body: unknown, status = 200, headers?: HeadersInit): Response {
  const h = new Headers(headers);
  h.set('content-type', 'application/json; charset=utf-8');
  return new Response(JSON.stringify(body), { status, headers: h });
}
