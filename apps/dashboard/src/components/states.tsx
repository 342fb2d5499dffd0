import type { ReactNode } from 'react';
import { ApiError, isUnreachable } from '../api/http';

/** A loading placeholder announced politely to screen readers. */
export function Loading({ what }: { what: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </div>
  );
}

/** The empty state of a list or view. */
export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty" role="status">
      <p className="state-title">{title}</p>
      {children && <p className="state-hint">{children}</p>}
    </div>
  );
}

/**
 * The error state of a view: says what failed, the server's code, and offers a retry.
 *
 * @example <ErrorState what="topics" error={query.error} onRetry={() => query.refetch()} />
 */
export function ErrorState({ what, error, onRetry }: { what: string; error: unknown; onRetry?: () => void }) {
  const unreachable = isUnreachable(error);
  const message =
    error instanceof ApiError ? error.message : error instanceof Error ? error.message : String(error);
  return (
    <div className="state state-error" role="alert">
      <p className="state-title">
        {unreachable ? `Cannot load ${what}: the server is unreachable.` : `Could not load ${what}.`}
      </p>
      <p className="state-hint">
        {message}
        {error instanceof ApiError && !unreachable && <code className="error-code"> {error.code}</code>}
      </p>
      {unreachable && <p className="state-hint">Retrying automatically when it comes back.</p>}
      {onRetry && (
        <button type="button" className="btn" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

/** The error of a failed action, shown next to its control. */
export function ActionError({ error }: { error: unknown }) {
  if (!error) return null;
  const text = error instanceof ApiError ? `${error.code}: ${error.message}` : String(error);
  return (
    <p className="action-error" role="alert">
      {text}
    </p>
  );
}
