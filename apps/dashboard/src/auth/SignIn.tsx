import { type FormEvent, useState } from 'react';

export interface SignInProps {
  /** Why sign-in is shown: the server's error code from `GET /v1/stats`. */
  code: string;
  /** Whether a token was sent and refused (as opposed to none sent yet). */
  rejected: boolean;
  onSubmit(token: string): void;
}

/**
 * Shown when `GET /v1/stats` answers 401 `UNAUTHENTICATED` (or 403 `FORBIDDEN`): asks for
 * the server's admin token (`SPOOL_ADMIN_TOKEN`).
 *
 * @example <SignIn code="UNAUTHENTICATED" rejected={false} onSubmit={(t) => tokens.getState().setToken(t)} />
 */
export function SignIn({ code, rejected, onSubmit }: SignInProps) {
  const [token, setToken] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const trimmed = token.trim();
    if (trimmed) onSubmit(trimmed);
  };
  let reason = 'This Spool server requires the admin token.';
  if (code === 'FORBIDDEN')
    reason = 'That token is valid but has no admin role. Sign in with the admin token.';
  else if (rejected) reason = 'The server rejected that token. Check SPOOL_ADMIN_TOKEN and try again.';
  return (
    <main className="signin">
      <form className="card signin-card" onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">Sign in to Spool</h1>
        <p className={rejected || code === 'FORBIDDEN' ? 'action-error' : 'muted'} role="status">
          {reason}
        </p>
        <label className="field">
          <span>Admin token</span>
          <input
            type="password"
            name="token"
            autoComplete="current-password"
            value={token}
            onChange={(e) => setToken(e.target.value)}
            required
          />
        </label>
        <button type="submit" className="btn btn-primary">
          Sign in
        </button>
        <p className="muted small">The token is kept in this tab's session storage only.</p>
      </form>
    </main>
  );
}
