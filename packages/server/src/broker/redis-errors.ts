import { type ErrorCode, SpoolError } from '@spool/core';

/**
 * Maps a Redis error reply to Spool's codes, by Redis's own error prefixes and messages
 * (t_stream.c), so `RedisBroker` fails exactly like `MemoryBroker`. Connection failures
 * become `BROKER_UNAVAILABLE`.
 */
const RULES: Array<[RegExp, ErrorCode]> = [
  [/^NOGROUP\b/, 'NOGROUP'],
  [/^BUSYGROUP\b/, 'BUSYGROUP'],
  [/^WRONGTYPE\b/, 'WRONGTYPE'],
  // Redis 7.0 reports `<ms>-*` on a top item whose seq is exhausted as "Elements are too
  // large to be stored" (errno is not set to EDOM on that path; fixed in later versions).
  [/ID specified in XADD|exhausted the last possible ID|Elements are too large/, 'ID_TOO_SMALL'],
  [
    /Invalid stream ID|invalid (start|end) ID for the interval|The [$>] ID|Unrecognized XCLAIM option/,
    'INVALID_STREAM_ID',
  ],
  [/^ERR no such key|requires the key to exist/, 'NO_SUCH_KEY'],
  [
    /syntax error|not an integer|out of range|must be >= 0|COUNT must be|wrong number of arguments|ENTRIESREAD|timeout is negative|LIMIT/,
    'SYNTAX_ERROR',
  ],
  [/^(LOADING|BUSY|MASTERDOWN|READONLY|OOM|CLUSTERDOWN|TRYAGAIN)\b/, 'BROKER_UNAVAILABLE'],
];

interface RedisLikeError {
  name?: string;
  message?: string;
}

/** True for an error reply from the server (as opposed to a connection failure). */
export function isReplyError(err: unknown): boolean {
  return (err as RedisLikeError | undefined)?.name === 'ReplyError';
}

/**
 * Turns what ioredis threw into a SpoolError. `keyPrefix` is stripped from Redis's message
 * so that messages name the caller's keys.
 */
export function toSpoolError(err: unknown, keyPrefix: string): SpoolError {
  if (err instanceof SpoolError) return err;
  const e = err as RedisLikeError;
  let message = String(e?.message ?? err);
  if (keyPrefix) message = message.split(`'${keyPrefix}`).join("'");
  if (isReplyError(err)) {
    for (const [pattern, code] of RULES) {
      if (pattern.test(message)) return new SpoolError(code, message, { cause: err });
    }
    return new SpoolError('INTERNAL', `Unexpected Redis error: ${message}`, { cause: err });
  }
  return new SpoolError('BROKER_UNAVAILABLE', `Redis is unreachable: ${message}`, { cause: err });
}
