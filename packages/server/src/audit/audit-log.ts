import type { Clock, Logger } from '@spool/core';
import type { Principal, Role } from '../auth/principal';

/**
 * The operator actions that are audited (docs/security.md, "Audit log"):
 * - `group.destroyed`, `consumer.deleted`: consumer-group deletes;
 * - `claim`: pending entries moved to another consumer (autoclaim);
 * - `stream.ended`: a message ended over HTTP (how the dashboard ends one);
 * - `channel.ended`: every open message of a channel ended at once.
 */
export type AuditAction = 'group.destroyed' | 'consumer.deleted' | 'claim' | 'stream.ended' | 'channel.ended';

/** One audited action, as the log line and `GET /v1/audit` carry it. */
export interface AuditEntry {
  /** Its number on this instance, from 1: a gap in a shipped log is visible. */
  seq: number;
  /** When it happened (ms since the epoch). */
  at: number;
  /** What was done. */
  action: AuditAction;
  /** The principal's `id` (`jwt:<sub>`, a static token's `admin:<digest>`, `local`). */
  principal: string;
  /** The principal's role. */
  role: Role;
  /** What was acted on and what came of it (stream key, group, message ID, counts). */
  details: Record<string, unknown>;
}

/** The defaults of {@link AuditLog}. */
export const auditLogDefaults = Object.freeze({
  /** Entries kept in memory for `GET /v1/audit`; the logger has every one. */
  capacity: 500,
});

/**
 * Audit of operator actions: each one is written through the server's pino logger at
 * `info` with `audit: <action>` and the principal, so log shipping keeps the full trail;
 * the most recent ones stay in memory (bounded) for the dashboard.
 *
 * @example
 * spool.audit.record('group.destroyed', ctx.principal, { key, group });
 * spool.audit.recent(); // newest first
 */
export class AuditLog {
  private readonly entries: AuditEntry[] = [];
  private seq = 0;

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly capacity: number = auditLogDefaults.capacity,
  ) {}

  /** Audits one action: logs it at `info` with its principal, and keeps it among the recent entries. */
  record(action: AuditAction, principal: Principal, details: Record<string, unknown>): void {
    const entry: AuditEntry = {
      seq: ++this.seq,
      at: this.clock.now(),
      action,
      principal: principal.id,
      role: principal.role,
      details,
    };
    this.entries.push(entry);
    if (this.entries.length > this.capacity) this.entries.shift();
    this.logger.info(
      // The audit fields last, so no detail can overwrite them.
      { ...details, audit: action, auditSeq: entry.seq, principal: principal.id, role: principal.role },
      `audit: ${action}`,
    );
  }

  /** The entries kept, newest first. */
  recent(): AuditEntry[] {
    return this.entries.slice().reverse();
  }
}
