import type { TopicGrants } from './topic-grants';

/** A role: admins may do everything, users everything but the operator routes and `$` topics. */
export type Role = 'admin' | 'user';

/**
 * Who is calling. `id` keys per-principal state such as the idempotency window, so two
 * connections of the same principal share it. Custom `authenticate` hooks may add fields.
 */
export interface Principal {
  /**
   * The caller's identity: `local`, `<role>:<digest prefix>` for a static token, `jwt:<sub>`, or what an
   * `authenticate` hook returns.
   */
  id: string;
  /** What the caller may do when it has no `grants`. */
  role: Role;
  /**
   * Per-topic grants (a JWT's `spool` claim). When set, the default `authorize` decides by
   * them alone, whatever the role.
   */
  grants?: TopicGrants;
  /**
   * When the credentials expire (ms since the epoch, a JWT's `exp`). A WebSocket is closed
   * with 4401 `TOKEN_EXPIRED` then, and an SSE stream ends with `TOKEN_EXPIRED`.
   */
  expiresAt?: number;
  [extra: string]: unknown;
}

export type { Action } from './action';

/** The principal of the local default (loopback, no token configured): full access. */
export const LOCAL_PRINCIPAL: Principal = Object.freeze({ id: 'local', role: 'admin' as const });

/**
 * The server itself, for the producers it runs (`spool.run`, the demo). Producer
 * operations skip authorization for this one object only, compared by identity, so no
 * token or `authenticate` hook can forge it. Every other caller names its principal: a
 * missing one is a type error and, at runtime, `UNAUTHENTICATED`.
 *
 * @example
 * await spool.messages.open({ channelId: 'general', channelType: 1 }, SYSTEM);
 */
export const SYSTEM: Principal = Object.freeze({ id: '$system', role: 'admin' as const });
