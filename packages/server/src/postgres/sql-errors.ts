import { SpoolError } from '@spool/core';

interface DriverError {
  code?: unknown;
  message?: unknown;
}

/** The SQLSTATE of a driver error (node-postgres and PGlite both set `code`), if it has one. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as DriverError | undefined)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * True when the database refused the data itself (SQLSTATE class 22, data exception, or
 * 23, integrity constraint): retrying the same rows cannot succeed, but the other rows of
 * a batch may. Everything else (connection refused or lost, timeouts, shutdown, resource
 * limits, serialization failures) is the database being unavailable.
 * See https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
export function isDataError(err: unknown): boolean {
  const state = sqlState(err);
  return state !== undefined && (state.startsWith('22') || state.startsWith('23'));
}

/**
 * Turns what a driver threw into a SpoolError: `INVALID_MESSAGE` for data the database
 * refused, `STORE_UNAVAILABLE` (transient, so retried with backoff) for the rest.
 */
export function toStoreError(err: unknown, doing: string): SpoolError {
  if (err instanceof SpoolError) return err;
  const message = String((err as DriverError | undefined)?.message ?? err);
  const state = sqlState(err);
  const where = state ? ` (SQLSTATE ${state})` : '';
  if (isDataError(err))
    return new SpoolError('INVALID_MESSAGE', `The database refused ${doing}: ${message}${where}.`, {
      cause: err,
    });
  return new SpoolError('STORE_UNAVAILABLE', `${doing} failed: ${message}${where}.`, { cause: err });
}
