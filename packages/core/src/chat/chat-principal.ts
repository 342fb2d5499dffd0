/**
 * Who performs a chat operation, as the chat pipeline sees it: an identity it compares
 * (two principals with one `id` are one producer) and hands back to
 * {@link ChatAccess.authorize}. The server's `Principal` is one.
 */
export interface ChatPrincipal {
  /** The caller's identity. */
  readonly id: string;
  /** What the server knows of the caller besides (a role, grants): passed through untouched. */
  readonly [extra: string]: unknown;
}

/**
 * What the chat pipeline asks of authorization, and nothing more: the server's access
 * control answers it, so core needs no roles, grants or tokens.
 *
 * @example
 * const access: ChatAccess = { system: SYSTEM, authorize: (p, action, topic) => control.authorize(p, action, topic) };
 */
export interface ChatAccess {
  /**
   * The server's own producers (`spool.run`, the demo): never authorized, and compared by
   * identity, so no caller can forge it by sharing its `id`.
   */
  readonly system: ChatPrincipal;
  /**
   * Resolves when `principal` may `produce` (open, append to, end or cancel messages) on the
   * channel `topic`; rejects with a `SpoolError` (`FORBIDDEN`, `UNAUTHENTICATED`) otherwise.
   */
  authorize(principal: ChatPrincipal, action: 'produce', topic: string): Promise<void>;
}
