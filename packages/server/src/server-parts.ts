import type {
  CircuitBreaker,
  Clock,
  Logger,
  MessageStore,
  StreamBroker,
  StreamCache,
  TopicRegistry,
} from '@spool/core';
import type { ChatProducer, MessageDirectory } from '@spool/core/internal';
import type { AuditLog } from './audit/audit-log';
import type { AccessControl } from './auth/access-control';
import type { PrincipalLimiter } from './auth/principal-limits';
import type { ClusterMembership } from './cluster/membership';
import type { KnownStreamKeys } from './metrics/known-stream-keys';
import type { PublishOptions } from './publish-options';
import type { TopicDirectory } from './topic-directory';
import type { ConnectionHealth, TransportTotals } from './transport';

/**
 * The parts of a Spool server that its stats, metrics and cluster glue read: an interface of
 * its own, which `SpoolInstance` implements, so that none of them imports the server itself
 * and the server's modules form no import cycle (docs/architecture.md, "How the server's
 * modules depend on each other"). Route groups take fewer: each is registered with only the
 * parts it reads.
 */
export interface SpoolParts {
  readonly cache: StreamCache;
  readonly store: MessageStore;
  readonly broker: StreamBroker;
  readonly topics: TopicRegistry;
  readonly access: AccessControl;
  /** The chat pipeline (open, append, end) that the WebSocket and the message routes drive. */
  readonly messages: ChatProducer;
  /**
   * Cluster mode: the shared records the message routes read, and the owners they reach
   * (docs/architecture.md, "Messages across instances"). Undefined in memory mode.
   */
  readonly cluster?: MessageDirectory | undefined;
  readonly breakers: { store: CircuitBreaker; broker: CircuitBreaker };
  readonly logger: Logger;
  readonly clock: Clock;
  /**
   * The totals of a transport by name (`ws`, `sse`): zeros for one that is not attached
   * (docs/architecture.md, "The package and entry graph").
   */
  transportTotals(name: string): TransportTotals;
  /** Every connection's health, of the transports that track it (the WebSocket's). */
  connectionHealth(): ConnectionHealth[];
  readonly startedAt: number;
  readonly maxBodyBytes: number;
  /** Broker streams written through `broker` (for `GET /v1/streams`, `$sys`, `/metrics`). */
  readonly streamKeys: KnownStreamKeys;
  /** The rate per principal, on every path (docs/security.md, "Defaults"). */
  readonly principalLimits: PrincipalLimiter;
  /** Operator actions of this instance, logged with their principal (docs/security.md, "Audit log"). */
  readonly audit: AuditLog;
  /** Events published through this instance. */
  readonly published: number;
  /** This instance's membership of the cluster, with Redis; undefined on a single process. */
  readonly membership: Pick<ClusterMembership, 'self' | 'instances'> | undefined;
  /** The topics of a log shared with other instances, when there is one. */
  readonly topicDirectory: TopicDirectory | undefined;
  /** Appends an event to a topic (`event` defaults to `message`); resolves with its ID. */
  publish(topic: string, data: unknown, options?: PublishOptions): Promise<string>;
  /**
   * A principal's publish whose `key` the caller's own window checked already (the WebSocket
   * and HTTP routes): the key, scoped by the principal, goes on to a shared log, which
   * applies it once across instances (docs/protocol.md, "Rules").
   */
  publishFor(principalId: string, topic: string, data: unknown, options: PublishOptions): Promise<string>;
}
